// The pool of GPU runners: signed requests (the runner's shared signing module),
// readiness checks, and a back-off for runners that answered badly, so they are
// taken out and tried again later. State lives per isolate: every isolate (the
// worker's, each job object's) learns runner health on its own.
import { signRequest } from '@imagen-ts/protocol';
import { signingKeyFor, type EdgeConfig, type RunnerSpec } from '../config.ts';
import { RunnerModel } from '@imagen-ts/protocol';
import { createSemaphore, type Semaphore } from '../semaphore.ts';

export interface RunnerHandle {
  spec: RunnerSpec;
  model: RunnerModel;
  /** not ready now, but it was lately (recent()): good for checking a request against its model, not for calling */
  recentOnly?: true;
}

interface RunnerState {
  /** last successful readiness check (ms), 0 = never; reset when the runner is taken out */
  checkedAt: number;
  /** last successful readiness check (ms), kept when the runner is taken out */
  readyAt: number;
  /** out of the pool until this time (ms) */
  downUntil: number;
  failures: number;
  lastError: string | undefined;
  model: RunnerModel | undefined;
}

export interface RunnerRequest {
  method: 'GET' | 'POST';
  path: string;
  body?: Uint8Array | string;
  signal?: AbortSignal;
  /** ms; default 30 s (not applied to streams the caller aborts itself) */
  timeoutMs?: number;
  accept?: string;
  /** not sent while the runner is known to be full (noteBusy): throws RunnerBusyError instead */
  unlessBusy?: boolean;
}

export class RunnerUnavailableError extends Error {
  override name = 'RunnerUnavailableError';
}

/** the runner said it is full (429, 503 + Retry-After) until `until`; the request was not sent again */
export class RunnerBusyError extends Error {
  override name = 'RunnerBusyError';
  readonly until: number;
  constructor(url: string, until: number) {
    super(`runner ${url} answered busy lately; it has room again in ${Math.max(0, Math.ceil((until - Date.now()) / 1000))} s`);
    this.until = until;
  }
}

const readinessPath = '/v2/health/ready';
const modelPath = '/v1/model';
/** a runner that was ready this recently stays in the pool when a readiness check only times out, and its model is still known (recent()) */
const slowOkMs = 300_000;

function isTimeout(e: unknown): boolean {
  return (e instanceof Error || e instanceof DOMException) && e.name === 'TimeoutError';
}

/** how long a ready answer stays trusted */
const recheckMs = 15_000;
const backoffMs = (failures: number) => Math.min(60_000, 1000 * 2 ** Math.min(6, failures - 1));

const states = new Map<string, RunnerState>();
/** readiness checks under way in this isolate, by runner url: a burst of requests shares one check */
const checking = new Map<string, Promise<RunnerModel | undefined>>();

/**
 * Requests one isolate has open to one runner at once (as an HTTP client's connection
 * pool bounds them); event streams and readiness checks are not counted. Past it they
 * wait their turn here, and their timeout starts when they are sent: 600 submits at
 * once had runners answer late, and the edge time them out and take healthy runners out.
 */
export const runnerRequestConcurrency = 16;
const lanes = new Map<string, Semaphore>();

/**
 * Runners that answered busy, by url, and until when (ms): what one job learns from a
 * 429, every job in the isolate uses. Without it each of 500 waiting jobs found out
 * for itself, building, signing and sending its whole request every Retry-After.
 */
const busyUntil = new Map<string, number>();

function laneOf(url: string): Semaphore {
  let lane = lanes.get(url);
  if (!lane) {
    lane = createSemaphore(runnerRequestConcurrency);
    lanes.set(url, lane);
  }
  return lane;
}

function stateOf(url: string): RunnerState {
  let s = states.get(url);
  if (!s) {
    s = { checkedAt: 0, readyAt: 0, downUntil: 0, failures: 0, lastError: undefined, model: undefined };
    states.set(url, s);
  }
  return s;
}

export interface RunnerPool {
  request(runner: RunnerSpec, req: RunnerRequest): Promise<Response>;
  /** a ready runner (checked within the last 15 s), preferring ones not in `avoid`, never one in `exclude`; throws RunnerUnavailableError when none is */
  pick(opts?: { avoid?: ReadonlySet<string>; exclude?: ReadonlySet<string>; modelId?: string }): Promise<RunnerHandle>;
  /** takes a runner out of the pool for a growing back-off */
  markBad(runner: RunnerSpec, reason: string): void;
  /** the runner answered busy: leave it alone until `until` (ms) — it stays in the pool */
  noteBusy(runner: RunnerSpec, until: number): void;
  /** runners known to be full now, and until when (ms) */
  busy(now: number): Map<string, number>;
  /** runners not ready now that were within the last 5 minutes (serving `modelId`, when given), as recentOnly handles */
  recent(modelId?: string): RunnerHandle[];
  /** the models of the ready runners, one per model id */
  models(): Promise<RunnerModel[]>;
  /** for tests and diagnostics */
  snapshot(): { url: string; up: boolean; failures: number; lastError: string | undefined }[];
}

export function resetRunnerStates(): void {
  states.clear();
  checking.clear();
  busyUntil.clear();
}

export function createRunnerPool(config: EdgeConfig): RunnerPool {
  function request(runner: RunnerSpec, req: RunnerRequest): Promise<Response> {
    const unlimited = req.timeoutMs === 0 || req.path === readinessPath || req.path === modelPath;
    if (unlimited) return send(runner, req);
    return laneOf(runner.url).run(() => {
      // looked at once the lane lets it through: a 429 heard while it waited counts
      const until = busyUntil.get(runner.url) ?? 0;
      if (req.unlessBusy && until > Date.now()) throw new RunnerBusyError(runner.url, until);
      return send(runner, req);
    });
  }

  async function send(runner: RunnerSpec, req: RunnerRequest): Promise<Response> {
    // Bound to this runner (its id and host), so a captured request cannot be replayed to another.
    const host = new URL(runner.url).host;
    const target = { method: req.method, path: req.path, host, ...(runner.id ? { target: runner.id } : {}) };
    const headers: Record<string, string> = await signRequest(signingKeyFor(config, runner), { ...target, body: req.body ?? '' });
    if (req.body !== undefined) headers['content-type'] = 'application/json';
    if (req.accept) headers.accept = req.accept;
    const signals = [req.signal, req.timeoutMs === 0 ? undefined : AbortSignal.timeout(req.timeoutMs ?? 30_000)].filter((s): s is AbortSignal => s !== undefined);
    return fetch(`${runner.url}${req.path}`, {
      method: req.method,
      headers,
      ...(req.body !== undefined ? { body: req.body } : {}),
      ...(signals.length > 0 ? { signal: AbortSignal.any(signals) } : {}),
    });
  }

  function markBad(runner: RunnerSpec, reason: string): void {
    const s = stateOf(runner.url);
    s.failures++;
    s.lastError = reason;
    s.checkedAt = 0;
    s.downUntil = Date.now() + backoffMs(s.failures);
    console.warn(`[edge] runner ${runner.url} out of the pool for ${backoffMs(s.failures)} ms: ${reason}`);
  }

  function check(runner: RunnerSpec): Promise<RunnerModel | undefined> {
    const s = stateOf(runner.url);
    const now = Date.now();
    if (s.downUntil > now) return Promise.resolve(undefined);
    if (s.model && now - s.checkedAt < recheckMs) return Promise.resolve(s.model);
    // Single-flight: without it, 600 requests arriving as the answer goes stale send
    // 1 200 readiness calls at once, which time out and take a healthy runner out.
    const pending = checking.get(runner.url);
    if (pending) return pending;
    const flight = recheck(runner, s).finally(() => checking.delete(runner.url));
    checking.set(runner.url, flight);
    return flight;
  }

  async function recheck(runner: RunnerSpec, s: RunnerState): Promise<RunnerModel | undefined> {
    try {
      const ready = await request(runner, { method: 'GET', path: readinessPath, timeoutMs: 5000 });
      await ready.body?.cancel();
      if (!ready.ok) throw new Error(`readiness answered ${ready.status}`);
      // check() only calls here when the model is unknown or stale: always re-read it (a runner may have been restarted on another model)
      const res = await request(runner, { method: 'GET', path: modelPath, timeoutMs: 5000 });
      if (!res.ok) throw new Error(`GET /v1/model answered ${res.status}`);
      const parsed = RunnerModel.safeParse(await res.json());
      if (!parsed.success) throw new Error(`GET /v1/model: unexpected body (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message})`);
      s.model = parsed.data;
      s.checkedAt = s.readyAt = Date.now();
      s.failures = 0;
      s.lastError = undefined;
      return s.model;
    } catch (e) {
      // A runner that answered lately and is only slow to answer now is loaded, not gone:
      // under a burst, readiness timeouts took both healthy runners out and the edge
      // refused new jobs. Keep it (its jobs have their own stall deadline) and ask again next time.
      if (isTimeout(e) && s.model && s.checkedAt > 0 && Date.now() - s.checkedAt < slowOkMs) {
        s.lastError = `readiness check timed out (last ready ${Math.round((Date.now() - s.checkedAt) / 1000)} s ago)`;
        return s.model;
      }
      markBad(runner, e instanceof Error ? e.message : String(e));
      return undefined;
    }
  }

  async function ready(): Promise<RunnerHandle[]> {
    const models = await Promise.all(config.runners.map((r) => check(r)));
    return config.runners.flatMap((spec, i) => {
      const model = models[i];
      return model ? [{ spec, model }] : [];
    });
  }

  function noteBusy(runner: RunnerSpec, until: number): void {
    if (until > (busyUntil.get(runner.url) ?? 0)) busyUntil.set(runner.url, until);
  }

  function busy(now: number): Map<string, number> {
    const out = new Map<string, number>();
    for (const [url, until] of busyUntil) {
      if (until > now) out.set(url, until);
      else busyUntil.delete(url);
    }
    return out;
  }

  return {
    request,
    markBad,
    noteBusy,
    busy,
    async pick(opts = {}) {
      const all = (await ready()).filter((h) => (opts.modelId === undefined || h.model.id === opts.modelId) && !opts.exclude?.has(h.spec.url));
      const fresh = all.filter((h) => !opts.avoid?.has(h.spec.url));
      const candidates = fresh.length > 0 ? fresh : all;
      if (candidates.length === 0) {
        const why = config.runners.map((r) => `${r.url}: ${stateOf(r.url).lastError ?? 'not ready'}`).join('; ');
        throw new RunnerUnavailableError(opts.modelId ? `no ready runner serves model "${opts.modelId}" (${why})` : `no runner is ready (${why})`);
      }
      // Random among equals spreads load without shared state between isolates.
      return candidates[Math.floor(Math.random() * candidates.length)] as RunnerHandle;
    },
    async models() {
      const byId = new Map<string, RunnerModel>();
      for (const h of await ready()) if (!byId.has(h.model.id)) byId.set(h.model.id, h.model);
      return [...byId.values()];
    },
    recent(modelId) {
      const since = Date.now() - slowOkMs;
      return config.runners.flatMap((spec) => {
        const { model, readyAt } = stateOf(spec.url);
        return model && readyAt > since && (modelId === undefined || model.id === modelId) ? [{ spec, model, recentOnly: true as const }] : [];
      });
    },
    snapshot: () =>
      config.runners.map((r) => {
        const s = stateOf(r.url);
        return { url: r.url, up: s.downUntil <= Date.now(), failures: s.failures, lastError: s.lastError };
      }),
  };
}
