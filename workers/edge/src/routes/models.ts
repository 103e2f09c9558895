// GET /v1/models: what the ready runners serve (OpenAI's list shape, plus our stages).
import type { OpenAPIHono } from '@hono/zod-openapi';
import { listModels } from '../api/routes.ts';
import type { ModelInfo } from '@imagen-ts/protocol';
import type { AppEnv } from '../app-env.ts';
import { loadConfig } from '../config.ts';
import { errors } from '../errors.ts';
import { createRunnerPool } from '../runner/runner-pool.ts';

export function registerModelRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(listModels, async (c) => {
    const pool = createRunnerPool(loadConfig(c.env));
    const models = await pool.models();
    if (models.length === 0) throw errors.unavailable(`no runner is ready (${pool.snapshot().map((r) => `${r.url}: ${r.lastError ?? 'not ready'}`).join('; ')})`);
    const data: ModelInfo[] = models.map((m) => ({
      id: m.id,
      object: 'model',
      created: 0,
      owned_by: 'imagen-ts',
      sizes: m.stages.map((s) => s.resolution),
      stages: m.stages.map((s) => ({ name: s.name, resolution: s.resolution, defaults: s.defaults, noiseAugmentation: s.lowRes?.noiseAugmentation ?? null })),
      textEncoder: { id: m.textEncoder.id, maxTokens: m.textEncoder.maxTokens },
      examplePrompts: m.examplePrompts,
    }));
    return c.json({ object: 'list' as const, data }, 200);
  });
}
