// The REAL runner: src/server.ts as a child process with the tiny fixture model
// (models/fixtures/tiny), on a random free port, over HTTP. Jobs, SSE, cancel,
// batching, 429, idempotency, a fuzz of malformed/unsigned requests.
// Drain and callbacks are in runner-drain.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePngRgb } from '../png/index.ts';
import { bytesToBase64, RunnerSucceededEvent } from '@imagen-ts/protocol';
import { createHash } from 'node:crypto';
import { fuzzRequests } from './testing/fuzz.ts';
import { readSse, spawnRunner, type SpawnedRunner } from './testing/spawn-runner.ts';

let A: SpawnedRunner;
const secretPrompt = 'a lighthouse made of glass, prompt-canary-7f3a';

beforeAll(async () => {
  A = await spawnRunner({
    RUNNER_MAX_BATCH: '4',
    RUNNER_BATCH_WAIT_MS: '300',
    RUNNER_QUEUE_LIMIT: '2',
    RUNNER_PREVIEW_EVERY: '5',
    RUNNER_MAX_BODY_BYTES: '65536',
    // no embedding cache: every encoding runs the text encoder, so its counter shows the ones a job skips
    RUNNER_EMBEDDING_CACHE: '0',
  });
});
afterAll(async () => {
  await A.stop();
});

type JobJson = Record<string, unknown> & { status: string; batch: { id: number; size: number; jobs: number } | null; images: { sha256: string; url: string }[] };

async function submit(body: Record<string, unknown>): Promise<Response> {
  return A.call('POST', '/v1/jobs', body);
}

async function waitDone(id: string, timeoutMs = 20_000): Promise<JobJson> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await A.call('GET', `/v1/jobs/${id}`);
    expect(res.status).toBe(200);
    const { job } = (await res.json()) as { job: JobJson };
    if (['succeeded', 'failed', 'canceled'].includes(job.status)) return job;
    if (Date.now() > until) throw new Error(`job ${id} still ${job.status}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function imageRgb(id: string, i = 0): Promise<Uint8Array> {
  const res = await A.call('GET', `/v1/jobs/${id}/images/${i}`);
  expect(res.status).toBe(200);
  return decodePngRgb(new Uint8Array(await res.arrayBuffer())).rgb;
}

describe('real runner (fixture model)', () => {
  it('is live and ready, and refuses unsigned work', async () => {
    expect((await fetch(`${A.base}/v2/health/live`)).status).toBe(200);
    const ready = (await (await fetch(`${A.base}/v2/health/ready`)).json()) as { status: string; model: string };
    expect(ready).toMatchObject({ status: 'ready', model: 'imagen-ts-tiny-fixture' });
    const res = await fetch(`${A.base}/v1/jobs`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(401);
  });

  it('embeddings from /v1/embed passed back in a job give byte-identical pixels to the prompt', async () => {
    const emb = await A.call('POST', '/v1/embed', { prompts: [secretPrompt] });
    expect(emb.status).toBe(200);
    const b64 = bytesToBase64(new Uint8Array(await emb.arrayBuffer()));
    expect((await submit({ id: 'emb-prompt', prompt: secretPrompt, seed: 5, size: 64 })).status).toBe(202);
    expect((await waitDone('emb-prompt')).status).toBe('succeeded');
    expect((await submit({ id: 'emb-vec', embeddings: b64, seed: 5, size: 64 })).status).toBe(202);
    expect((await waitDone('emb-vec')).status).toBe('succeeded');
    const [fromPrompt, fromVec] = [await imageRgb('emb-prompt'), await imageRgb('emb-vec')];
    expect(fromPrompt.length).toBe(64 * 64 * 3);
    expect(Buffer.from(fromVec).equals(Buffer.from(fromPrompt))).toBe(true);
    // ...and the comparison can fail: another seed gives other pixels
    expect((await submit({ id: 'emb-seed6', embeddings: b64, seed: 6, size: 64 })).status).toBe(202);
    await waitDone('emb-seed6');
    expect(Buffer.from(await imageRgb('emb-seed6')).equals(Buffer.from(fromPrompt))).toBe(false);
  });

  it('a job with embeddings and negativeEmbeddings runs the text encoder zero times and matches the prompt-only job', async () => {
    const runs = async () => Number(/^imagen_runner_text_encoder_runs_total (\d+)$/m.exec(await (await A.call('GET', '/metrics')).text())?.[1]);
    const embed = async (p: string) => {
      const res = await A.call('POST', '/v1/embed', { prompts: [p] });
      expect(res.status).toBe(200);
      return bytesToBase64(new Uint8Array(await res.arrayBuffer()));
    };
    const run = async (body: Record<string, unknown>) => {
      expect((await submit({ seed: 8, size: 64, ...body })).status).toBe(202);
      expect((await waitDone(body.id as string)).status).toBe('succeeded');
      return Buffer.from(await imageRgb(body.id as string));
    };
    const prompt = 'a copper kettle on a stove';
    const negative = 'blurry, low contrast';
    const r0 = await runs();
    // the fixture's null prompt is 'empty-prompt': its embeddings are those of ""
    const [pos, nul, neg] = [await embed(prompt), await embed(''), await embed(negative)];
    expect(await runs()).toBe(r0 + 3);
    // base64's default guidance is 4, so each job needs an unconditional input too
    const bothNull = await run({ id: 'both-null', embeddings: pos, negativeEmbeddings: nul });
    const bothNeg = await run({ id: 'both-neg', embeddings: pos, negativeEmbeddings: neg });
    expect(await runs()).toBe(r0 + 3);
    const textNull = await run({ id: 'text-null', prompt });
    expect(await runs()).toBe(r0 + 5);
    const textNeg = await run({ id: 'text-neg', prompt, negativePrompt: negative });
    expect(await runs()).toBe(r0 + 7);
    // embeddings without negativeEmbeddings: the runner encodes the null prompt itself
    const posOnly = await run({ id: 'pos-only', embeddings: pos });
    expect(await runs()).toBe(r0 + 8);
    expect(bothNull.equals(textNull)).toBe(true);
    expect(posOnly.equals(textNull)).toBe(true);
    expect(bothNeg.equals(textNeg)).toBe(true);
    // ...and the comparisons can fail: the negative prompt changes the pixels
    expect(bothNeg.equals(bothNull)).toBe(false);
  });

  it('GET /v1/model describes the loaded model and engine', async () => {
    const res = await A.call('GET', '/v1/model');
    expect(res.status).toBe(200);
    const model = (await res.json()) as { id: string; negativeEmbeddings: boolean; textEncoder: Record<string, unknown>; stages: { name: string }[]; engine: { provider: string; ortVersion: string; prng: string } };
    expect(model).toMatchObject({ id: 'imagen-ts-tiny-fixture', negativeEmbeddings: true, textEncoder: { id: 'imagen-ts-tiny-t5', maxTokens: 32, hiddenSize: 16, nullPrompt: 'empty-prompt' } });
    expect(model.stages.map((s) => s.name)).toEqual(['base64', 'sr256', 'sr1024']);
    expect(model.engine.provider).toBe('cpu');
    expect(model.engine.ortVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(model.engine.prng.length).toBeGreaterThan(0);
    // the same encoder identity as /v1/embed's headers
    const emb = await A.call('POST', '/v1/embed', { prompts: ['x'] });
    expect(emb.headers.get('x-imagen-encoder-sha256')).toBe(model.textEncoder.sha256);
    await emb.body?.cancel();
  });

  it('streams SSE events with ids, and Last-Event-ID resumes after the given event', async () => {
    expect((await submit({ id: 'sse', prompt: 'x', seed: 1, size: 64 })).status).toBe(202);
    const events = await readSse(await A.call('GET', '/v1/jobs/sse/events'));
    const types = events.map((e) => e.event);
    expect(types[0]).toBe('queued');
    expect(types[1]).toBe('started');
    expect(types.at(-1)).toBe('succeeded');
    const progress = events.filter((e) => e.event === 'progress');
    expect(progress.map((e) => e.data.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(progress.every((e) => e.data.stage === 'base64' && e.data.total === 10)).toBe(true);
    // RUNNER_PREVIEW_EVERY=5: a preview PNG on steps 5 and 10
    const previews = progress.filter((e) => typeof e.data.preview === 'string');
    expect(previews.map((e) => e.data.step)).toEqual([5, 10]);
    const png = Buffer.from(previews[0]?.data.preview as string, 'base64');
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    // and every image's preview (here the one image's) on the latest one
    expect(previews.at(-1)?.data.previews).toEqual([previews.at(-1)?.data.preview]);
    // the small PNG rides inline in `succeeded`: the bytes GET .../images/0 answers, under their sha256
    const done = RunnerSucceededEvent.parse(events.at(-1)?.data);
    const inline = Buffer.from(done.images[0]?.png ?? '', 'base64');
    expect(createHash('sha256').update(inline).digest('hex')).toBe(done.images[0]?.sha256);
    expect(Buffer.from(await (await A.call('GET', '/v1/jobs/sse/images/0')).arrayBuffer()).equals(inline)).toBe(true);
    const ids = events.map((e) => e.id);
    expect(ids).toEqual(ids.map((_, i) => i + 1));
    const resumed = await readSse(await A.call('GET', '/v1/jobs/sse/events', undefined, { 'last-event-id': '7' }));
    expect(resumed.map((e) => e.id)).toEqual(ids.filter((id) => id > 7));
  });

  it('cancels a running job between steps', async () => {
    expect((await submit({ id: 'cancel-me', prompt: 'x', seed: 1, size: 1024 })).status).toBe(202);
    const stream = await A.call('GET', '/v1/jobs/cancel-me/events');
    let canceled = false;
    const events = await readSse(stream, (e) => {
      if (e.event === 'progress' && !canceled) {
        canceled = true;
        void A.call('POST', '/v1/jobs/cancel-me/cancel').then((r) => expect(r.status).toBe(202));
      }
      return e.event === 'canceled';
    });
    const job = await waitDone('cancel-me');
    expect(job.status).toBe('canceled');
    const last = events.at(-1);
    expect(last?.event).toBe('canceled');
    // stopped long before the 10 + 4 + 2 steps of the 1024 px cascade
    const steps = events.filter((e) => e.event === 'progress').length;
    expect(steps).toBeLessThan(16);
    expect(events.some((e) => e.event === 'progress' && e.data.stage === 'sr1024')).toBe(false);
  });

  it('runs two compatible jobs in one engine batch', async () => {
    const [r1, r2] = await Promise.all([submit({ id: 'batch-a', prompt: 'a', seed: 1, size: 64 }), submit({ id: 'batch-b', prompt: 'b', seed: 2, size: 64 })]);
    expect([r1.status, r2.status]).toEqual([202, 202]);
    const [a, b] = [await waitDone('batch-a'), await waitDone('batch-b')];
    expect(a.batch?.id).toBe(b.batch?.id);
    expect(a.batch).toMatchObject({ size: 2, jobs: 2 });
    const metrics = await (await A.call('GET', '/metrics')).text();
    expect(metrics).toMatch(/imagen_runner_batch_size_bucket\{le="2"\} [1-9]/);
    expect(metrics).toMatch(/imagen_runner_jobs_total\{outcome="succeeded",code=""\} [1-9]/);
    expect(metrics).toMatch(/imagen_runner_step_seconds_count\{stage="base64"\} [1-9]/);
    expect(metrics).toContain('imagen_runner_queue_depth 0');
  });

  it('same id + same body is the same job (200); another body is 409', async () => {
    const body = { id: 'idem', prompt: 'same', seed: 3, size: 64 };
    expect((await submit(body)).status).toBe(202);
    const again = await submit({ size: 64, seed: 3, prompt: 'same', id: 'idem' });
    expect(again.status).toBe(200);
    const conflict = await submit({ ...body, seed: 4 });
    expect(conflict.status).toBe(409);
    expect(((await conflict.json()) as { error: { code: string } }).error.code).toBe('job_id_conflict');
    const done = await waitDone('idem');
    const etag = `"${done.images[0]?.sha256}"`;
    const img = await A.call('GET', '/v1/jobs/idem/images/0');
    expect(img.headers.get('etag')).toBe(etag);
    await img.body?.cancel();
    expect((await A.call('GET', '/v1/jobs/idem/images/0', undefined, { 'if-none-match': etag })).status).toBe(304);
  });

  it('a full queue answers 429 with Retry-After', async () => {
    expect((await submit({ id: 'busy', prompt: 'x', seed: 1, size: 1024 })).status).toBe(202);
    for (;;) {
      const { job } = (await (await A.call('GET', '/v1/jobs/busy')).json()) as { job: JobJson };
      if (job.status !== 'queued') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect((await submit({ id: 'wait-1', prompt: 'x', seed: 1, size: 256 })).status).toBe(202);
    expect((await submit({ id: 'wait-2', prompt: 'x', seed: 2, size: 256 })).status).toBe(202);
    const full = await submit({ id: 'wait-3', prompt: 'x', seed: 3, size: 256 });
    expect(full.status).toBe(429);
    expect(Number(full.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await full.json()) as { error: { code: string } }).error.code).toBe('queue_full');
    // clean up; the busy job may already have finished on a fast machine, and then the next one started
    for (const id of ['wait-2', 'wait-1', 'busy']) await (await A.call('POST', `/v1/jobs/${id}/cancel`)).body?.cancel();
    for (const id of ['busy', 'wait-1', 'wait-2']) expect(['canceled', 'succeeded']).toContain((await waitDone(id)).status);
  });

  it('answers ≥ 1,000 malformed or unsigned requests with 4xx JSON, never 5xx, and stays healthy', async () => {
    const requests = fuzzRequests({ seed: 42, count: 1200, key: A.key, maxBodyBytes: 65536, host: `127.0.0.1:${A.port}` });
    const problems: string[] = [];
    const statuses = new Map<number, number>();
    for (let i = 0; i < requests.length; i += 24) {
      await Promise.all(
        requests.slice(i, i + 24).map(async (r) => {
          const make = await r.build();
          const res = await fetch(`${A.base}${make.path}`, make.init);
          const text = await res.text();
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          let code: unknown;
          try {
            code = (JSON.parse(text) as { error?: { code?: unknown } }).error?.code;
          } catch {
            code = undefined;
          }
          if (res.status < 400 || res.status > 499 || typeof code !== 'string') problems.push(`${r.kind} ${make.init.method ?? 'GET'} ${make.path} → ${res.status} ${text.slice(0, 120)}`);
        }),
      );
    }
    expect(problems).toEqual([]);
    expect([...statuses.keys()].sort()).toEqual(expect.arrayContaining([400, 401, 404, 413]));
    expect((await fetch(`${A.base}/v2/health/ready`)).status).toBe(200);
    expect((await submit({ id: 'after-fuzz', prompt: 'x', seed: 1, size: 64 })).status).toBe(202);
    expect((await waitDone('after-fuzz')).status).toBe('succeeded');
  });

  it('logs neither prompt text nor secrets', () => {
    const log = A.log();
    expect(log).toContain('"msg":"request"');
    expect(log).not.toContain('prompt-canary-7f3a');
    expect(log).not.toContain(A.key.secret);
  });
});
