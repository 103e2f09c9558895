// The pool of GPU runners: signed requests (the runner's shared signing module),
// readiness checks, and a back-off for runners that answered badly, so they are
// taken out and tried again later. State lives per isolate: every isolate (the
// worker's, each job object's) learns runner health on its own.
import { signRequest } from '@imagen-ts/protocol';
import { signingKeyFor, type EdgeConfig, type RunnerSpec } from '../config.ts';
import { RunnerModel } from '@imagen-ts/protocol';

export interface RunnerHandle {
  spec: RunnerSpec;
  model: RunnerModel;
}

interface RunnerState {
  /** last successful readiness check (ms), 0 = never */
  checkedAt: number;
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
}

export class RunnerUnavailableError extends Error {
  override name = 'RunnerUnavailableError';
}

/** how long a ready answer stays trusted */
const recheckMs = 15_000;
const backoffMs = (failures: number) => Math.min(60_000, 1000 * 2 ** Math.min(6, failures - 1));

const states = new Map<string, RunnerState>();

function stateOf(url: string): RunnerState {
  let s = states.get(url);
  if (!s) {
    s = { checkedAt: 0, downUntil: 0, failures: 0, lastError: undefined, model: undefined };
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
  /** the models of the ready runners, one per model id */
  models(): Promise<RunnerModel[]>;
  /** for tests and diagnostics */
  snapshot(): { url: string; up: boolean; failures: number; lastError: string | undefined }[];
}

export function resetRunnerStates(): void {
  states.clear();
}

export function createRunnerPool(config: EdgeConfig): RunnerPool {
  async function request(runner: RunnerSpec, req: RunnerRequest): Promise<Response> {
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

  async function check(runner: RunnerSpec): Promise<RunnerModel | undefined> {
    const s = stateOf(runner.url);
    const now = Date.now();
    if (s.downUntil > now) return undefined;
    if (s.model && now - s.checkedAt < recheckMs) return s.model;
    try {
      const ready = await request(runner, { method: 'GET', path: '/v2/health/ready', timeoutMs: 5000 });
      await ready.body?.cancel();
      if (!ready.ok) throw new Error(`readiness answered ${ready.status}`);
      if (!s.model || now - s.checkedAt >= recheckMs) {
        const res = await request(runner, { method: 'GET', path: '/v1/model', timeoutMs: 5000 });
        if (!res.ok) throw new Error(`GET /v1/model answered ${res.status}`);
        const parsed = RunnerModel.safeParse(await res.json());
        if (!parsed.success) throw new Error(`GET /v1/model: unexpected body (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message})`);
        s.model = parsed.data;
      }
      s.checkedAt = Date.now();
      s.failures = 0;
      s.lastError = undefined;
      return s.model;
    } catch (e) {
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

  return {
    request,
    markBad,
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
    snapshot: () =>
      config.runners.map((r) => {
        const s = stateOf(r.url);
        return { url: r.url, up: s.downUntil <= Date.now(), failures: s.failures, lastError: s.lastError };
      }),
  };
}
