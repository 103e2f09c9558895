// The runner's HTTP surface (Hono). Every route but /v2/health/* (and /metrics when
// RUNNER_METRICS_PUBLIC=1) needs a valid HMAC signature (@imagen-ts/protocol's signing.ts),
// bound to this runner's id and checked headers first (request-auth.ts).
import { Hono, type Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import {
  embeddingContentType,
  EmbedRequest,
  encodeEmbeddings,
  encoderHeaders,
  RunnerJobRequest,
  RunnerTokenizeRequest,
  sha256Hex,
  type RunnerTokenizeResult,
} from '@imagen-ts/protocol';
import type { RunnerConfig } from '../config.ts';
import { createCallbackDispatcher, type CallbackDispatcher } from './callbacks.ts';
import type { ServiceEngine } from './engine-port.ts';
import { ApiError, errorResponse, fromZodError } from './errors.ts';
import { initParent, resolveJob } from './job-request.ts';
import { createJobStore, isTerminal, jobView, type Job, type JobStore } from './job-store.ts';
import { jobEventStream } from './job-events.ts';
import { errorMessage, type Logger } from './log.ts';
import { createMetrics, type RunnerMetrics } from './metrics.ts';
import { modelSummary } from './model-summary.ts';
import { createRequestAuth, type RequestAuth } from './request-auth.ts';
import { createRunner, type Runner } from './runner.ts';

export type ServiceConfig = Pick<
  RunnerConfig,
  | 'queueLimit'
  | 'maxBatch'
  | 'batchWaitMs'
  | 'jobDeadlineMs'
  | 'maxBodyBytes'
  | 'retainJobs'
  | 'previewEvery'
  | 'keys'
  | 'callbackAllowList'
  | 'metricsPublic'
> &
  Partial<Pick<RunnerConfig, 'runnerId' | 'stateDir' | 'embedQueueLimit'>>;

export interface RunnerService {
  app: Hono<Env>;
  store: JobStore;
  metrics: RunnerMetrics;
  callbacks: CallbackDispatcher;
  /** the engine is loaded: jobs and embeddings are served from now on */
  attachEngine(engine: ServiceEngine): void;
  /** the id signatures must name, when RUNNER_ID did not set it: the listen address, known once listening */
  setRunnerId(id: string): void;
  /** warm-up done: /v2/health/ready answers 200 */
  markReady(): void;
  /** stops accepting (503), finishes or fails running jobs within graceMs, delivers their outcomes */
  shutdown(graceMs: number): Promise<void>;
  /** crash path: every unfinished job is marked failed, synchronously */
  failAll(code: string, message: string): void;
}

type Env = { Variables: { keyId: string; body: Uint8Array } };
type App = Hono<Env>;

/** what the routes share: the engine and runner once loaded, and the service's phase */
interface ServiceState {
  engine: ServiceEngine | undefined;
  runner: Runner | undefined;
  ready: boolean;
  draining: boolean;
}

const publicPaths = new Set(['/v2/health/live', '/v2/health/ready']);

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new ApiError(400, 'invalid_json', 'the body is not valid UTF-8 JSON');
  }
}

/** error mapping, request metrics and logs, and signature verification with the body limit */
function installMiddleware(app: App, auth: RequestAuth, logger: Logger, metrics: RunnerMetrics): void {
  app.onError((err, c) => {
    if (err instanceof ApiError) return errorResponse(c, err);
    if (err instanceof HTTPException) return errorResponse(c, new ApiError(err.status === 413 ? 413 : 400, 'bad_request', err.message || 'bad request'));
    if (err instanceof URIError) return errorResponse(c, new ApiError(400, 'bad_request', 'malformed URL encoding'));
    logger.log('error', 'unhandled route error', { path: c.req.path, error: errorMessage(err) });
    return errorResponse(c, new ApiError(500, 'internal_error', 'internal error'));
  });
  app.notFound((c) => errorResponse(c, new ApiError(404, 'not_found', `no route ${c.req.method} ${c.req.path}`)));

  app.use(async (c, next) => {
    const t0 = performance.now();
    await next();
    const route = c.req.routePath === '/*' ? 'unmatched' : c.req.routePath;
    metrics.httpRequests.inc({ method: c.req.method, route, status: String(c.res.status) });
    if (!publicPaths.has(c.req.path)) logger.log('info', 'request', { method: c.req.method, route, status: c.res.status, ms: Math.round(performance.now() - t0), keyId: c.get('keyId') });
  });

  app.use(auth.middleware);
}

function requireRunner(st: ServiceState, write: boolean): { engine: ServiceEngine; runner: Runner } {
  if (st.draining && write) throw new ApiError(503, 'shutting_down', 'the runner is shutting down; submit elsewhere');
  if (!st.engine || !st.runner) throw new ApiError(503, 'not_ready', 'the model is still loading', { headers: { 'retry-after': '5' } });
  return { engine: st.engine, runner: st.runner };
}

/** health, metrics, the model summary, POST /v1/embed and POST /v1/tokenize */
/** POST /v1/embed calls at once when the config names no RUNNER_EMBED_QUEUE_LIMIT */
const defaultEmbedQueueLimit = 64;

function registerServiceRoutes(app: App, st: ServiceState, logger: Logger, metrics: RunnerMetrics, embedQueueLimit: number): void {
  let embedding = 0;
  app.get('/v2/health/live', (c) => c.json({ status: 'live' }));
  app.get('/v2/health/ready', (c) => {
    if (st.draining) return errorResponse(c, new ApiError(503, 'shutting_down', 'the runner is shutting down'));
    if (!st.ready || !st.engine) return errorResponse(c, new ApiError(503, 'not_ready', st.engine ? 'warming up' : 'the model is still loading'));
    return c.json({ status: 'ready', model: st.engine.manifest.id, queueDepth: st.runner?.queueDepth() ?? 0 });
  });

  app.get('/metrics', async (c) => c.body(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType }));
  app.get('/v1/model', (c) => c.json(modelSummary(requireRunner(st, false).engine)));

  app.post('/v1/embed', async (c) => {
    const { engine: e } = requireRunner(st, true);
    const parsed = EmbedRequest.safeParse(parseJson(c.get('body')));
    if (!parsed.success) throw fromZodError(parsed.error);
    // bounded like the job queue: past it, back-pressure the edge waits out, not a pile of timeouts
    if (embedding >= embedQueueLimit) {
      metrics.rejectedTotal.inc({ reason: 'embed_queue_full' });
      throw new ApiError(429, 'queue_full', `${embedding} embeddings are being computed (RUNNER_EMBED_QUEUE_LIMIT = ${embedQueueLimit}); retry after 1 s`, { headers: { 'retry-after': '1' } });
    }
    const te = e.manifest.textEncoder;
    let bytes: Uint8Array;
    embedding++;
    try {
      bytes = encodeEmbeddings(await e.encode(parsed.data.prompts), { id: te.id, sha256: te.sha256 });
    } catch (err) {
      logger.log('error', 'encode failed', { error: errorMessage(err) });
      throw new ApiError(500, 'engine_error', `encoding failed: ${errorMessage(err)}`);
    } finally {
      embedding--;
    }
    return c.body(bytes as Uint8Array<ArrayBuffer>, 200, {
      'content-type': embeddingContentType,
      [encoderHeaders.id]: te.id,
      [encoderHeaders.sha256]: te.sha256,
      'x-imagen-embeddings-sha256': await sha256Hex(bytes),
    });
  });

  // The model's tokenizer on one prompt, for prompting help before a run: cheap
  // (no encoder run), so it is served while the model warms up as well.
  app.post('/v1/tokenize', (c) => {
    const e = st.engine;
    if (!e) throw new ApiError(503, 'not_ready', 'the model is still loading', { headers: { 'retry-after': '5' } });
    const parsed = RunnerTokenizeRequest.safeParse(parseJson(c.get('body')));
    if (!parsed.success) throw fromZodError(parsed.error);
    const result: RunnerTokenizeResult = { model: e.manifest.id, ...e.inspectPrompt(parsed.data.prompt) };
    return c.json(result);
  });
}

function imageResponse(c: Context<Env>, job: Job, indexText: string): Response {
  if (job.status !== 'succeeded') throw new ApiError(409, 'job_not_succeeded', `job "${job.id}" is ${job.status}; images exist once it has succeeded`);
  const index = /^\d{1,4}$/.test(indexText) ? Number(indexText) : -1;
  const image = job.images[index];
  if (!image) throw new ApiError(404, 'image_not_found', `image index must be in [0, ${job.images.length - 1}]`, { field: 'index', allowed: job.images.map((i) => i.index) });
  const etag = `"${image.sha256}"`;
  const headers = { etag, 'cache-control': 'private, max-age=86400' };
  const inm = c.req.header('if-none-match');
  if (inm !== undefined && inm.split(',').some((t) => t.trim() === etag || t.trim() === `W/${etag}`)) return c.body(null, 304, headers);
  return c.body(image.png as Uint8Array<ArrayBuffer>, 200, { ...headers, 'content-type': 'image/png' });
}

/** POST /v1/jobs and a job's view, events, cancel and images */
function registerJobRoutes(app: App, st: ServiceState, store: JobStore, config: ServiceConfig): void {
  function jobOr404(id: string): Job {
    const job = store.get(id);
    if (!job) throw new ApiError(404, 'job_not_found', `no job "${id}" (unknown, or evicted after finishing)`, { field: 'id' });
    return job;
  }

  app.post('/v1/jobs', async (c) => {
    const { engine: e, runner: r } = requireRunner(st, true);
    const parsed = RunnerJobRequest.safeParse(parseJson(c.get('body')));
    if (!parsed.success) throw fromZodError(parsed.error);
    const spec = resolveJob(parsed.data, { manifest: e.manifest, callbackAllowList: config.callbackAllowList });
    const parent = await initParent(spec, parsed.data);
    if (parent && spec.request.init) spec.request.init.parent = parent;
    const { job, created } = r.submit(parsed.data.id, c.get('keyId'), spec);
    c.header('location', `/v1/jobs/${encodeURIComponent(job.id)}`);
    return c.json({ job: jobView(job) }, created ? 202 : 200);
  });

  app.get('/v1/jobs/:id', (c) => c.json({ job: jobView(jobOr404(c.req.param('id'))) }));

  app.get('/v1/jobs/:id/events', (c) => {
    const job = jobOr404(c.req.param('id'));
    const header = c.req.header('last-event-id') ?? c.req.query('lastEventId');
    let after = 0;
    if (header !== undefined) {
      if (!/^\d{1,9}$/.test(header)) throw new ApiError(400, 'invalid_request', 'Last-Event-ID: must be a non-negative integer (an event id)', { field: 'Last-Event-ID' });
      after = Number(header);
    }
    return jobEventStream(c, store, job, after);
  });

  app.post('/v1/jobs/:id/cancel', (c) => {
    const job = jobOr404(c.req.param('id'));
    if (isTerminal(job)) throw new ApiError(409, 'job_finished', `job "${job.id}" already ${job.status}`);
    requireRunner(st, false).runner.cancel(job);
    return c.json({ job: jobView(job) }, 202);
  });

  app.get('/v1/jobs/:id/images/:index', (c) => imageResponse(c, jobOr404(c.req.param('id')), c.req.param('index')));
}

export function createRunnerService(config: ServiceConfig, deps: { logger: Logger; fetch?: typeof fetch; defaultMetrics?: boolean }): RunnerService {
  const { logger } = deps;
  const metrics = createMetrics({ maxBatch: config.maxBatch, defaultMetrics: deps.defaultMetrics ?? false });
  const store = createJobStore({ retain: config.retainJobs });
  const callbacks = createCallbackDispatcher({ keys: config.keys, store, logger, ...(deps.fetch ? { fetch: deps.fetch } : {}) });
  const st: ServiceState = { engine: undefined, runner: undefined, ready: false, draining: false };

  const auth = createRequestAuth({
    keys: config.keys,
    runnerId: config.runnerId,
    stateDir: config.stateDir,
    maxBodyBytes: config.maxBodyBytes,
    isPublic: (path) => publicPaths.has(path) || (config.metricsPublic && path === '/metrics'),
  });
  const app: App = new Hono<Env>();
  installMiddleware(app, auth, logger, metrics);
  registerServiceRoutes(app, st, logger, metrics, config.embedQueueLimit ?? defaultEmbedQueueLimit);
  registerJobRoutes(app, st, store, config);

  return {
    app,
    store,
    metrics,
    callbacks,
    attachEngine(e) {
      st.engine = e;
      metrics.watchTextEncoder(() => e.textEncoderRuns());
      st.runner = createRunner({
        engine: e,
        store,
        metrics,
        logger,
        callbacks,
        queueLimit: config.queueLimit,
        maxBatch: config.maxBatch,
        batchWaitMs: config.batchWaitMs,
        jobDeadlineMs: config.jobDeadlineMs,
        previewEvery: config.previewEvery,
      });
    },
    setRunnerId: (id) => auth.setRunnerId(id),
    markReady() {
      st.ready = true;
    },
    async shutdown(graceMs) {
      st.draining = true;
      if (st.runner) await st.runner.drain(graceMs);
      await callbacks.flush(5000);
      auth.close();
    },
    failAll(code, message) {
      st.draining = true;
      if (st.runner) st.runner.failAll(code, message);
      else for (const job of store.active()) store.finish(job, 'failed', { code, message, retryable: true });
    },
  };
}
