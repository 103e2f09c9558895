// The job queue and its single worker: a bounded FIFO, dynamic batching of
// compatible jobs (equal engine batchKey) into one generateBatch call, per-job
// deadlines, cancellation between steps, and the shutdown drain.
import type { ProgressEvent } from '../engine/types.ts';
import { encodePng } from '../png/index.ts';
import type { CallbackDispatcher } from './callbacks.ts';
import { bytesToBase64, type RunnerProgressEvent, type TerminalStatus } from '@imagen-ts/protocol';
import type { BatchOutcome, ServiceEngine } from './engine-port.ts';
import { ApiError } from './errors.ts';
import type { JobSpec } from './job-request.ts';
import { type Job, type JobStore, imageFrom, isTerminal, jobView } from './job-store.ts';
import { errorMessage, type Logger } from './log.ts';
import type { RunnerMetrics } from './metrics.ts';

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

export function createRunner(o: RunnerOptions): Runner {
  const queue: Job[] = [];
  let accepting = true;
  let stopped = false;
  let wake: () => void = () => {};
  let wakeup = new Promise<void>((r) => (wake = r));
  let current: Promise<void> | undefined;
  let running: Job[] = [];
  let batchSeq = 0;
  // seconds per batch, smoothed; sizes Retry-After
  let batchSeconds = 1;

  function notify(): void {
    wake();
    wakeup = new Promise<void>((r) => (wake = r));
  }

  function setQueueGauge(): void {
    o.metrics.queueDepth.set(queue.length);
  }

  function removeQueued(job: Job): boolean {
    const i = queue.indexOf(job);
    if (i < 0) return false;
    queue.splice(i, 1);
    setQueueGauge();
    return true;
  }

  function finishFailed(job: Job, code: string, message: string, retryable: boolean, extra: Record<string, unknown> = {}): void {
    if (isTerminal(job)) return;
    job.failure = { code, message, retryable };
    o.store.finish(job, 'failed', { code, message, retryable, ...extra });
    record(job, 'failed', code);
  }

  function record(job: Job, outcome: TerminalStatus, code = ''): void {
    o.metrics.jobsTotal.inc({ outcome, code });
    o.metrics.jobSeconds.observe({ outcome }, (Date.now() - job.createdAt) / 1000);
    o.logger.log(outcome === 'failed' ? 'warn' : 'info', `job ${outcome}`, { jobId: job.id, code: code || undefined, ms: Date.now() - job.createdAt, batch: job.batch?.id });
  }

  function abort(job: Job, kind: 'cancel' | 'deadline' | 'shutdown'): void {
    job.abortKind ??= kind;
    job.controller.abort(new DOMException(`job ${kind}`, 'AbortError'));
  }

  function onDeadline(job: Job): void {
    if (isTerminal(job)) return;
    if (removeQueued(job)) finishFailed(job, 'deadline_exceeded', `not finished within ${o.jobDeadlineMs} ms`, false);
    else abort(job, 'deadline');
  }

  function stepPreview(e: ProgressEvent): string | undefined {
    if (!e.preview) return undefined;
    try {
      return bytesToBase64(encodePng({ width: e.preview.width, height: e.preview.height, rgb: e.preview.rgb }));
    } catch {
      return undefined;
    }
  }

  function settle(job: Job, outcome: BatchOutcome): void {
    if (isTerminal(job)) return;
    if (outcome.ok) {
      const r = outcome.result;
      job.images = r.images.map((img, i) => imageFrom(i, img));
      job.timings = r.timings;
      job.fingerprint = r.fingerprint;
      job.truncated = r.truncated;
      const view = jobView(job);
      if (o.store.finish(job, 'succeeded', { images: view.images, batch: job.batch, timings: r.timings })) record(job, 'succeeded');
      return;
    }
    const where = job.progress ? { stage: job.progress.stage, step: job.progress.step } : {};
    if (job.controller.signal.aborted) {
      if (job.abortKind === 'cancel') {
        if (o.store.finish(job, 'canceled', where)) record(job, 'canceled');
      } else if (job.abortKind === 'deadline') finishFailed(job, 'deadline_exceeded', `not finished within ${o.jobDeadlineMs} ms`, false, where);
      else finishFailed(job, 'shutting_down', 'the runner shut down before the job finished', true, where);
      return;
    }
    o.logger.log('error', 'engine error', { jobId: job.id, error: errorMessage(outcome.error) });
    finishFailed(job, 'engine_error', errorMessage(outcome.error), true);
  }

  async function runBatch(jobs: Job[]): Promise<void> {
    const id = ++batchSeq;
    const images = jobs.reduce((s, j) => s + j.spec.request.n, 0);
    const t0 = Date.now();
    running = jobs;
    o.metrics.runningJobs.set(jobs.length);
    o.metrics.batchSize.observe(images);
    o.metrics.batchesTotal.inc();
    for (const job of jobs) {
      job.status = 'running';
      job.startedAt = t0;
      job.batch = { id, size: images, jobs: jobs.length };
      o.store.emit(job, 'started', { batch: job.batch });
    }
    let lastStepAt = 0;
    const items = jobs.map((job, k) => ({
      request: job.spec.request,
      options: {
        signal: job.controller.signal,
        previewEvery: o.previewEvery,
        onProgress: (e: ProgressEvent) => {
          if (isTerminal(job)) return;
          // one step of the whole batch: time it once, on its first item
          if (k === 0) {
            const now = performance.now();
            if (e.step > 1) o.metrics.stepSeconds.observe({ stage: e.stage }, (now - lastStepAt) / 1000);
            lastStepAt = now;
          }
          job.progress = { stage: e.stage, step: e.step, total: e.totalSteps };
          const data: RunnerProgressEvent = { stage: e.stage, stageIndex: e.stageIndex, step: e.step, total: e.totalSteps };
          const preview = stepPreview(e);
          if (preview) data.preview = preview;
          o.store.emit(job, 'progress', data);
        },
      },
    }));
    let outcomes: BatchOutcome[];
    try {
      outcomes = await o.engine.generateBatch(items);
    } catch (error) {
      outcomes = jobs.map(() => ({ ok: false, error }));
    }
    jobs.forEach((job, i) => settle(job, outcomes[i] ?? { ok: false, error: new Error('the engine returned no outcome for this job') }));
    batchSeconds = 0.8 * batchSeconds + 0.2 * ((Date.now() - t0) / 1000);
    running = [];
    o.metrics.runningJobs.set(0);
  }

  function takeBatch(): Job[] {
    const head = queue[0];
    if (!head) return [];
    const picked: Job[] = [];
    let images = 0;
    for (const job of queue) {
      if (job.spec.batchKey !== head.spec.batchKey) continue;
      const n = job.spec.request.n;
      if (picked.length > 0 && images + n > o.maxBatch) continue;
      picked.push(job);
      images += n;
      if (images >= o.maxBatch) break;
    }
    for (const job of picked) removeQueued(job);
    return picked;
  }

  function compatibleImages(head: Job): number {
    let images = 0;
    for (const job of queue) if (job.spec.batchKey === head.spec.batchKey) images += job.spec.request.n;
    return images;
  }

  async function loop(): Promise<void> {
    while (!stopped) {
      const head = queue[0];
      if (!head) {
        await wakeup;
        continue;
      }
      // Wait for company only while the head is young: under load the queue is the batch.
      const waitUntil = head.createdAt + o.batchWaitMs;
      while (!stopped && queue[0] === head && compatibleImages(head) < o.maxBatch && Date.now() < waitUntil) {
        await Promise.race([wakeup, sleep(waitUntil - Date.now())]);
      }
      if (stopped) break;
      const jobs = takeBatch();
      if (jobs.length === 0) continue;
      current = runBatch(jobs);
      await current;
      current = undefined;
    }
  }

  void loop().catch((e: unknown) => {
    // The worker itself must never die silently: fail what it held, then surface the bug.
    o.logger.log('error', 'runner loop crashed', { error: errorMessage(e) });
    stopped = true;
    accepting = false;
    for (const job of [...running, ...queue]) finishFailed(job, 'runner_crashed', 'the runner\'s worker crashed', true);
    throw e;
  });

  return {
    get accepting() {
      return accepting;
    },
    queueDepth: () => queue.length,

    submit(id, keyId, spec) {
      if (!accepting) throw new ApiError(503, 'shutting_down', 'the runner is shutting down; submit elsewhere');
      const existing = o.store.get(id);
      if (existing) {
        if (existing.spec.bodyHash !== spec.bodyHash)
          throw new ApiError(409, 'job_id_conflict', `job "${id}" exists with a different body; choose a new id`, { field: 'id' });
        return { job: existing, created: false };
      }
      if (queue.length >= o.queueLimit) {
        o.metrics.rejectedTotal.inc({ reason: 'queue_full' });
        const retryAfter = Math.min(120, Math.max(1, Math.ceil(batchSeconds * (queue.length / o.maxBatch + 1))));
        throw new ApiError(429, 'queue_full', `the queue is full (${o.queueLimit} jobs); retry after ${retryAfter} s`, { headers: { 'retry-after': String(retryAfter) } });
      }
      const job = o.store.create(id, keyId, spec);
      o.callbacks.attach(job);
      queue.push(job);
      setQueueGauge();
      o.store.emit(job, 'queued', { position: queue.length });
      job.deadlineTimer = setTimeout(() => onDeadline(job), o.jobDeadlineMs);
      job.deadlineTimer.unref?.();
      notify();
      return { job, created: true };
    },

    cancel(job) {
      if (isTerminal(job)) return;
      job.cancelRequested = true;
      if (removeQueued(job)) {
        job.abortKind ??= 'cancel';
        if (o.store.finish(job, 'canceled', { stage: null, step: 0 })) record(job, 'canceled');
      } else abort(job, 'cancel');
    },

    async drain(graceMs) {
      accepting = false;
      for (const job of [...queue]) {
        removeQueued(job);
        finishFailed(job, 'shutting_down', 'the runner shut down before the job started', true);
      }
      const batch = current;
      if (batch) {
        const finished = await Promise.race([batch.then(() => true), sleep(graceMs).then(() => false)]);
        if (!finished) {
          for (const job of running) abort(job, 'shutdown');
          // Aborts take effect between steps; a step that never ends must not hold the exit.
          await Promise.race([batch, sleep(Math.max(1000, Math.min(10_000, batchSeconds * 1000)))]);
        }
      }
      stopped = true;
      notify();
      for (const job of running) finishFailed(job, 'shutting_down', 'the runner shut down before the job finished', true);
    },

    failAll(code, message) {
      accepting = false;
      stopped = true;
      for (const job of o.store.active()) {
        removeQueued(job);
        finishFailed(job, code, message, true);
      }
    },
  };
}
