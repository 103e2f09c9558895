// Signed callbacks: POSTs a job's events to its (allow-listed) callbackUrl, in
// order, signed with the key the job was submitted with (@imagen-ts/protocol's signing), so the
// receiver verifies them exactly like the runner verifies requests.
// Progress is coalesced (only the newest pending one is sent, without its
// preview); state changes are retried.
import type { Logger } from './log.ts';
import { errorMessage } from './log.ts';
import { type Job, type JobEvent, type JobStore, jobView } from './job-store.ts';
import { isTerminalStatus, signRequest } from '@imagen-ts/protocol';

export interface CallbackDispatcher {
  attach(job: Job): void;
  /** waits for queued callbacks, at most timeoutMs */
  flush(timeoutMs: number): Promise<void>;
}

export interface CallbackOptions {
  keys: Record<string, string>;
  store: JobStore;
  logger: Logger;
  fetch?: typeof fetch;
  timeoutMs?: number;
  /** delays before the retries of a state-change callback */
  retryDelaysMs?: number[];
}

interface JobCallbacks {
  chain: Promise<void>;
  pendingProgress: JobEvent | undefined;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function createCallbackDispatcher(opts: CallbackOptions): CallbackDispatcher {
  const doFetch = opts.fetch ?? fetch;
  const timeoutMs = opts.timeoutMs ?? 5000;
  const retryDelays = opts.retryDelaysMs ?? [250, 1000, 4000];
  const inFlight = new Set<Promise<void>>();

  async function post(job: Job, url: string, event: JobEvent): Promise<boolean> {
    const secret = opts.keys[job.keyId];
    if (secret === undefined) return false; // the key was rotated out while the job ran
    const data = { ...event.data };
    delete data.preview;
    delete data.previews;
    // a callback carries the job view (below); its images are fetched from their urls, not carried inline
    if (Array.isArray(data.images)) data.images = (data.images as Record<string, unknown>[]).map(({ png: _png, ...img }) => img);
    const payload: Record<string, unknown> = { jobId: job.id, event: { id: event.id, type: event.type, data } };
    if (isTerminalStatus(event.type)) payload.job = jobView(job);
    const body = JSON.stringify(payload);
    const u = new URL(url);
    const headers = await signRequest({ keyId: job.keyId, secret }, { method: 'POST', path: `${u.pathname}${u.search}`, host: u.host, body });
    try {
      const res = await doFetch(url, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', 'x-imagen-event': event.type },
        body,
        signal: AbortSignal.timeout(timeoutMs),
        redirect: 'error',
      });
      await res.body?.cancel();
      return res.ok;
    } catch (e) {
      opts.logger.log('warn', 'callback failed', { jobId: job.id, event: event.type, error: errorMessage(e) });
      return false;
    }
  }

  async function deliver(job: Job, url: string, event: JobEvent, retry: boolean): Promise<void> {
    const attempts = retry ? retryDelays.length + 1 : 1;
    for (let a = 0; a < attempts; a++) {
      if (a > 0) await sleep(retryDelays[a - 1] ?? 0);
      if (await post(job, url, event)) return;
    }
    opts.logger.log('warn', 'callback gave up', { jobId: job.id, event: event.type, eventId: event.id });
  }

  function track(p: Promise<void>): void {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  }

  return {
    attach(job) {
      const url = job.spec.callbackUrl;
      if (url === undefined) return;
      const state: JobCallbacks = { chain: Promise.resolve(), pendingProgress: undefined };
      opts.store.subscribe(job, (event) => {
        if (event.type === 'progress') {
          const already = state.pendingProgress !== undefined;
          state.pendingProgress = event;
          if (already) return;
          state.chain = state.chain.then(() => {
            const latest = state.pendingProgress;
            state.pendingProgress = undefined;
            return latest ? deliver(job, url, latest, false) : undefined;
          });
        } else {
          state.chain = state.chain.then(() => deliver(job, url, event, true));
        }
        track(state.chain);
      });
    },
    async flush(ms) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<void>((r) => (timer = setTimeout(r, ms)));
      await Promise.race([Promise.allSettled([...inFlight]), timeout]);
      clearTimeout(timer);
    },
  };
}
