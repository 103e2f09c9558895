// The edge API: one Hono app (with zod-openapi), its middleware order, and the
// one place errors become responses.
import { OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { healthRoute } from './api/routes.ts';
import { maxNotebookBytes } from '@imagen-ts/protocol';
import type { AppEnv } from './app-env.ts';
import { authenticate, requireScope } from './auth.ts';
import { admission } from './jobs/admission.ts';
import { loadConfig } from './config.ts';
import type { Scope } from './keys.ts';
import { errorResponse, errors, fromZodError } from './errors.ts';
import { maxInspectBytes, registerImageRoutes } from './routes/images.ts';
import { registerJobRoutes } from './routes/jobs.ts';
import { registerKeyRoutes } from './routes/keys.ts';
import { registerModelRoutes } from './routes/models.ts';
import { registerNotebookRoutes } from './routes/notebooks.ts';
import { registerOpenAiRoutes } from './routes/openai.ts';
import { registerTokenizeRoutes } from './routes/tokenize.ts';
import { registerWebhookRoutes } from './routes/webhooks.ts';

export const maxJsonBytes = 64 << 10;

/** routes anyone may call: the API description, health, and images (their id is their sha256) */
function isPublic(method: string, path: string): boolean {
  if (path === '/v1/openapi.json' || path === '/health') return true;
  return (method === 'GET' || method === 'HEAD') && /^\/v1\/images\/[^/]+$/.test(path);
}

function limitFor(path: string): number {
  if (path === '/v1/images/inspect') return maxInspectBytes;
  if (path.startsWith('/v1/notebooks')) return maxNotebookBytes + maxJsonBytes;
  return maxJsonBytes;
}

const limits = new Map<number, MiddlewareHandler>();
const limitBody: MiddlewareHandler<AppEnv> = (c, next) => {
  const max = limitFor(c.req.path);
  let mw = limits.get(max);
  if (!mw) {
    mw = bodyLimit({ maxSize: max, onError: () => { throw errors.tooLarge(max); } });
    limits.set(max, mw);
  }
  return mw(c, next);
};

function scopeFor(path: string): Scope {
  if (path.startsWith('/v1/notebooks')) return 'notebooks';
  if (path.startsWith('/v1/keys')) return 'admin';
  return 'generate';
}

const auth: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.req.method === 'OPTIONS' || isPublic(c.req.method, c.req.path)) return next();
  return authenticate(c, async () => {
    await requireScope(scopeFor(c.req.path))(c, next);
  });
};

export function createApp(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw fromZodError(result.error, result.target === 'json' ? '' : result.target === 'header' ? '' : '');
    },
  });
  app.onError(errorResponse);
  app.notFound((c) => errorResponse(errors.notFound(`route ${c.req.method} ${c.req.path}`), c));

  app.use(
    '*',
    cors({
      origin: (origin, c) => (loadConfig((c as unknown as { env: Env }).env).corsOrigins.includes(origin) ? origin : null),
      allowMethods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
      allowHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'Prefer', 'If-Match', 'If-None-Match', 'Last-Event-ID'],
      exposeHeaders: ['ETag', 'Location', 'Retry-After', 'X-Embedding-Cache', 'Idempotent-Replayed', 'Preference-Applied', 'RateLimit-Limit', 'RateLimit-Remaining'],
      maxAge: 600,
    }),
  );
  // before the body is read or the key checked: a burst of submissions waits at the door
  app.use('*', admission);
  app.use('*', limitBody);
  app.use('*', auth);

  app.openapi(healthRoute, (c) => c.json({ status: 'ok' as const }, 200));
  registerJobRoutes(app);
  registerImageRoutes(app);
  registerOpenAiRoutes(app);
  registerModelRoutes(app);
  registerTokenizeRoutes(app);
  registerWebhookRoutes(app);
  registerNotebookRoutes(app);
  registerKeyRoutes(app);

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', description: 'an API key (npm run keys:create)' });
  app.doc31('/v1/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'imagen-ts edge API', version: '1.0.0', description: 'Text-to-image with an Imagen-style cascade: jobs, images, notebooks, and an OpenAI-compatible Images endpoint.' },
  });
  return app;
}
