// Routing, validation, auth, idempotency and queue mechanics, in-process on the
// FAKE engine (the engine is not the subject here; runner.int.test.ts runs the real one).
import { describe, expect, it } from 'vitest';
import { decodeEmbeddings, encoderHeaders } from '@imagen-ts/protocol';
import { createVerifier } from '@imagen-ts/protocol';
import { createFakeService, signedInit, testKey, waitForJob } from './testing/harness.ts';

interface ErrorBody {
  error: { code: string; message: string; field?: string; allowed?: unknown[] };
}

async function expectError(res: Response, status: number, code: string, field?: string): Promise<ErrorBody['error']> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const body = (await res.json()) as ErrorBody;
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  if (field !== undefined) expect(body.error.field).toBe(field);
  return body.error;
}

const job = (id: string, extra: Record<string, unknown> = {}) => ({ id, prompt: 'a red cube', size: 64, seed: 1, ...extra });

describe('auth', () => {
  it('health is public; everything else needs a valid signature', async () => {
    const { service, call } = createFakeService();
    expect((await service.app.request('/v2/health/live')).status).toBe(200);
    expect((await service.app.request('/v2/health/ready')).status).toBe(200);
    await expectError(await service.app.request('/v1/jobs/x'), 401, 'unauthorized');
    await expectError(await service.app.request('/metrics'), 401, 'unauthorized');
    await expectError(await service.app.request('/nope'), 401, 'unauthorized');
    const init = await signedInit('GET', '/v1/jobs/x', undefined, { keyId: testKey.keyId, secret: 'wrong-secret-wrong-secret' });
    const err = await expectError(await service.app.request('/v1/jobs/x', init), 401, 'unauthorized');
    expect(err.message).toContain('bad signature');
    // a signature for another path does not open this one
    const other = await signedInit('GET', '/v1/jobs/y');
    await expectError(await service.app.request('/v1/jobs/x', other), 401, 'unauthorized');
    // replaying a used request is refused
    const once = await signedInit('GET', '/v1/jobs/x');
    await expectError(await service.app.request('/v1/jobs/x', once), 404, 'job_not_found');
    expect((await expectError(await service.app.request('/v1/jobs/x', once), 401, 'unauthorized')).message).toContain('replayed');
    await expectError(await call('GET', '/nope'), 404, 'not_found');
    expect((await call('GET', '/metrics')).status).toBe(200);
  });

  it('ready is 503 until the engine is attached and warmed', async () => {
    const { createRunnerService } = await import('./app.ts');
    const { createLogger } = await import('./log.ts');
    const { testConfig } = await import('./testing/harness.ts');
    const s = createRunnerService(testConfig, { logger: createLogger({ logPrompts: false, quiet: true }) });
    await expectError(await s.app.request('/v2/health/ready'), 503, 'not_ready');
    await expectError(await s.app.request('/v1/jobs', await signedInit('POST', '/v1/jobs', job('a'))), 503, 'not_ready');
  });
});

describe('POST /v1/jobs validation', () => {
  const cases: Array<[string, unknown, string, string | undefined]> = [
    ['no prompt', { id: 'a', size: 64 }, 'invalid_request', 'prompt'],
    ['bad id', job('has space'), 'invalid_request', 'id'],
    ['size not a stage', job('a', { size: 128 }), 'invalid_request', 'size'],
    ['n too big', job('a', { n: 99 }), 'invalid_request', 'n'],
    ['seed negative', job('a', { seed: -1 }), 'invalid_request', 'seed'],
    ['unknown field', job('a', { colour: 'red' }), 'invalid_request', undefined],
    ['unknown stage', job('a', { stages: { sr9000: { steps: 2 } } }), 'invalid_request', 'stages.sr9000'],
    ['bad sampler', job('a', { stages: { base64: { sampler: 'euler' } } }), 'invalid_request', 'stages.base64.sampler'],
    ['steps 0', job('a', { stages: { base64: { steps: 0 } } }), 'invalid_request', 'stages.base64.steps'],
    ['noise aug on base', job('a', { stages: { base64: { noiseAugmentation: 3 } } }), 'invalid_request', 'stages.base64.noiseAugmentation'],
    ['bad embeddings', job('a', { embeddings: 'AAAA' }), 'invalid_request', 'embeddings'],
    ['init not png', job('a', { size: 256, init: { image: 'AAAA', fromStage: 'sr256' } }), 'invalid_request', 'init.image'],
    ['init base stage', job('a', { size: 256, init: { image: 'AAAA', fromStage: 'base64' } }), 'invalid_request', 'init.fromStage'],
    ['callback off-list', job('a', { callbackUrl: 'https://evil.example/cb' }), 'callback_not_allowed', 'callbackUrl'],
    ['callback not a url', job('a', { callbackUrl: 'file:///etc/passwd' }), 'invalid_request', 'callbackUrl'],
  ];
  it.each(cases)('%s → 400 naming the field', async (_name, body, code, field) => {
    const { call } = createFakeService();
    await expectError(await call('POST', '/v1/jobs', body), 400, code, field);
  });

  it('lists the allowed values for enums and sizes', async () => {
    const { call } = createFakeService();
    expect((await expectError(await call('POST', '/v1/jobs', job('a', { size: 128 })), 400, 'invalid_request')).allowed).toEqual([64, 256, 1024]);
    expect((await expectError(await call('POST', '/v1/jobs', job('a', { stages: { base64: { sampler: 'euler' } } })), 400, 'invalid_request')).allowed).toEqual(['ddpm', 'ddim', 'dpmpp-2m']);
    expect((await expectError(await call('POST', '/v1/jobs', job('a', { stages: { x: {} } })), 400, 'invalid_request')).allowed).toEqual(['base64', 'sr256', 'sr1024']);
  });

  it('rejects non-JSON and oversized bodies', async () => {
    const { call } = createFakeService({ maxBodyBytes: 2048 });
    await expectError(await call('POST', '/v1/jobs', '{"id":'), 400, 'invalid_json');
    await expectError(await call('POST', '/v1/jobs', job('a', { prompt: 'x'.repeat(3000) })), 413, 'body_too_large');
  });
});

describe('jobs', () => {
  it('runs a job; same id + same body is the same job, another body is 409', async () => {
    const { call } = createFakeService();
    const first = await call('POST', '/v1/jobs', job('j1'));
    expect(first.status).toBe(202);
    expect(first.headers.get('location')).toBe('/v1/jobs/j1');
    const done = await waitForJob(call, 'j1');
    expect(done.status).toBe('succeeded');
    // key order differs, content does not
    const again = await call('POST', '/v1/jobs', { seed: 1, size: 64, prompt: 'a red cube', id: 'j1' });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { job: { status: string } }).job.status).toBe('succeeded');
    await expectError(await call('POST', '/v1/jobs', job('j1', { seed: 2 })), 409, 'job_id_conflict', 'id');
  });

  it('serves images with an ETag and answers If-None-Match with 304', async () => {
    const { service, call } = createFakeService();
    await call('POST', '/v1/jobs', job('img', { n: 2 }));
    const done = (await waitForJob(call, 'img')) as { images: { sha256: string; pixelSha256: string; url: string }[] };
    expect(done.images).toHaveLength(2);
    // beside the file hash, the engine's pixel hash of the same image
    expect(done.images.map((i) => i.pixelSha256)).toEqual(done.images.map(() => expect.stringMatching(/^[0-9a-f]{64}$/) as unknown));
    expect(done.images[0]?.pixelSha256).not.toBe(done.images[0]?.sha256);
    const res = await call('GET', '/v1/jobs/img/images/1');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('etag')).toBe(`"${done.images[1]?.sha256}"`);
    const png = new Uint8Array(await res.arrayBuffer());
    expect([...png.subarray(1, 4)]).toEqual([0x50, 0x4e, 0x47]);
    const init = await signedInit('GET', '/v1/jobs/img/images/1');
    const cached = await service.app.request('/v1/jobs/img/images/1', { ...init, headers: { ...(init.headers as Record<string, string>), 'if-none-match': `"${done.images[1]?.sha256}"` } });
    expect(cached.status).toBe(304);
    await expectError(await call('GET', '/v1/jobs/img/images/2'), 404, 'image_not_found');
    await expectError(await call('GET', '/v1/jobs/img/images/abc'), 404, 'image_not_found');
    await expectError(await call('GET', '/v1/jobs/nope/images/0'), 404, 'job_not_found');
  });

  it('queue full → 429 with Retry-After', async () => {
    const { call } = createFakeService({ queueLimit: 1, maxBatch: 1 }, { stepMs: 20 });
    expect((await call('POST', '/v1/jobs', job('q1'))).status).toBe(202);
    await new Promise((r) => setTimeout(r, 30)); // q1 leaves the queue for the engine
    expect((await call('POST', '/v1/jobs', job('q2'))).status).toBe(202);
    const res = await call('POST', '/v1/jobs', job('q3'));
    await expectError(res, 429, 'queue_full');
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    await call('POST', '/v1/jobs/q1/cancel');
    await call('POST', '/v1/jobs/q2/cancel');
  });

  it('cancels a queued job at once and a running one between steps', async () => {
    const { call } = createFakeService({ maxBatch: 1 }, { stepMs: 20 });
    await call('POST', '/v1/jobs', job('c1'));
    await call('POST', '/v1/jobs', job('c2'));
    await new Promise((r) => setTimeout(r, 50));
    expect((await call('POST', '/v1/jobs/c2/cancel')).status).toBe(202);
    expect((await call('POST', '/v1/jobs/c1/cancel')).status).toBe(202);
    const c1 = await waitForJob(call, 'c1');
    const c2 = await waitForJob(call, 'c2');
    expect([c1.status, c2.status]).toEqual(['canceled', 'canceled']);
    expect((c1.progress as { step: number }).step).toBeLessThan(10);
    expect(c2.startedAt).toBeNull();
    await expectError(await call('POST', '/v1/jobs/c1/cancel'), 409, 'job_finished');
  });

  it('batches compatible jobs and keeps incompatible ones apart', async () => {
    const { call, engine } = createFakeService({ maxBatch: 4, batchWaitMs: 200 });
    await Promise.all([call('POST', '/v1/jobs', job('b1')), call('POST', '/v1/jobs', job('b2', { seed: 7 })), call('POST', '/v1/jobs', job('b3', { size: 256 }))]);
    const [b1, b2, b3] = [await waitForJob(call, 'b1'), await waitForJob(call, 'b2'), await waitForJob(call, 'b3')];
    const batch = (j: Record<string, unknown>) => j.batch as { id: number; size: number };
    expect(batch(b1).id).toBe(batch(b2).id);
    expect(batch(b1).size).toBe(2);
    expect(batch(b3).id).not.toBe(batch(b1).id);
    expect(engine.batches.toSorted()).toEqual([1, 2]);
  });

  it('enforces the per-job deadline, running or queued', async () => {
    const { call } = createFakeService({ maxBatch: 1, jobDeadlineMs: 80 }, { stepMs: 20 });
    await call('POST', '/v1/jobs', job('d1'));
    await call('POST', '/v1/jobs', job('d2'));
    const [d1, d2] = [await waitForJob(call, 'd1'), await waitForJob(call, 'd2')];
    expect(d1.error).toMatchObject({ code: 'deadline_exceeded', retryable: false });
    expect((d1.progress as { step: number }).step).toBeLessThan(10);
    expect(d2.error).toMatchObject({ code: 'deadline_exceeded' });
    expect(d2.startedAt).toBeNull();
  });

  it('an engine that throws fails the job (never left running)', async () => {
    const { call, engine } = createFakeService();
    engine.failWith = new Error('CUDA error: an illegal memory access');
    await call('POST', '/v1/jobs', job('boom'));
    const done = await waitForJob(call, 'boom');
    expect(done.status).toBe('failed');
    expect(done.error).toMatchObject({ code: 'engine_error', retryable: true });
  });

  it('failAll (the crash path) marks running and queued jobs failed', async () => {
    const { service, call } = createFakeService({ maxBatch: 1 }, { stepMs: 50 });
    await call('POST', '/v1/jobs', job('r1'));
    await call('POST', '/v1/jobs', job('r2'));
    await new Promise((r) => setTimeout(r, 30));
    service.failAll('runner_crashed', 'test crash');
    for (const id of ['r1', 'r2']) {
      const j = service.store.get(id);
      expect(j?.status).toBe('failed');
      expect(j?.events.at(-1)?.type).toBe('failed');
    }
  });

  it('shutdown: 503 for new work, queued jobs failed, running job finishes', async () => {
    const { service, call } = createFakeService({ maxBatch: 1 }, { stepMs: 5 });
    await call('POST', '/v1/jobs', job('s1'));
    await call('POST', '/v1/jobs', job('s2'));
    await new Promise((r) => setTimeout(r, 20));
    const drained = service.shutdown(10_000);
    await expectError(await call('POST', '/v1/jobs', job('s3')), 503, 'shutting_down');
    await expectError(await service.app.request('/v2/health/ready'), 503, 'shutting_down');
    await drained;
    expect(service.store.get('s1')?.status).toBe('succeeded');
    expect(service.store.get('s2')?.failure).toMatchObject({ code: 'shutting_down', retryable: true });
  });
});

describe('POST /v1/embed', () => {
  it('returns the codec with encoder id and sha256', async () => {
    const { call, engine } = createFakeService();
    const res = await call('POST', '/v1/embed', { prompts: ['a', 'bb'] });
    expect(res.status).toBe(200);
    expect(res.headers.get(encoderHeaders.id)).toBe(engine.manifest.textEncoder.id);
    expect(res.headers.get(encoderHeaders.sha256)).toBe(engine.manifest.textEncoder.sha256);
    const { header, embeddings } = decodeEmbeddings(new Uint8Array(await res.arrayBuffer()));
    expect(header).toMatchObject({ batch: 2, tokens: 32, hidden: 16, encoderId: engine.manifest.textEncoder.id });
    expect(embeddings.attentionMask[0]).toBe(1n);
    await expectError(await call('POST', '/v1/embed', { prompts: [] }), 400, 'invalid_request', 'prompts');
    await expectError(await call('POST', '/v1/embed', { prompts: [1] }), 400, 'invalid_request', 'prompts.0');
  });

  it('past RUNNER_EMBED_QUEUE_LIMIT calls at once: 429 queue_full with Retry-After, and room again once they finish', async () => {
    const { call, engine } = createFakeService({ embedQueueLimit: 2 });
    const encode = engine.encode.bind(engine);
    let release = (): void => undefined;
    const gate = new Promise<void>((r) => (release = r));
    engine.encode = async (prompts) => {
      await gate;
      return encode(prompts);
    };
    const held = [call('POST', '/v1/embed', { prompts: ['a'] }), call('POST', '/v1/embed', { prompts: ['b'] })];
    await new Promise((r) => setTimeout(r, 20));
    const refused = await call('POST', '/v1/embed', { prompts: ['c'] });
    expect(refused.headers.get('retry-after')).toBe('1');
    expect((await expectError(refused, 429, 'queue_full')).message).toContain('RUNNER_EMBED_QUEUE_LIMIT = 2');
    release();
    expect((await Promise.all(held)).map((r) => r.status)).toEqual([200, 200]);
    expect((await call('POST', '/v1/embed', { prompts: ['c'] })).status).toBe(200);
  });
});

describe('callbacks', () => {
  it('posts signed events in order to an allow-listed URL', async () => {
    const seen: { type: string; ok: boolean; id: number }[] = [];
    const verify = createVerifier({ keys: { [testKey.keyId]: testKey.secret } });
    const fakeFetch = (async (url: string | URL | Request, init?: RequestInit) => {
      const u = new URL(url as string);
      const body = new TextEncoder().encode(init?.body as string);
      const r = await verify({ method: 'POST', path: u.pathname, host: u.host, headers: new Headers(init?.headers), body });
      const payload = JSON.parse(init?.body as string) as { event: { type: string; id: number } };
      seen.push({ type: payload.event.type, ok: r.ok, id: payload.event.id });
      return new Response(null, { status: 204 });
    }) as typeof fetch;
    const { call, service } = createFakeService({}, { fetch: fakeFetch });
    await call('POST', '/v1/jobs', job('cb', { callbackUrl: 'http://127.0.0.1:9/hook' }));
    await waitForJob(call, 'cb');
    await service.callbacks.flush(2000);
    expect(seen.every((s) => s.ok)).toBe(true);
    expect(seen[0]?.type).toBe('queued');
    expect(seen[1]?.type).toBe('started');
    expect(seen.at(-1)?.type).toBe('succeeded');
    const ids = seen.map((s) => s.id);
    expect(ids).toEqual(ids.toSorted((a, b) => a - b));
  });
});
