// The job queue and its single worker: a bounded FIFO (runner-queue.ts), dynamic
// batching of compatible jobs (equal engine batchKey) into one generateBatch call
// (runner-batch.ts), per-job deadlines, cancellation between steps, how jobs end
// (job-outcomes.ts), and the shutdown drain.
import type { CallbackDispatcher } from './callbacks.ts';
import type { ServiceEngine } from './engine-port.ts';
import { ApiError } from './errors.ts';
import { createJobOutcomes, type JobOutcomes } from './job-outcomes.ts';
import type { JobSpec } from './job-request.ts';
import { type Job, type JobStore, isTerminal } from './job-store.ts';
import { errorMessage, type Logger } from './log.ts';
import type { RunnerMetrics } from './metrics.ts';
import { runBatch } from './runner-batch.ts';
import { createJobQueue, type JobQueue } from './runner-queue.ts';

export interface RunnerOptions {
  engine: ServiceEngine;
  store: JobStore;
  metrics: RunnerMetrics;
  logger: Logger;
  callbacks: CallbackDispatcher;
  queueLimit: number;
  maxBatch: number;
  batchWaitMs: number;
  jobDeadlineMs: number;
  previewEvery: number;
}

export interface Runner {
  /** queues a new job, or returns the existing one for an identical resubmission */
  submit(id: string, keyId: string, spec: JobSpec): { job: Job; created: boolean };
  cancel(job: Job): void;
  /** stops accepting, fails queued jobs, lets running ones finish for graceMs, then aborts them */
  drain(graceMs: number): Promise<void>;
  /** marks every unfinished job failed at once (the crash path) */
  failAll(code: string, message: string): void;
  readonly accepting: boolean;
  queueDepth(): number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** what the worker loop and the public methods share */
interface RunnerState {
  queue: JobQueue;
  outcomes: JobOutcomes;
  accepting: boolean;
  stopped: boolean;
  current: Promise<void> | undefined;
  running: Job[];
  batchSeq: number;
  /** seconds per batch, smoothed; sizes Retry-After */
  batchSeconds: number;
}

/** the single worker: waits for the head job's company (batchWaitMs at most), runs the batch, repeats */
async function workerLoop(o: RunnerOptions, st: RunnerState): Promise<void> {
  const ctx = { engine: o.engine, store: o.store, metrics: o.metrics, outcomes: st.outcomes, previewEvery: o.previewEvery };
  while (!st.stopped) {
    const head = st.queue.jobs[0];
    if (!head) {
      await st.queue.wakeup();
      continue;
    }
    // Wait for company only while the head is young: under load the queue is the batch.
    const waitUntil = head.createdAt + o.batchWaitMs;
    while (!st.stopped && st.queue.jobs[0] === head && st.queue.compatibleImages(head) < o.maxBatch && Date.now() < waitUntil) {
      await Promise.race([st.queue.wakeup(), sleep(waitUntil - Date.now())]);
    }
    if (st.stopped) break;
    const jobs = st.queue.takeBatch();
    if (jobs.length === 0) continue;
    const t0 = Date.now();
    st.running = jobs;
    st.current = runBatch(ctx, jobs, ++st.batchSeq);
    await st.current;
    st.current = undefined;
    st.running = [];
    st.batchSeconds = 0.8 * st.batchSeconds + 0.2 * ((Date.now() - t0) / 1000);
  }
}

function submitJob(o: RunnerOptions, st: RunnerState, id: string, keyId: string, spec: JobSpec): { job: Job; created: boolean } {
  if (!st.accepting) throw new ApiError(503, 'shutting_down', 'the runner is shutting down; submit elsewhere');
  const existing = o.store.get(id);
  if (existing) {
    if (existing.spec.bodyHash !== spec.bodyHash) throw new ApiError(409, 'job_id_conflict', `job "${id}" exists with a different body; choose a new id`, { field: 'id' });
    return { job: existing, created: false };
  }
  if (st.queue.jobs.length >= o.queueLimit) {
    o.metrics.rejectedTotal.inc({ reason: 'queue_full' });
    const retryAfter = Math.min(120, Math.max(1, Math.ceil(st.batchSeconds * (st.queue.jobs.length / o.maxBatch + 1))));
    throw new ApiError(429, 'queue_full', `the queue is full (${o.queueLimit} jobs); retry after ${retryAfter} s`, { headers: { 'retry-after': String(retryAfter) } });
  }
  const job = o.store.create(id, keyId, spec);
  o.callbacks.attach(job);
  o.store.emit(job, 'queued', { position: st.queue.jobs.length + 1 });
  job.deadlineTimer = setTimeout(() => onDeadline(o, st, job), o.jobDeadlineMs);
  job.deadlineTimer.unref?.();
  st.queue.push(job);
  return { job, created: true };
}

function onDeadline(o: RunnerOptions, st: RunnerState, job: Job): void {
  if (isTerminal(job)) return;
  if (st.queue.remove(job)) st.outcomes.finishFailed(job, 'deadline_exceeded', `not finished within ${o.jobDeadlineMs} ms`, false);
  else st.outcomes.abort(job, 'deadline');
}

async function drainRunner(st: RunnerState, graceMs: number): Promise<void> {
  st.accepting = false;
  for (const job of [...st.queue.jobs]) {
    st.queue.remove(job);
    st.outcomes.finishFailed(job, 'shutting_down', 'the runner shut down before the job started', true);
  }
  const batch = st.current;
  if (batch) {
    const finished = await Promise.race([batch.then(() => true), sleep(graceMs).then(() => false)]);
    if (!finished) {
      for (const job of st.running) st.outcomes.abort(job, 'shutdown');
      // Aborts take effect between steps; a step that never ends must not hold the exit.
      await Promise.race([batch, sleep(Math.max(1000, Math.min(10_000, st.batchSeconds * 1000)))]);
    }
  }
  st.stopped = true;
  st.queue.notify();
  for (const job of st.running) st.outcomes.finishFailed(job, 'shutting_down', 'the runner shut down before the job finished', true);
}

export function createRunner(o: RunnerOptions): Runner {
  const st: RunnerState = {
    queue: createJobQueue({ maxBatch: o.maxBatch, metrics: o.metrics }),
    outcomes: createJobOutcomes({ store: o.store, metrics: o.metrics, logger: o.logger, jobDeadlineMs: o.jobDeadlineMs }),
    accepting: true,
    stopped: false,
    current: undefined,
    running: [],
    batchSeq: 0,
    batchSeconds: 1,
  };

  void workerLoop(o, st).catch((e: unknown) => {
    // The worker itself must never die silently: fail what it held, then surface the bug.
    o.logger.log('error', 'runner loop crashed', { error: errorMessage(e) });
    st.stopped = true;
    st.accepting = false;
    for (const job of [...st.running, ...st.queue.jobs]) st.outcomes.finishFailed(job, 'runner_crashed', "the runner's worker crashed", true);
    throw e;
  });

  return {
    get accepting() {
      return st.accepting;
    },
    queueDepth: () => st.queue.jobs.length,
    submit: (id, keyId, spec) => submitJob(o, st, id, keyId, spec),
    cancel(job) {
      if (isTerminal(job)) return;
      job.cancelRequested = true;
      if (st.queue.remove(job)) {
        job.abortKind ??= 'cancel';
        st.outcomes.finishCanceled(job, { stage: null, step: 0 });
      } else st.outcomes.abort(job, 'cancel');
    },
    drain: (graceMs) => drainRunner(st, graceMs),
    failAll(code, message) {
      st.accepting = false;
      st.stopped = true;
      for (const job of o.store.active()) {
        st.queue.remove(job);
        st.outcomes.finishFailed(job, code, message, true);
      }
    },
  };
}
