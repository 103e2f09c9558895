// ≥ 1,000 malformed or unauthenticated requests: every answer is a 4xx with the
// JSON error shape, none is a 5xx, and nothing is written anywhere.
import { listDurableObjectIds } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { call, createKey, runnerA, runnerB, stats } from './helpers.ts';

// mulberry32: a tiny seeded PRNG, so every run sends the same malformed requests
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Req {
  path: string;
  method: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  auth: 'none' | 'bad' | 'good';
}

const validGeneration = { prompt: 'a fox', seed: 1, n: 1, size: 64 };
// each makes the body invalid by itself
const badFields: [string, unknown][] = [
  ['prompt', ''],
  ['prompt', '   '],
  ['prompt', 'x'.repeat(4001)],
  ['prompt', 42],
  ['prompt', null],
  ['seed', -1],
  ['seed', 2 ** 32],
  ['seed', 1.5],
  ['seed', 'lucky'],
  ['n', 0],
  ['n', 9],
  ['n', '2'],
  ['size', 512],
  ['size', '64'],
  ['size', 65],
  ['steps', 0],
  ['steps', 1001],
  ['sampler', 'euler'],
  ['guidance', -1],
  ['guidance', 51],
  ['noiseAugmentation', -5],
  ['stages', { base64: { steps: 'ten' } }],
  ['stages', { base64: { unknown: 1 } }],
  ['stages', []],
  ['model', ''],
  ['extra', true],
  ['__proto__', { polluted: true }],
];
const badOpenAi: [string, unknown][] = [
  ['prompt', ''],
  ['n', 11],
  ['size', '512x512'],
  ['response_format', 'png'],
];
const badNotebook: unknown[] = [{}, { title: '' }, { title: 'x' }, { title: 'x'.repeat(201), content: {} }, { title: 5, content: {} }, { title: 't', content: {}, extra: 1 }, [], 'text', null];
const garbageBodies = ['', '{', '{"prompt":', 'null', '[]', '"str"', '12', '{"prompt":"a",}', '\u0000\u0001', '{"prompt":"a","n":1e999}'];
const badAuth = ['Basic Zm9vOmJhcg==', 'Bearer', 'Bearer ', 'Bearer ik_short_key', `Bearer ik_${'a'.repeat(12)}_${'b'.repeat(43)}`, 'bearer token', `Bearer ${'k'.repeat(5000)}`, 'Bearer ik_AAAAAAAAAAAA_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', 'Token abc'];
const badJobIds = ['x', 'job_', 'job_ABC', 'job_../../etc', `job_${'a'.repeat(27)}`, '%00', 'job_%2e%2e'];
const badImageIds = ['x', 'A'.repeat(64), 'g'.repeat(64), '0'.repeat(63), '0'.repeat(65)];
const routes = [
  ['POST', '/v1/generations'],
  ['GET', '/v1/jobs/job_aaaaaaaaaaaaaaaaaaaaaaaaaa'],
  ['GET', '/v1/jobs/job_aaaaaaaaaaaaaaaaaaaaaaaaaa/events'],
  ['POST', '/v1/jobs/job_aaaaaaaaaaaaaaaaaaaaaaaaaa/cancel'],
  ['POST', `/v1/images/${'a'.repeat(64)}/upscale`],
  ['GET', `/v1/images/${'a'.repeat(64)}/meta`],
  ['POST', '/v1/images/inspect'],
  ['POST', '/v1/images/generations'],
  ['GET', '/v1/models'],
  ['GET', '/v1/notebooks'],
  ['POST', '/v1/notebooks'],
  ['GET', '/v1/notebooks/nb_aaaaaaaaaaaaaaaaaaaa'],
  ['PUT', '/v1/notebooks/nb_aaaaaaaaaaaaaaaaaaaa'],
  ['DELETE', '/v1/notebooks/nb_aaaaaaaaaaaaaaaaaaaa'],
] as const;

function pick<T>(rand: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rand() * xs.length)] as T;
}

function makeRequests(count: number): Req[] {
  const rand = prng(20240601);
  const out: Req[] = [];
  const json = { 'Content-Type': 'application/json' };
  while (out.length < count) {
    const kind = Math.floor(rand() * 10);
    const [method, path] = pick(rand, routes);
    if (kind <= 1) out.push({ method, path, headers: json, body: JSON.stringify(validGeneration), auth: 'none' });
    else if (kind === 2) out.push({ method, path, headers: { ...json, Authorization: pick(rand, badAuth) }, body: JSON.stringify(validGeneration), auth: 'bad' });
    else if (kind === 3) {
      const [field, value] = pick(rand, badFields);
      const body = field === '__proto__' ? `{"prompt":"a","__proto__":${JSON.stringify(value)}}` : JSON.stringify({ ...validGeneration, [field]: value });
      out.push({ method: 'POST', path: '/v1/generations', headers: json, body, auth: 'good' });
    } else if (kind === 4) out.push({ method: 'POST', path: pick(rand, ['/v1/generations', '/v1/images/generations', '/v1/notebooks']), headers: json, body: pick(rand, garbageBodies), auth: 'good' });
    else if (kind === 5) {
      const [field, value] = pick(rand, badOpenAi);
      out.push({ method: 'POST', path: '/v1/images/generations', headers: json, body: JSON.stringify({ prompt: 'a', [field]: value }), auth: 'good' });
    } else if (kind === 6) {
      const id = pick(rand, badJobIds);
      out.push({ method: pick(rand, ['GET', 'POST']), path: `/v1/jobs/${id}${pick(rand, ['', '/events', '/cancel'])}`, headers: {}, auth: 'good' });
    } else if (kind === 7) {
      const id = pick(rand, badImageIds);
      out.push({ method: pick(rand, ['GET', 'POST']), path: `/v1/images/${id}${pick(rand, ['', '/meta', '/upscale'])}`, headers: json, body: '{}', auth: 'good' });
    } else if (kind === 8) {
      const variant = Math.floor(rand() * 6);
      if (variant === 0) out.push({ method: 'POST', path: '/v1/notebooks', headers: json, body: JSON.stringify(pick(rand, badNotebook)), auth: 'good' });
      else if (variant === 1) out.push({ method: 'PUT', path: '/v1/notebooks/nb_aaaaaaaaaaaaaaaaaaaa', headers: { ...json, 'If-Match': '"x"' }, body: JSON.stringify({ title: 't', content: {} }), auth: 'good' });
      else if (variant === 2) out.push({ method: 'POST', path: '/v1/generations', headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify(validGeneration), auth: 'good' });
      else if (variant === 3) out.push({ method: 'POST', path: '/v1/generations', headers: { ...json, Prefer: 'wait=forever' }, body: JSON.stringify(validGeneration), auth: 'good' });
      else if (variant === 4) out.push({ method: 'POST', path: '/v1/generations', headers: { ...json, 'Idempotency-Key': 'k'.repeat(300) }, body: JSON.stringify(validGeneration), auth: 'good' });
      else out.push({ method: 'POST', path: '/v1/images/inspect', headers: { 'Content-Type': pick(rand, ['image/png', 'text/plain', 'multipart/form-data; boundary=x']) }, body: 'not a png', auth: 'good' });
    } else {
      const variant = Math.floor(rand() * 4);
      if (variant === 0) out.push({ method: 'POST', path: '/v1/generations', headers: json, body: JSON.stringify({ prompt: 'y'.repeat(70_000) }), auth: 'good' });
      else if (variant === 1) out.push({ method: pick(rand, ['PATCH', 'PUT', 'DELETE']), path: '/v1/generations', headers: {}, auth: 'good' });
      else if (variant === 2) out.push({ method: 'GET', path: pick(rand, ['/v2/anything', '/v1/jobs', '/v1/', '/../etc/passwd', '/v1/images']), headers: {}, auth: pick(rand, ['good', 'none'] as const) });
      else out.push({ method: 'GET', path: '/v1/jobs/job_aaaaaaaaaaaaaaaaaaaaaaaaaa/events', headers: { 'Last-Event-ID': 'abc' }, auth: 'good' });
    }
  }
  return out;
}

async function snapshot(): Promise<Record<string, number>> {
  const count = async (table: string) => (await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${table}`).first<{ n: number }>())?.n ?? -1;
  return {
    images: await count('images'),
    lineage: await count('image_lineage'),
    notebooks: await count('notebooks'),
    apiKeys: await count('api_keys'),
    kv: (await env.EMBEDDINGS.list()).keys.length,
    r2: (await env.IMAGES.list()).objects.length,
    jobObjects: (await listDurableObjectIds(env.JOBS)).length,
    runnerJobs: (await stats(runnerA)).jobs.length + (await stats(runnerB)).jobs.length,
    embedCalls: (await stats(runnerA)).embedCalls + (await stats(runnerB)).embedCalls,
  };
}

describe('malformed and unauthenticated requests', () => {
  it('1,200 of them: all 4xx with the JSON error shape, no 5xx, nothing written', async () => {
    const { key } = await createKey(['generate', 'notebooks'], 1_000_000);
    const before = await snapshot();
    const requests = makeRequests(1200);
    const statuses = new Map<number, number>();
    for (const r of requests) {
      const headers = { ...r.headers };
      if (r.auth === 'good') headers.Authorization = `Bearer ${key}`;
      const res = await call(r.path, { method: r.method, headers, ...(r.body !== undefined && r.method !== 'GET' ? { body: r.body } : {}) });
      const where = `${r.method} ${r.path} (${r.auth}) ${typeof r.body === 'string' ? r.body.slice(0, 80) : ''}`;
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      expect(res.status, where).toBeGreaterThanOrEqual(400);
      expect(res.status, where).toBeLessThan(500);
      expect(res.headers.get('content-type'), where).toContain('application/json');
      const body = await res.json<{ error?: { code?: unknown; message?: unknown } }>();
      expect(typeof body.error?.code, where).toBe('string');
      expect(typeof body.error?.message, where).toBe('string');
    }
    expect(await snapshot()).toEqual(before);
    // the mix really covers auth, validation, not-found, size and method errors
    for (const s of [400, 401, 404, 413]) expect(statuses.get(s) ?? 0, `status ${s}`).toBeGreaterThan(10);
  });
});
