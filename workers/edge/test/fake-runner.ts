// A stand-in for the GPU runner's HTTP API, run in Node behind miniflare's
// outboundService: every fetch the worker and its Durable Objects make lands
// here. It verifies signatures with the runner's own verifier and parses job
// bodies with the runner's own schema (both from @imagen-ts/protocol), serves real
// embedding-codec blobs and PNGs whose pixels depend on the embeddings it was
// sent (so "cached and uncached give the same image" can fail), and can be told
// to die, stall or fail through /__control (called from the tests).
import { createHash } from 'node:crypto';
import {
  base64ToBytes,
  bytesToBase64,
  inlinePngMaxBytes,
  createVerifier,
  encodeEmbeddings,
  EmbedRequest,
  fromZodError,
  insertAfterIhdr,
  isTerminalStatus,
  pixelHashHeader,
  RunnerJobRequest,
  RunnerModel,
  RunnerTokenizeRequest,
  textChunk,
  type JobStatus,
  type RunnerJob,
  type RunnerTokenizeResult,
} from '@imagen-ts/protocol';
import { decode, encode } from 'fast-png';
import { receivedWebhooks, receiveWebhook, webhookHost } from './fake-webhook-receiver.ts';

export type RunnerMode = 'ok' | 'die-mid-job' | 'stall' | 'fail-retryable' | 'fail-final' | 'slow' | 'down' | 'busy' | 'loading';

export const fakeModel: RunnerModel = {
  id: 'fake-cascade',
  negativeEmbeddings: true,
  examplePrompts: ['a glass whale'],
  textEncoder: { id: 'fake-t5', sha256: 'c8ff87b2bac7472318b282b404f19a782be0825b6cdd41d61797e4c20644ede5', maxTokens: 8, nullPrompt: 'empty-prompt' },
  stages: [
    { name: 'base64', resolution: 64, defaults: { steps: 4, sampler: 'dpmpp-2m', guidance: 4 }, lowRes: null },
    { name: 'sr256', resolution: 256, defaults: { steps: 2, sampler: 'dpmpp-2m', guidance: 2 }, lowRes: { fromStage: 'base64', noiseAugmentation: 100 } },
    { name: 'sr1024', resolution: 1024, defaults: { steps: 2, sampler: 'ddim', guidance: 1 }, lowRes: { fromStage: 'sr256', noiseAugmentation: 250 } },
  ],
};
RunnerModel.parse(fakeModel);

/** an RGB PNG with text chunks before IDAT, as the runner writes them */
function encodePng({ width, height, rgb, text = {} }: { width: number; height: number; rgb: Uint8Array; text?: Record<string, string> }): Uint8Array {
  const png = encode({ width, height, data: rgb, channels: 3, depth: 8 });
  return insertAfterIhdr(png, Object.entries(text).map(([k, v]) => textChunk(k, v)));
}
const hidden = 4;

interface LoggedEvent {
  id: number;
  event: string;
  data: unknown;
}

interface FakeJob {
  id: string;
  body: RunnerJobRequest;
  status: JobStatus;
  images: { index: number; seed: number; width: number; height: number; sha256: string; pixelSha256: string; png: Uint8Array }[];
  canceled: boolean;
  started: boolean;
  log: LoggedEvent[];
  listeners: Set<Sink>;
}

interface RunnerState {
  mode: RunnerMode;
  embedCalls: number;
  embedPrompts: string[];
  tokenizeCalls: number;
  jobs: Map<string, FakeJob>;
  jobBodies: RunnerJobRequest[];
  cancels: string[];
  /** at most this many unfinished jobs; more get 429 queue_full (undefined: no limit) */
  capacity: number | undefined;
  /** 429 / 503-with-Retry-After answers to POST /v1/jobs */
  busyAnswers: number;
  /** Retry-After (s) of a 429 to POST /v1/jobs */
  busyRetryAfter: number;
  /** the next this many POST /v1/embed calls answer 429 queue_full with Retry-After: 1 */
  embedBusy: number;
  /** 429 answers to POST /v1/embed */
  embedBusyAnswers: number;
  /** PNGs inline in the `succeeded` event, as a newer runner sends them (runner A); runner B is an older runner, fetched from */
  inlinePngs: boolean;
  /** GET /v1/jobs/:id/images/:index answered */
  imageFetches: number;
}

export const signingSecret = 'edge-test-secret-0123456789';
const verify = createVerifier({ keys: { 'edge-test': signingSecret }, windowSeconds: 300, maxSeen: 1_000_000 });
const runners = new Map<string, RunnerState>();

function state(host: string): RunnerState {
  let s = runners.get(host);
  if (!s) {
    s = { mode: 'ok', embedCalls: 0, embedPrompts: [], tokenizeCalls: 0, jobs: new Map(), jobBodies: [], cancels: [], capacity: undefined, busyAnswers: 0, busyRetryAfter: 1, embedBusy: 0, embedBusyAnswers: 0, inlinePngs: host === 'runner-a.test', imageFetches: 0 };
    runners.set(host, s);
  }
  return s;
}

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** deterministic floats from the prompt: different prompts, different embeddings */
function embed(prompt: string): Uint8Array {
  const tokens = fakeModel.textEncoder.maxTokens;
  const h = createHash('sha256').update(prompt).digest();
  const hiddenStates = new Float32Array(tokens * hidden);
  for (let i = 0; i < hiddenStates.length; i++) hiddenStates[i] = ((h[i % 32] ?? 0) - 128) / 128;
  const attentionMask = new BigInt64Array(tokens);
  const real = Math.min(tokens, prompt.split(' ').filter(Boolean).length + 1);
  for (let i = 0; i < real; i++) attentionMask[i] = 1n;
  return encodeEmbeddings({ hiddenStates, attentionMask, batch: 1, tokens, hidden, truncated: [false] }, fakeModel.textEncoder);
}

function renderImage(body: RunnerJobRequest, index: number): FakeJob['images'][number] {
  const size = Number(body.size);
  const seed = (Number(body.seed) + index) >>> 0;
  // the pixels depend on exactly what the edge sent: embeddings, null embeddings, seed, stages, init
  const key = createHash('sha256')
    .update(String(body.embeddings))
    .update(String(body.negativeEmbeddings))
    .update(JSON.stringify(body.stages ?? {}))
    .update(String(seed))
    .update(body.init?.image ?? '')
    .digest();
  const rgb = new Uint8Array(size * size * 3);
  for (let i = 0; i < rgb.length; i++) rgb[i] = ((key[i % 32] ?? 0) + i * 7) & 255;
  const png = encodePng({ width: size, height: size, rgb, text: { parameters: `${String(body.prompt)}\nSteps: 4, Sampler: DPM++ 2M, CFG scale: 4, Seed: ${seed}, Size: ${size}x${size}, Model: ${fakeModel.id}` } });
  const pixelSha256 = createHash('sha256').update(pixelHashHeader(size, size)).update(rgb).digest('hex');
  return { index, seed, width: size, height: size, sha256: createHash('sha256').update(png).digest('hex'), pixelSha256, png };
}

function view(job: FakeJob): { job: RunnerJob } {
  const v: RunnerJob = {
    id: job.id,
    status: job.status,
    seed: Number(job.body.seed),
    images: job.images.map(({ png: _png, ...img }) => ({ ...img, url: `/v1/jobs/${job.id}/images/${img.index}` })),
  };
  if (job.status === 'failed') v.error = { code: 'engine_error', message: 'boom', retryable: true };
  return { job: v };
}

type Sink = { send(e: LoggedEvent): void; die(): void; end(): void };

/** runs the job once, from its first event stream; later streams replay the log and listen */
async function drive(s: RunnerState, job: FakeJob): Promise<void> {
  const mode = s.mode;
  const emit = (event: string, data: unknown) => {
    const e = { id: job.log.length + 1, event, data };
    job.log.push(e);
    for (const l of job.listeners) l.send(e);
  };
  const finish = () => {
    for (const l of job.listeners) l.end();
    job.listeners.clear();
  };
  emit('queued', { position: 1 });
  job.status = 'running';
  emit('started', { batch: { id: 1, size: 1, jobs: 1 } });
  const steps = 4;
  for (let step = 1; step <= steps; step++) {
    if (job.canceled) {
      job.status = 'canceled';
      emit('canceled', { stage: 'base64', step });
      return finish();
    }
    await sleep(mode === 'slow' ? 150 : 5);
    // a preview on step 2, as the runner sends one every RUNNER_PREVIEW_EVERY steps
    const png = step === 2 ? bytesToBase64(encodePng({ width: 2, height: 2, rgb: new Uint8Array(12).fill(step) })) : undefined;
    const preview = png ? { preview: png, previews: [png, png] } : {};
    emit('progress', { stage: 'base64', stageIndex: 0, step, total: steps, ...preview });
    if (mode === 'die-mid-job' && step === 2) {
      // the process is gone: every open stream breaks, and the job with it
      s.jobs.delete(job.id);
      for (const l of job.listeners) l.die();
      job.listeners.clear();
      return;
    }
    if (mode === 'stall' && step === 2) return; // never another byte
  }
  if (mode === 'fail-retryable' || mode === 'fail-final') {
    job.status = 'failed';
    emit('failed', { code: mode === 'fail-final' ? 'invalid_request' : 'engine_error', message: 'fake failure', retryable: mode === 'fail-retryable' });
    return finish();
  }
  job.images = Array.from({ length: Number(job.body.n) }, (_, i) => renderImage(job.body, i));
  job.status = 'succeeded';
  const listed = view(job).job.images.map((img, i) => {
    const png = job.images[i]?.png;
    return s.inlinePngs && png && png.byteLength <= inlinePngMaxBytes ? { ...img, png: bytesToBase64(png) } : img;
  });
  emit('succeeded', { images: listed });
  finish();
}

function events(s: RunnerState, job: FakeJob, after: number): Response {
  const enc = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      const sink: Sink = {
        send: (e) => controller.enqueue(enc.encode(`id: ${e.id}\nevent: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`)),
        die: () => controller.error(new Error('runner process died')),
        end: () => controller.close(),
      };
      for (const e of job.log) if (e.id > after) sink.send(e);
      if (isTerminalStatus(job.status)) return sink.end();
      job.listeners.add(sink);
      if (!job.started) {
        job.started = true;
        void drive(s, job);
      }
    },
  });
  return new Response(stream, { headers: { 'content-type': 'text/event-stream' } });
}

async function control(url: URL, request: Request): Promise<Response> {
  const host = url.searchParams.get('runner') ?? '';
  if (url.pathname === '/__control/reset') {
    runners.clear();
    return json({ ok: true });
  }
  if (url.pathname === '/__control/mode') {
    state(host).mode = (await request.json<{ mode: RunnerMode }>()).mode;
    return json({ ok: true });
  }
  if (url.pathname === '/__control/capacity') {
    state(host).capacity = (await request.json<{ capacity: number | null }>()).capacity ?? undefined;
    return json({ ok: true });
  }
  if (url.pathname === '/__control/busy-retry-after') {
    state(host).busyRetryAfter = (await request.json<{ seconds: number }>()).seconds;
    return json({ ok: true });
  }
  if (url.pathname === '/__control/embed-busy') {
    state(host).embedBusy = (await request.json<{ count: number }>()).count;
    return json({ ok: true });
  }
  if (url.pathname === '/__control/stats') {
    const s = state(host);
    return json({ mode: s.mode, embedCalls: s.embedCalls, embedPrompts: s.embedPrompts, tokenizeCalls: s.tokenizeCalls, jobs: s.jobBodies, cancels: s.cancels, busyAnswers: s.busyAnswers, embedBusyAnswers: s.embedBusyAnswers, imageFetches: s.imageFetches });
  }
  if (url.pathname === '/__control/webhooks') return receivedWebhooks(url);
  if (url.pathname === '/__control/a1111.png') {
    const rgb = new Uint8Array(8 * 8 * 3).fill(90);
    const parameters = 'a castle on a hill, golden hour\nNegative prompt: blurry\nSteps: 30, Sampler: DPM++ 2M, CFG scale: 7.5, Seed: 1234, Size: 8x8, Model: sd15';
    return new Response(encodePng({ width: 8, height: 8, rgb, text: { parameters } }), { headers: { 'content-type': 'image/png' } });
  }
  return json({ error: 'unknown control' }, 404);
}

export async function fakeRunner(request: Request): Promise<Response> {
  const url = new URL(request.url);
  if (url.pathname.startsWith('/__control/')) return control(url, request);
  if (url.hostname === webhookHost) return receiveWebhook(request);
  if (!url.hostname.endsWith('.test')) return new Response(`unexpected outbound request to ${url.origin}`, { status: 599 });
  const s = state(url.hostname);
  if (s.mode === 'down') throw new Error('connection refused');
  const body = new Uint8Array(await request.arrayBuffer());
  const verdict = await verify({ method: request.method, path: url.pathname + url.search, host: url.host, headers: request.headers, body });
  if (!verdict.ok) return json({ error: { code: 'unauthorized', message: verdict.reason } }, 401);
  const path = url.pathname;
  if (path === '/v2/health/ready') return json({ status: 'ready', model: fakeModel.id, queueDepth: 0 });
  if (path === '/v1/model') return json(fakeModel);
  if (path === '/v1/embed' && request.method === 'POST') {
    const parsed = EmbedRequest.safeParse(JSON.parse(new TextDecoder().decode(body)));
    if (!parsed.success) return json(fromZodError(parsed.error).body(), 400);
    const { prompts } = parsed.data;
    if (s.embedBusy > 0) {
      // the runner's embed queue is full: back-pressure, as for jobs
      s.embedBusy--;
      s.embedBusyAnswers++;
      return json({ error: { code: 'queue_full', message: 'the embed queue is full; retry after 1 s' } }, 429, { 'retry-after': '1' });
    }
    s.embedCalls++;
    s.embedPrompts.push(...prompts);
    return new Response(embed(prompts[0] ?? ''), { headers: { 'content-type': 'application/vnd.imagen-ts.embeddings' } });
  }
  if (path === '/v1/tokenize' && request.method === 'POST') {
    // the runner's own body schema; one token per word plus </s>; words with a digit stand for unknown ones
    const parsed = RunnerTokenizeRequest.safeParse(JSON.parse(new TextDecoder().decode(body)));
    if (!parsed.success) return json(fromZodError(parsed.error).body(), 400);
    s.tokenizeCalls++;
    const words = parsed.data.prompt.split(/\s+/).filter((w) => w !== '');
    const max = fakeModel.textEncoder.maxTokens;
    const result: RunnerTokenizeResult = { model: fakeModel.id, tokens: words.length + 1, maxTokens: max, truncated: words.length + 1 > max, unknown: words.filter((w) => /\d/.test(w)) };
    return json(result);
  }
  if (path === '/v1/jobs' && request.method === 'POST') {
    const parsed = RunnerJobRequest.safeParse(JSON.parse(new TextDecoder().decode(body)));
    if (!parsed.success) return json(fromZodError(parsed.error).body(), 400);
    const b = parsed.data;
    // back-pressure, as the runner answers it: 429 queue_full (queue at capacity), 503 not_ready (loading), both with Retry-After
    const unfinished = [...s.jobs.values()].filter((j) => !isTerminalStatus(j.status)).length;
    if (s.mode === 'busy' || (s.capacity !== undefined && unfinished >= s.capacity && !s.jobs.has(b.id))) {
      s.busyAnswers++;
      const after = String(s.busyRetryAfter);
      return json({ error: { code: 'queue_full', message: `the queue is full; retry after ${after} s` } }, 429, { 'retry-after': after });
    }
    if (s.mode === 'loading') {
      s.busyAnswers++;
      return json({ error: { code: 'not_ready', message: 'the model is still loading' } }, 503, { 'retry-after': '1' });
    }
    s.jobBodies.push(b);
    if (b.init) {
      const { fromStage } = b.init;
      const init = decode(base64ToBytes(b.init.image));
      const from = fakeModel.stages.findIndex((st) => st.name === fromStage);
      if (init.width !== fakeModel.stages[from - 1]?.resolution) return json({ error: { code: 'invalid_request', message: 'init.image: wrong size' } }, 400);
    }
    const id = b.id;
    const existing = s.jobs.get(id);
    if (existing) return json(view(existing), 200);
    const job: FakeJob = { id, body: b, status: 'queued', images: [], canceled: false, started: false, log: [], listeners: new Set() };
    s.jobs.set(id, job);
    return json(view(job), 202);
  }
  const m = /^\/v1\/jobs\/([^/]+)(\/events|\/cancel|\/images\/(\d+))?$/.exec(path);
  const job = m?.[1] ? s.jobs.get(decodeURIComponent(m[1])) : undefined;
  if (!m || !job) return json({ error: { code: 'job_not_found', message: 'no such job' } }, 404);
  if (m[2] === '/events') return events(s, job, Number(url.searchParams.get('lastEventId') ?? request.headers.get('last-event-id') ?? '0'));
  if (m[2] === '/cancel') {
    job.canceled = true;
    s.cancels.push(job.id);
    return json(view(job), 202);
  }
  if (m[3] !== undefined) {
    const img = job.images[Number(m[3])];
    if (!img) return json({ error: { code: 'image_not_found', message: 'no such image' } }, 404);
    s.imageFetches++;
    return new Response(img.png, { headers: { 'content-type': 'image/png' } });
  }
  return json(view(job));
}
