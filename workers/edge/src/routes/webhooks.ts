// POST /v1/webhooks/secret (the key's signing secret, shown once) and the
// OpenAPI document's description of the webhook request itself.
import type { OpenAPIHono } from '@hono/zod-openapi';
import { createWebhookSecret, jobWebhook } from '../api/routes.ts';
import type { AppEnv } from '../app-env.ts';
import { rotateWebhookSecret } from '../webhooks/webhook-secrets.ts';

export function registerWebhookRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(createWebhookSecret, async (c) => {
    const made = await rotateWebhookSecret(c.env.DB, c.get('apiKey').id);
    return c.json(made, 201, { 'Cache-Control': 'no-store' });
  });
  app.openAPIRegistry.registerWebhook(jobWebhook);
}
