import { describe, expect, it } from 'vitest';
import { call, createKey } from '../../test/helpers.ts';
import { fakeModel } from '../../test/fake-runner.ts';

describe('OpenAI Images API shape', () => {
  it('POST /v1/images/generations answers {created, data:[{url}]}; b64_json inlines the PNG', async () => {
    const { key } = await createKey();
    const res = await call('/v1/images/generations', { method: 'POST', key, json: { prompt: 'a kite', n: 2, size: '64x64' } });
    expect(res.status).toBe(200);
    const body = await res.json<{ created: number; data: { url?: string; b64_json?: string }[] }>();
    expect(body.created).toBeGreaterThan(1_600_000_000);
    expect(body.data).toHaveLength(2);
    expect(body.data[0]?.url).toMatch(/^http:\/\/edge\.test\/v1\/images\/[0-9a-f]{64}$/);

    const b64 = await (await call('/v1/images/generations', { method: 'POST', key, json: { prompt: 'a kite', size: '64x64', response_format: 'b64_json', quality: 'hd', user: 'u1' } })).json<{ data: { b64_json: string }[] }>();
    const bytes = Uint8Array.from(atob(b64.data[0]?.b64_json ?? ''), (ch) => ch.charCodeAt(0));
    expect([...bytes.subarray(1, 4)].map((b) => String.fromCharCode(b)).join('')).toBe('PNG');
  });

  it('an unsupported size is a 400 naming the allowed sizes', async () => {
    const { key } = await createKey();
    const res = await call('/v1/images/generations', { method: 'POST', key, json: { prompt: 'a kite', size: '512x512' } });
    expect(res.status).toBe(400);
    expect((await res.json<{ error: { field: string; allowed: string[] } }>()).error).toMatchObject({ field: 'size', allowed: ['64x64', '256x256', '1024x1024'] });
  });
});

describe('discovery', () => {
  it('GET /v1/openapi.json documents every route', async () => {
    const res = await call('/v1/openapi.json');
    expect(res.status).toBe(200);
    const doc = await res.json<{ openapi: string; paths: Record<string, Record<string, unknown>>; components: { securitySchemes: Record<string, unknown>; schemas: Record<string, unknown> } }>();
    expect(doc.openapi).toBe('3.1.0');
    // the protocol package's schemas keep their names (zod .meta({ id })) in the document
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['Error', 'GenerationRequest', 'UpscaleRequest', 'Job', 'ImageMeta', 'InspectResult', 'WebhookPayload', 'WebhookSecret']));
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        '/health',
        '/v1/generations',
        '/v1/images/generations',
        '/v1/images/inspect',
        '/v1/images/{id}',
        '/v1/images/{id}/meta',
        '/v1/images/{id}/upscale',
        '/v1/jobs/{id}',
        '/v1/jobs/{id}/cancel',
        '/v1/jobs/{id}/events',
        '/v1/keys/{id}/revoke',
        '/v1/models',
        '/v1/notebooks',
        '/v1/notebooks/{id}',
        '/v1/tokenize',
        '/v1/webhooks/secret',
      ].sort(),
    );
    expect(Object.keys(doc.paths['/v1/notebooks/{id}'] ?? {}).sort()).toEqual(['delete', 'get', 'put']);
    expect(doc.components.securitySchemes.bearer).toBeDefined();
  });

  it('GET /v1/models lists what the runners serve', async () => {
    const { key } = await createKey();
    const body = await (await call('/v1/models', { key })).json<{ object: string; data: { id: string; sizes: number[]; stages: { name: string }[] }[] }>();
    expect(body.object).toBe('list');
    expect(body.data).toHaveLength(1);
    // with the runner's example prompts, for the notebook's placeholder
    expect(body.data[0]).toMatchObject({ id: 'fake-cascade', sizes: [64, 256, 1024], examplePrompts: fakeModel.examplePrompts });
    expect(body.data[0]?.stages.map((s) => s.name)).toEqual(['base64', 'sr256', 'sr1024']);
  });
});
