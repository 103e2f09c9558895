// Runs one job on the runner pool: pick a ready runner, send the (cached)
// embeddings, follow the runner's event stream, store the images. A runner that
// dies, stalls or answers badly is taken out of the pool and the job moves to
// another, up to MAX_ATTEMPTS; failures the runner calls final end the job. A
// runner that answers busy (429, 503 + Retry-After) is back-pressure, not failure:
// the job waits for its alarm without spending an attempt (back-pressure.ts).
import {
  bytesToBase64,
  isTerminalStatus,
  jobErrorCodes,
  RunnerFailure,
  RunnerProgressEvent,
  RunnerSucceededEvent,
  type Job,
  type JobStatus,
} from '@imagen-ts/protocol';
import { loadConfig, type EdgeConfig, type RunnerSpec } from '../config.ts';
import { EmbedError, embedPrompt } from '../embedding-cache.ts';
import { r2KeyOf } from '../images/image-store.ts';
import { createRunnerPool, RunnerBusyError, RunnerUnavailableError, type RunnerHandle, type RunnerPool } from '../runner/runner-pool.ts';
import { readSse } from '../runner/sse.ts';
import { collect, type ListedImage } from './collect-images.ts';
import { adoptBusy, busyAnswer, busyRunners, currentWait, deferred, nextWake, timedOut, timeoutMessage, type BusyAnswer } from './back-pressure.ts';
import { JobRequestError, negativeFromEncoder, runnerJobBody, stageParams, type Attempt, type JobRecord } from './job-model.ts';

/** prompt embeddings the worker already resolved for the job (base64 of the codec), and whose encoder made them */
export interface ResolvedEmbeddings {
  encoder: { id: string; sha256: string; maxTokens: number };
  embeddings: string;
  negativeEmbeddings: string | undefined;
}

export interface DriverHost {
  load(): JobRecord | undefined;
  save(patch: Partial<JobRecord>): JobRecord;
  transition(to: JobStatus, patch?: Partial<JobRecord>): Promise<boolean>;
  /** previews: base64 PNGs of every image (a newer runner's), beside image 0's `preview` */
  progress(p: NonNullable<Job['progress']>, preview: string | undefined, previews?: string[]): void;
  retrying(data: Record<string, unknown>): void;
  setAlarm(at: number): Promise<void>;
  /** resolves once every write so far is durable */
  durable(): Promise<void>;
  setFollowAbort(ac: AbortController | undefined): void;
  /** what the worker resolved when it created the job; undefined after an eviction */
  resolved(): ResolvedEmbeddings | undefined;
}

type Outcome =
  | { kind: 'succeeded'; images: ListedImage[] | undefined }
  | { kind: 'failed'; code: string; message: string; retryable: boolean }
  | { kind: 'canceled' }
  | { kind: 'lost'; reason: string };

/** how long a job waits for any runner to be ready before it fails */
const noRunnerGraceMs = 60_000;

class FinalError extends Error {
  override name = 'FinalError';
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

export async function driveJob(host: DriverHost, env: Env): Promise<void> {
  const config = loadConfig(env);
  const pool = createRunnerPool(config);
  const stallMs = config.runnerStallSeconds * 1000;
  const live = () => liveRecord(host);

  // An attempt left open by an evicted instance: pick up its stream where it was.
  const open = live()?.attempts.at(-1);
  if (open && open.endedAt === undefined) {
    // evicted between submitting and recording that the runner took it: it may well have
    if (live()?.status === 'queued') await host.transition('running');
    const spec = config.runners.find((r) => r.url === open.runner);
    const outcome: Outcome = spec ? await follow(host, pool, spec, open, stallMs) : { kind: 'lost', reason: 'runner no longer configured' };
    if (await settle(host, env, pool, spec, open, outcome)) return;
  }

  for (;;) {
    const r = live();
    if (!r) return;
    const handle = await nextRunner(host, pool, config, r);
    if (!handle) return;

    let body: string;
    const number = r.attempts.length + 1;
    const stage = handle.model.stages.find((s) => s.resolution === r.input.size)?.name ?? `${r.input.size}px`;
    const attempt: Attempt = { number, runner: handle.spec.url, runnerJobId: `${r.id}.${number}`, startedAt: Date.now(), stage };
    try {
      body = await prepare(env, pool, handle, r, attempt.runnerJobId, host.resolved());
    } catch (e) {
      if (e instanceof EmbedError && e.busy) {
        // the runner's encoder is busy: back-pressure, exactly as a busy submit below
        if (!live()) return;
        deferTo(host, r, config, handle.spec.url, e.busy);
        continue;
      }
      if (e instanceof EmbedError && e.runnerFault) {
        pool.markBad(handle.spec, e.message);
        continue;
      }
      if (e instanceof EmbedError || e instanceof JobRequestError || e instanceof FinalError) {
        await fail(host, e instanceof FinalError ? e.code : jobErrorCodes.invalidRequest, e.message);
        return;
      }
      throw e;
    }
    if (!live()) return;
    host.save({ attempts: [...r.attempts, attempt], modelId: handle.model.id, runnerEventId: 0 });
    // the watchdog: if this instance dies mid-attempt, the alarm resumes it
    await host.setAlarm(Date.now() + stallMs + 5000);
    // one sync makes the new job (on its first attempt), the attempt and the watchdog durable before the runner hears of it
    await host.durable();
    const submitted = await submit(pool, handle.spec, attempt, body);
    if (submitted?.kind === 'busy') {
      // back-pressure, not failure: no attempt spent, the runner stays in the pool; try another or wait (nextRunner)
      if (!live()) return;
      deferTo(host, r, config, handle.spec.url, submitted.answer);
      continue;
    }
    // the runner took it: the running state is made durable while the event stream opens
    const took = submitted === undefined ? tookJob(host, r, config) : undefined;
    const outcome = submitted ?? (await follow(host, pool, handle.spec, attempt, stallMs, took));
    if (await settle(host, env, pool, handle.spec, attempt, outcome)) return;
  }
}

/** a runner answered busy: the job keeps waiting (its attempts as they were at `r`), that runner left alone until its Retry-After */
function deferTo(host: DriverHost, r: JobRecord, config: EdgeConfig, runner: string, answer: BusyAnswer): void {
  const now = Date.now();
  host.save({ attempts: r.attempts, queue: deferred(currentWait(r, config.queueTimeoutSeconds * 1000, now), runner, answer, now) });
}

function liveRecord(host: DriverHost): JobRecord | undefined {
  const r = host.load();
  return r && (r.status === 'queued' || r.status === 'running') && !r.cancelRequested ? r : undefined;
}

async function fail(host: DriverHost, code: string, message: string): Promise<void> {
  await host.transition('failed', { error: { code, message }, progress: null });
}

/**
 * The runner for the next attempt, or undefined when the job ended or waits for its
 * alarm: out of attempts, past its queue deadline, every ready runner busy (wake at the
 * first Retry-After), or none ready (look again in 2 s, fail after a minute).
 */
async function nextRunner(host: DriverHost, pool: RunnerPool, config: EdgeConfig, r: JobRecord): Promise<RunnerHandle | undefined> {
  const failedAttempts = r.attempts.filter((a) => a.reason !== undefined);
  if (failedAttempts.length >= config.maxAttempts) {
    await fail(host, jobErrorCodes.runnerFailed, `the job failed on ${failedAttempts.length} attempt(s): ${failedAttempts.map((a) => a.reason).join('; ')}`);
    return undefined;
  }
  const now = Date.now();
  const own = currentWait(r, config.queueTimeoutSeconds * 1000, now);
  // runners any job in this isolate heard busy are left alone too (runner-pool.ts), and shown in the job's view
  const wait = adoptBusy(own, pool.busy(now), now);
  if (wait !== own) host.save({ queue: wait });
  if (timedOut(wait, now)) {
    await fail(host, jobErrorCodes.queueTimeout, timeoutMessage(wait, now, config.queueTimeoutSeconds));
    return undefined;
  }
  const busy = busyRunners(wait, now);
  try {
    return await pool.pick({ avoid: new Set(failedAttempts.map((a) => a.runner)), exclude: busy, ...(r.input.model ? { modelId: r.input.model } : {}) });
  } catch (e) {
    if (!(e instanceof RunnerUnavailableError)) throw e;
    if (busy.size > 0) {
      await host.setAlarm(nextWake(wait, now));
      return undefined;
    }
    const since = r.attempts.at(-1)?.endedAt ?? r.createdAt;
    if (now - since > noRunnerGraceMs) await fail(host, jobErrorCodes.runnerUnavailable, e.message);
    else await host.setAlarm(now + 2000);
    return undefined;
  }
}

/** a runner accepted the job: the wait is over (and the job is running, if it was not yet) */
async function tookJob(host: DriverHost, r: JobRecord, config: EdgeConfig): Promise<void> {
  const now = Date.now();
  const queue = { ...currentWait(r, config.queueTimeoutSeconds * 1000, now), tookAt: now };
  if (r.status === 'queued') await host.transition('running', { queue });
  else host.save({ queue });
}

/** records the outcome of an attempt; true when the job is done (terminal or handed to a later alarm) */
async function settle(host: DriverHost, env: Env, pool: RunnerPool, spec: RunnerSpec | undefined, attempt: Attempt, outcome: Outcome): Promise<boolean> {
  const r = host.load();
  if (!r || isTerminalStatus(r.status)) return true;
  const endAttempt = (reason: string | undefined): JobRecord =>
    host.save({ attempts: r.attempts.map((a) => (a.number === attempt.number ? { ...a, endedAt: Date.now(), ...(reason ? { reason } : {}) } : a)) });
  switch (outcome.kind) {
    case 'succeeded': {
      if (!spec) return false;
      try {
        const images = await collect(env, pool, spec, attempt, r, outcome.images);
        endAttempt(undefined);
        await host.transition('succeeded', { images, progress: null });
        return true;
      } catch (e) {
        const reason = `fetching the images failed: ${e instanceof Error ? e.message : String(e)}`;
        pool.markBad(spec, reason);
        endAttempt(reason);
        host.retrying({ attempt: attempt.number, runner: attempt.runner, reason });
        return false;
      }
    }
    case 'canceled':
      // we did not ask for it (that path is already terminal): the runner gave the job up
      endAttempt('the runner canceled the job');
      host.retrying({ attempt: attempt.number, runner: attempt.runner, reason: 'the runner canceled the job' });
      return false;
    case 'failed':
      if (!outcome.retryable) {
        endAttempt(`${outcome.code}: ${outcome.message}`);
        await host.transition('failed', { error: { code: outcome.code, message: outcome.message }, progress: null });
        return true;
      }
      if (spec) pool.markBad(spec, `${outcome.code}: ${outcome.message}`);
      endAttempt(`${outcome.code}: ${outcome.message}`);
      host.retrying({ attempt: attempt.number, runner: attempt.runner, reason: `${outcome.code}: ${outcome.message}` });
      return false;
    case 'lost':
      if (spec) pool.markBad(spec, outcome.reason);
      endAttempt(outcome.reason);
      host.retrying({ attempt: attempt.number, runner: attempt.runner, reason: outcome.reason });
      return false;
  }
}

function sameEncoder(a: ResolvedEmbeddings['encoder'], b: ResolvedEmbeddings['encoder']): boolean {
  return a.id === b.id && a.sha256 === b.sha256 && a.maxTokens === b.maxTokens;
}

/** the embeddings for this runner: the worker's when its encoder is this runner's, else from the cache (or the runner) */
async function embeddingsFor(env: Env, pool: RunnerPool, handle: RunnerHandle, r: JobRecord, resolved: ResolvedEmbeddings | undefined): Promise<Omit<ResolvedEmbeddings, 'encoder'>> {
  const withNegative = negativeFromEncoder(handle.model, r.input.negativePrompt);
  if (resolved && sameEncoder(resolved.encoder, handle.model.textEncoder) && (resolved.negativeEmbeddings !== undefined || !withNegative)) return resolved;
  const [positive, negative] = await Promise.all([
    embedPrompt(env.EMBEDDINGS, pool, handle, r.input.prompt),
    withNegative ? embedPrompt(env.EMBEDDINGS, pool, handle, r.input.negativePrompt) : undefined,
  ]);
  return { embeddings: bytesToBase64(positive.bytes), negativeEmbeddings: negative ? bytesToBase64(negative.bytes) : undefined };
}

async function prepare(env: Env, pool: RunnerPool, handle: RunnerHandle, r: JobRecord, runnerJobId: string, resolved: ResolvedEmbeddings | undefined): Promise<string> {
  // validate against this runner's model before spending an encoder call
  stageParams(r.input, handle.model);
  const { embeddings, negativeEmbeddings } = await embeddingsFor(env, pool, handle, r, resolved);
  let initImage: string | undefined;
  if (r.input.parent) {
    const obj = await env.IMAGES.get(r2KeyOf(r.input.parent.imageId));
    if (!obj) throw new FinalError(jobErrorCodes.parentMissing, `the parent image ${r.input.parent.imageId} is no longer stored`);
    initImage = bytesToBase64(new Uint8Array(await obj.arrayBuffer()));
  }
  const body = runnerJobBody(r, handle.model, {
    runnerJobId,
    embeddings,
    negativeEmbeddings: negativeEmbeddings !== undefined && handle.model.negativeEmbeddings ? negativeEmbeddings : undefined,
    initImage,
  });
  return JSON.stringify(body);
}

/** POST /v1/jobs; undefined when the runner took the job (follow it), busy when it asks to come back later, else the outcome */
async function submit(pool: RunnerPool, spec: RunnerSpec, attempt: Attempt, body: string): Promise<Outcome | { kind: 'busy'; answer: BusyAnswer } | undefined> {
  let res: Response;
  try {
    res = await pool.request(spec, { method: 'POST', path: '/v1/jobs', body, unlessBusy: true });
  } catch (e) {
    if (e instanceof RunnerBusyError) return { kind: 'busy', answer: { status: 429, until: e.until, reason: e.message } };
    return { kind: 'lost', reason: `submitting to ${spec.url} failed: ${e instanceof Error ? e.message : String(e)}` };
  }
  const text = await res.text().catch(() => '');
  if (res.ok) return undefined;
  const busy = busyAnswer(res, Date.now());
  if (busy) {
    pool.noteBusy(spec, busy.until);
    return { kind: 'busy', answer: busy };
  }
  let code = `http_${res.status}`;
  let message = text.slice(0, 500);
  try {
    const err = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
    if (err?.code) code = err.code;
    if (err?.message) message = err.message;
  } catch {
    // not our error shape: keep the raw text
  }
  // 4xx other than auth: the request itself is wrong, another runner would say the same (429 is back-pressure, above)
  const retryable = res.status >= 500 || res.status === 401 || code === 'encoder_mismatch';
  return { kind: 'failed', code, message: `runner ${spec.url} refused attempt ${attempt.number}: ${message}`, retryable };
}

/** follows the attempt's event stream; `before` (the running transition) settles before any of its events is read */
async function follow(host: DriverHost, pool: RunnerPool, spec: RunnerSpec, attempt: Attempt, stallMs: number, before?: Promise<void>): Promise<Outcome> {
  const ac = new AbortController();
  host.setFollowAbort(ac);
  let stalled = false;
  let timer = setTimeout(onStall, stallMs);
  function onStall(): void {
    stalled = true;
    ac.abort(new DOMException('stalled', 'TimeoutError'));
  }
  const activity = () => {
    clearTimeout(timer);
    timer = setTimeout(onStall, stallMs);
  };
  let outcome: Outcome | undefined;
  try {
    const after = host.load()?.runnerEventId ?? 0;
    const path = `/v1/jobs/${encodeURIComponent(attempt.runnerJobId)}/events${after > 0 ? `?lastEventId=${after}` : ''}`;
    const opening = pool.request(spec, { method: 'GET', path, signal: ac.signal, timeoutMs: 0, accept: 'text/event-stream' });
    // subscribers hear `running` before any progress; a failed transition ends the attempt (the catch below)
    if (before) await Promise.all([before, opening]);
    const res = await opening;
    if (!res.ok || !res.body) {
      await res.body?.cancel();
      return { kind: 'lost', reason: `event stream answered ${res.status}` };
    }
    await readSse(
      res.body as ReadableStream<Uint8Array>,
      (e) => {
        const eventId = Number(e.id);
        // state events only: a resumed stream may replay some progress, which costs nothing
        if (e.event !== 'progress' && Number.isSafeInteger(eventId) && eventId > 0) host.save({ runnerEventId: eventId });
        if (e.event === 'progress') {
          const p = RunnerProgressEvent.safeParse(JSON.parse(e.data));
          if (p.success) host.progress({ stage: p.data.stage, stageIndex: p.data.stageIndex, step: p.data.step, total: p.data.total }, p.data.preview, p.data.previews);
        } else if (e.event === 'succeeded') {
          // the event lists the images (with their sha256): no second request for the job view
          const done = RunnerSucceededEvent.safeParse(JSON.parse(e.data));
          outcome = { kind: 'succeeded', images: done.success ? done.data.images : undefined };
        }
        else if (e.event === 'canceled') outcome = { kind: 'canceled' };
        else if (e.event === 'failed') {
          const f = RunnerFailure.safeParse(JSON.parse(e.data));
          outcome = f.success ? { kind: 'failed', ...f.data } : { kind: 'failed', code: jobErrorCodes.runnerFailed, message: e.data.slice(0, 300), retryable: true };
        }
        // terminal: settle now rather than after the runner closes the stream
        return outcome === undefined ? undefined : 'stop';
      },
      activity,
    );
  } catch (e) {
    if (host.load()?.cancelRequested) return { kind: 'canceled' };
    if (stalled) return { kind: 'lost', reason: `no event from ${spec.url} for ${stallMs / 1000} s` };
    return { kind: 'lost', reason: `event stream from ${spec.url} broke: ${e instanceof Error ? e.message : String(e)}` };
  } finally {
    clearTimeout(timer);
    host.setFollowAbort(undefined);
  }
  return outcome ?? { kind: 'lost', reason: `event stream from ${spec.url} ended before the job did` };
}

/** best effort: the job is already canceled on our side */
export async function tellRunnerCancel(env: Env, attempt: Attempt): Promise<void> {
  const config = loadConfig(env);
  const spec = config.runners.find((s) => s.url === attempt.runner);
  if (!spec) return;
  try {
    const res = await createRunnerPool(config).request(spec, { method: 'POST', path: `/v1/jobs/${encodeURIComponent(attempt.runnerJobId)}/cancel`, timeoutMs: 5000 });
    await res.body?.cancel();
  } catch {
    // the runner is gone or busy; its own deadline ends the job
  }
}
