// Key administration (admin scope): revocation. Creating keys stays a local
// script (npm run keys:create), which prints the secret once.
import type { OpenAPIHono } from '@hono/zod-openapi';
import { revokeApiKey } from '../api/routes.ts';
import type { AppEnv } from '../app-env.ts';
import { revokeKey } from '../auth.ts';
import { errors } from '../errors.ts';

export function registerKeyRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(revokeApiKey, async (c) => {
    const { id } = c.req.valid('param');
    const revokedAt = await revokeKey(c.env.DB, id);
    if (revokedAt === undefined) throw errors.notFound('API key');
    return c.json({ id, revokedAt }, 200, { 'Cache-Control': 'no-store' });
  });
}
