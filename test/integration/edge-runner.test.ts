// The edge under `wrangler dev` against two REAL runners serving the fixture
// model: generation, the embedding cache (hit skips the encoder, same bytes),
// idempotency, cancel, upscale lineage, the OpenAI client, notebooks 412, the
// rate limit, signed webhooks to a local receiver, and a runner killed mid-job.
// Skipped when the fixture is missing.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pixelSha256, readPngMetadata } from '@imagen-ts/protocol';
import { decodePngRgb } from '../../gpu-runner/src/png/png.ts';
import { createEdgeClient, verifyWebhook, type WebhookPayload } from '../../workers/edge/src/client.ts';
import { fixtureAvailable, startEdge, startRunner, type EdgeProc, type RunnerProc } from './edge-harness.ts';

interface JobBody {
  id: string;
  status: string;
  attempts: number;
  size: number;
  parentImageId: string | null;
  images: { id: string; pixelSha256?: string; url: string; width: number; seed: number }[];
  error: { code: string; message: string } | null;
}

let runnerA: RunnerProc;
let runnerB: RunnerProc;
let edge: EdgeProc;

const suite = fixtureAvailable() ? describe : describe.skip;

suite('edge ↔ runner (wrangler dev, fixture model)', () => {
  beforeAll(async () => {
    [runnerA, runnerB] = await Promise.all([startRunner(), startRunner()]);
    edge = await startEdge(
      [runnerA.url, runnerB.url],
      [
        { name: 'main', scopes: ['generate', 'notebooks'], ratePerMinute: 10_000 },
        { name: 'other', scopes: ['generate', 'notebooks'], ratePerMinute: 10_000 },
        { name: 'limited', scopes: ['notebooks'], ratePerMinute: 2 },
      ],
      // a local dev config: webhooks may go to http://127.0.0.1; retries 200 ms, 1.2 s, … apart
      { RUNNER_STALL_SECONDS: '15', WEBHOOK_ALLOW_LOCAL_HTTP: 'true', WEBHOOK_FIRST_RETRY_MS: '200' },
    );
  }, 240_000);

  afterAll(async () => {
    await Promise.all([edge?.stop(), runnerA?.stop(), runnerB?.stop()]);
  });

  const key = () => edge.keys.main ?? '';
  const post = (path: string, body: unknown, headers: Record<string, string> = {}, apiKey = key()) =>
    fetch(`${edge.url}${path}`, { method: 'POST', headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const getJob = async (id: string) => (await fetch(`${edge.url}/v1/jobs/${id}`, { headers: { Authorization: `Bearer ${key()}` } })).json() as Promise<JobBody>;
  const embedCalls = async () => (await runnerA.metric('imagen_runner_http_requests_total', { route: '/v1/embed' })) + (await runnerB.metric('imagen_runner_http_requests_total', { route: '/v1/embed' }));
  const png = async (url: string) => new Uint8Array(await (await fetch(`${edge.url}${url}`)).arrayBuffer());

  let firstJob: JobBody;

  it('generates through the typed client; a repeat is a cache hit that skips the encoder and gives byte-identical images', async () => {
    const client = createEdgeClient(edge.url, key());
    const prompt = 'a watercolor fox in the snow';
    const before = await embedCalls();
    const res = await client.v1.generations.$post({ json: { prompt, seed: 1234, size: 64 }, header: { prefer: 'wait=120' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('X-Embedding-Cache')).toBe('miss');
    firstJob = await res.json();
    expect(firstJob.status).toBe('succeeded');
    expect(firstJob.images[0]).toMatchObject({ width: 64, seed: 1234 });
    const missCalls = (await embedCalls()) - before;
    expect(missCalls).toBeGreaterThanOrEqual(1);

    const again = await post('/v1/generations', { prompt: `  ${prompt} `, seed: 1234, size: 64 }, { Prefer: 'wait=120' });
    expect(again.headers.get('X-Embedding-Cache')).toBe('hit');
    const second = (await again.json()) as JobBody;
    expect(second.status).toBe('succeeded');
    expect(await embedCalls()).toBe(before + missCalls);
    // cached and uncached: the same PNG bytes (the id is their sha256), fetched and compared
    expect(second.images[0]?.id).toBe(firstJob.images[0]?.id);
    expect(await png(second.images[0]?.url ?? '')).toEqual(await png(firstJob.images[0]?.url ?? ''));

    // and the same pixels as the runner encoding the prompt itself (no edge embeddings at all)
    const direct = await runnerA.signed('POST', '/v1/jobs', JSON.stringify({ id: `direct-${Date.now()}`, prompt, seed: 1234, size: 64 }));
    const directId = ((await direct.json()) as { job: { id: string } }).job.id;
    let view: { job: { status: string } };
    do {
      await new Promise((r) => setTimeout(r, 200));
      view = (await (await runnerA.signed('GET', `/v1/jobs/${directId}`)).json()) as typeof view;
    } while (view.job.status === 'queued' || view.job.status === 'running');
    const directPng = new Uint8Array(await (await runnerA.signed('GET', `/v1/jobs/${directId}/images/0`)).arrayBuffer());
    expect(decodePngRgb(directPng).rgb).toEqual(decodePngRgb(await png(firstJob.images[0]?.url ?? '')).rgb);
  });

  it('an idempotent retry returns the same job and runs it once', async () => {
    const body = { prompt: 'an idempotent lighthouse', seed: 5, size: 64 };
    const headers = { 'Idempotency-Key': `it-${Date.now()}`, Prefer: 'wait=120' };
    const jobsBefore = (await runnerA.metric('imagen_runner_jobs_total')) + (await runnerB.metric('imagen_runner_jobs_total'));
    const a = (await (await post('/v1/generations', body, headers)).json()) as JobBody;
    const resB = await post('/v1/generations', body, headers);
    const b = (await resB.json()) as JobBody;
    expect(b.id).toBe(a.id);
    expect(resB.headers.get('Idempotent-Replayed')).toBe('true');
    expect(b.status).toBe('succeeded');
    const jobsAfter = (await runnerA.metric('imagen_runner_jobs_total')) + (await runnerB.metric('imagen_runner_jobs_total'));
    expect(jobsAfter - jobsBefore).toBe(1);
  });

  it('upscales a stored image with the next SR stage and records the lineage', async () => {
    const parent = firstJob.images[0]?.id ?? '';
    const res = await post(`/v1/images/${parent}/upscale`, { seed: 77 }, { Prefer: 'wait=180' });
    const up = (await res.json()) as JobBody;
    expect(up).toMatchObject({ status: 'succeeded', size: 256, parentImageId: parent });
    expect(decodePngRgb(await png(up.images[0]?.url ?? '')).width).toBe(256);
    const meta = (await (await fetch(`${edge.url}/v1/images/${up.images[0]?.id ?? ''}/meta`, { headers: { Authorization: `Bearer ${key()}` } })).json()) as {
      lineage: { parentImageId: string; stage: string; seed: number; jobId: string }[];
    };
    expect(meta.lineage[0]).toMatchObject({ parentImageId: parent, stage: 'sr256', seed: 77, jobId: up.id });
    // the PNG itself carries the chain: the base job's request and the source's pixel hash,
    // and the edge passes the runner's pixel hashes through beside the file hashes
    const parentPng = await png(firstJob.images[0]?.url ?? '');
    const parentRgb = decodePngRgb(parentPng);
    const sourcePixels = await pixelSha256(parentRgb.rgb, parentRgb.width, parentRgb.height);
    expect(firstJob.images[0]?.pixelSha256).toBe(sourcePixels);
    const upPng = await png(up.images[0]?.url ?? '');
    const upRgb = decodePngRgb(upPng);
    expect(up.images[0]?.pixelSha256).toBe(await pixelSha256(upRgb.rgb, 256, 256));
    const chain = (await readPngMetadata(upPng)).imagen;
    expect(chain?.source?.pixels.sha256).toBe(sourcePixels);
    expect(chain?.lineage?.map((e) => [e.request.prompt, e.request.size, e.image.seed, e.image.pixels?.sha256])).toEqual([['a watercolor fox in the snow', 64, 1234, sourcePixels]]);
    expect(chain?.lineage?.[0]?.fingerprint).toEqual((await readPngMetadata(parentPng)).imagen?.fingerprint);
  });

  it('cancels a running job', async () => {
    const res = await post('/v1/generations', { prompt: 'a very long exposure', seed: 9, size: 256, steps: 400 });
    const job = (await res.json()) as JobBody;
    let now = job;
    for (let i = 0; i < 300 && now.status !== 'running'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      now = await getJob(job.id);
    }
    expect(now.status).toBe('running');
    const canceled = await post(`/v1/jobs/${job.id}/cancel`, {});
    expect(canceled.status).toBe(200);
    expect(((await canceled.json()) as JobBody).status).toBe('canceled');
    // the runner stops too (between steps)
    const runnerJob = `${job.id}.1`;
    let states: string[] = [];
    for (let i = 0; i < 100; i++) {
      states = await Promise.all(
        [runnerA, runnerB].map(async (r) => {
          const v = await r.signed('GET', `/v1/jobs/${runnerJob}`);
          return v.ok ? ((await v.json()) as { job: { status: string } }).job.status : 'absent';
        }),
      );
      if (states.includes('canceled')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(states).toContain('canceled');
  });

  it('the OpenAI client works against the edge', async () => {
    const openai = new OpenAI({ apiKey: key(), baseURL: `${edge.url}/v1`, maxRetries: 0 });
    const result = await openai.images.generate({ prompt: 'a lighthouse, oil painting', n: 1, size: '64x64', response_format: 'b64_json' });
    const b64 = result.data?.[0]?.b64_json ?? '';
    const img = decodePngRgb(Uint8Array.from(Buffer.from(b64, 'base64')));
    expect(img.width).toBe(64);
    const urls = await openai.images.generate({ prompt: 'a lighthouse, oil painting', size: '64x64' });
    expect(urls.data?.[0]?.url).toMatch(new RegExp(`^${edge.url}/v1/images/[0-9a-f]{64}$`));
  });

  it('a stale notebook write is 412 and loses nothing', async () => {
    const created = await post('/v1/notebooks', { title: 'it', content: { cells: [1] } });
    const nb = (await created.json()) as { id: string; etag: string };
    const put = (etag: string, content: unknown) =>
      fetch(`${edge.url}/v1/notebooks/${nb.id}`, { method: 'PUT', headers: { Authorization: `Bearer ${key()}`, 'Content-Type': 'application/json', 'If-Match': etag }, body: JSON.stringify({ title: 'it', content }) });
    expect((await put(nb.etag, { cells: [1, 2] })).status).toBe(200);
    expect((await put(nb.etag, { cells: ['stale'] })).status).toBe(412);
    const now = (await (await fetch(`${edge.url}/v1/notebooks/${nb.id}`, { headers: { Authorization: `Bearer ${key()}` } })).json()) as { content: unknown };
    expect(now.content).toEqual({ cells: [1, 2] });
    const other = await fetch(`${edge.url}/v1/notebooks/${nb.id}`, { headers: { Authorization: `Bearer ${edge.keys.other ?? ''}` } });
    expect(other.status).toBe(404);
  });

  it('rate-limits per key with 429 and Retry-After', async () => {
    const limited = edge.keys.limited ?? '';
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${edge.url}/v1/notebooks`, { headers: { Authorization: `Bearer ${limited}` } });
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get('Retry-After');
    }
    expect(statuses).toEqual([200, 200, 429]);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
  });

  it('sends signed webhooks to a local receiver; one that fails twice gets the third attempt', async () => {
    const client = createEdgeClient(edge.url, key());
    const made = await client.v1.webhooks.secret.$post();
    expect(made.status).toBe(201);
    const { secret } = await made.json();
    const got: { headers: Record<string, string>; body: string; status: number }[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        // the first two deliveries fail
        const status = got.length < 2 ? 500 : 204;
        got.push({ headers: req.headers as Record<string, string>, body: Buffer.concat(chunks).toString('utf8'), status });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      const job = (await (await post('/v1/generations', { prompt: 'a paper plane', seed: 41, size: 64, webhook: url }, { Prefer: 'wait=120' })).json()) as JobBody;
      expect(job.status).toBe('succeeded');
      for (let i = 0; i < 300 && got.length < 4; i++) await new Promise((r) => setTimeout(r, 100));
      const payloads: WebhookPayload[] = [];
      for (const g of got) payloads.push(await verifyWebhook(secret, g.body, g.headers));
      expect(payloads.map((p) => p.type)).toEqual(['job.start', 'job.start', 'job.start', 'job.completed']);
      expect(got.map((g) => g.status)).toEqual([500, 500, 204, 204]);
      expect(payloads[3]?.data).toMatchObject({ id: job.id, status: 'succeeded' });
      const forged = { ...got[3]?.headers, 'webhook-signature': `v1,${Buffer.alloc(32).toString('base64')}` };
      await expect(verifyWebhook(secret, got[3]?.body ?? '', forged)).rejects.toThrow('no matching signature');
      const view = (await (await fetch(`${edge.url}/v1/jobs/${job.id}`, { headers: { Authorization: `Bearer ${key()}` } })).json()) as {
        webhook: { attempts: { number: number; status: number; outcome: string }[]; lastStatus: number; pending: number };
      };
      expect(view.webhook.attempts.map((a) => [a.number, a.status, a.outcome])).toEqual([
        [1, 500, 'retry'],
        [2, 500, 'retry'],
        [3, 204, 'delivered'],
        [1, 204, 'delivered'],
      ]);
      expect([view.webhook.lastStatus, view.webhook.pending]).toEqual([204, 0]);
    } finally {
      server.close();
    }
  });

  it('a runner killed mid-job: the job moves to the other runner and succeeds', async () => {
    const res = await post('/v1/generations', { prompt: 'a storm over the sea', seed: 31, size: 256, steps: 300 });
    const job = (await res.json()) as JobBody;
    let holder: RunnerProc | undefined;
    for (let i = 0; i < 300 && !holder; i++) {
      for (const r of [runnerA, runnerB]) {
        const v = await r.signed('GET', `/v1/jobs/${job.id}.1`);
        if (v.ok && ((await v.json()) as { job: { status: string } }).job.status === 'running') holder = r;
      }
      if (!holder) await new Promise((r) => setTimeout(r, 100));
    }
    if (!holder) throw new Error('no runner ever ran the job');
    await holder.stop('SIGKILL');
    let done = await getJob(job.id);
    for (let i = 0; i < 600 && (done.status === 'queued' || done.status === 'running'); i++) {
      await new Promise((r) => setTimeout(r, 200));
      done = await getJob(job.id);
    }
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    expect(done.attempts).toBe(2);
    const events = await (await fetch(`${edge.url}/v1/jobs/${job.id}/events`, { headers: { Authorization: `Bearer ${key()}` } })).text();
    expect(events).toContain('event: retry');
    expect(events).toContain(holder.url);
  });
});
