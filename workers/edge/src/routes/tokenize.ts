// POST /v1/tokenize: a prompt through the model's own tokenizer (token count,
// truncation at maxTokens, unknown words), for prompting help before a run.
// Asked of a ready runner (no encoder run there) and cached in KV under the
// tokenizer's identity (the encoder's id, sha256 and maxTokens) and the prompt,
// so the answer never goes stale and a notebook typing the same prompt again
// costs no runner call.
import type { OpenAPIHono } from '@hono/zod-openapi';
import { TokenizeResult } from '@imagen-ts/protocol';
import { tokenizePrompt } from '../api/routes.ts';
import type { AppEnv } from '../app-env.ts';
import { loadConfig } from '../config.ts';
import { errors } from '../errors.ts';
import { sha256HexOf } from '../keys.ts';
import { createRunnerPool, RunnerUnavailableError } from '../runner/runner-pool.ts';

const ttlSeconds = 365 * 24 * 3600;

export async function tokenizeCacheKey(encoder: { id: string; sha256: string; maxTokens: number }, prompt: string): Promise<string> {
  return `tok:v1:${await sha256HexOf(JSON.stringify([encoder.id, encoder.sha256, encoder.maxTokens, prompt]))}`;
}

export function registerTokenizeRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(tokenizePrompt, async (c) => {
    const { prompt, model } = c.req.valid('json');
    const pool = createRunnerPool(loadConfig(c.env));
    let handle;
    try {
      handle = await pool.pick(model !== undefined ? { modelId: model } : {});
    } catch (e) {
      if (e instanceof RunnerUnavailableError) throw errors.unavailable(e.message);
      throw e;
    }
    const key = await tokenizeCacheKey(handle.model.textEncoder, prompt);
    const hit = await c.env.EMBEDDINGS.get(key, 'json');
    const cached = TokenizeResult.safeParse(hit);
    if (hit !== null && cached.success) return c.json(cached.data, 200, { 'X-Cache': 'hit' });

    let res: Response;
    try {
      res = await pool.request(handle.spec, { method: 'POST', path: '/v1/tokenize', body: JSON.stringify({ prompt }), timeoutMs: 10_000 });
    } catch (e) {
      throw errors.unavailable(`runner ${handle.spec.url} /v1/tokenize: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (res.status === 404) throw errors.upstream(`the runner serving "${handle.model.id}" cannot tokenize (an older runner)`);
    if (!res.ok) throw errors.unavailable(`runner /v1/tokenize answered ${res.status}: ${(await res.text().catch(() => '')).slice(0, 300)}`);
    const parsed = TokenizeResult.safeParse(await res.json().catch(() => undefined));
    if (!parsed.success) throw errors.upstream(`runner /v1/tokenize sent an unexpected answer: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    await c.env.EMBEDDINGS.put(key, JSON.stringify(parsed.data), { expirationTtl: ttlSeconds });
    return c.json(parsed.data, 200, { 'X-Cache': 'miss' });
  });
}
