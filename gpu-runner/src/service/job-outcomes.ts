// How a job ends on the runner: the one place that moves it to a terminal state
// (succeeded with its images, canceled, or failed with a code), counts it in the
// metrics and logs it. Aborts (cancel, deadline, shutdown) only signal the engine;
// the batch's outcome then says which ending applies.
import { inlinePngMaxBytes, type TerminalStatus } from '@imagen-ts/protocol';
import type { BatchOutcome } from './engine-port.ts';
import { type Job, type JobStore, imageFrom, isTerminal, jobView } from './job-store.ts';
import { errorMessage, type Logger } from './log.ts';
import type { RunnerMetrics } from './metrics.ts';

export type AbortKind = NonNullable<Job['abortKind']>;

export interface JobOutcomes {
  finishFailed(job: Job, code: string, message: string, retryable: boolean, extra?: Record<string, unknown>): void;
  finishCanceled(job: Job, where: Record<string, unknown>): void;
  abort(job: Job, kind: AbortKind): void;
  /** the engine's outcome for one job of a batch */
  settle(job: Job, outcome: BatchOutcome): void;
}

export function createJobOutcomes(o: { store: JobStore; metrics: RunnerMetrics; logger: Logger; jobDeadlineMs: number }): JobOutcomes {
  function record(job: Job, outcome: TerminalStatus, code = ''): void {
    o.metrics.jobsTotal.inc({ outcome, code });
    o.metrics.jobSeconds.observe({ outcome }, (Date.now() - job.createdAt) / 1000);
    o.logger.log(outcome === 'failed' ? 'warn' : 'info', `job ${outcome}`, { jobId: job.id, code: code || undefined, ms: Date.now() - job.createdAt, batch: job.batch?.id });
  }

  function finishFailed(job: Job, code: string, message: string, retryable: boolean, extra: Record<string, unknown> = {}): void {
    if (isTerminal(job)) return;
    job.failure = { code, message, retryable };
    o.store.finish(job, 'failed', { code, message, retryable, ...extra });
    record(job, 'failed', code);
  }

  function finishCanceled(job: Job, where: Record<string, unknown>): void {
    if (o.store.finish(job, 'canceled', where)) record(job, 'canceled');
  }

  function succeed(job: Job, result: Extract<BatchOutcome, { ok: true }>['result']): void {
    job.images = result.images.map((img, i) => imageFrom(i, img));
    job.timings = result.timings;
    job.fingerprint = result.fingerprint;
    job.truncated = result.truncated;
    // small PNGs inline: a caller following the stream (the edge) needs no request per image
    const images = (jobView(job).images as Record<string, unknown>[]).map((img, i) => {
      const png = job.images[i]?.png;
      return png && png.byteLength <= inlinePngMaxBytes ? { ...img, png: Buffer.from(png).toString('base64') } : img;
    });
    if (o.store.finish(job, 'succeeded', { images, batch: job.batch, timings: result.timings })) record(job, 'succeeded');
  }

  return {
    finishFailed,
    finishCanceled,
    abort(job, kind) {
      job.abortKind ??= kind;
      job.controller.abort(new DOMException(`job ${kind}`, 'AbortError'));
    },
    settle(job, outcome) {
      if (isTerminal(job)) return;
      if (outcome.ok) return succeed(job, outcome.result);
      const where = job.progress ? { stage: job.progress.stage, step: job.progress.step } : {};
      if (job.controller.signal.aborted) {
        if (job.abortKind === 'cancel') finishCanceled(job, where);
        else if (job.abortKind === 'deadline') finishFailed(job, 'deadline_exceeded', `not finished within ${o.jobDeadlineMs} ms`, false, where);
        else finishFailed(job, 'shutting_down', 'the runner shut down before the job finished', true, where);
        return;
      }
      o.logger.log('error', 'engine error', { jobId: job.id, error: errorMessage(outcome.error) });
      finishFailed(job, 'engine_error', errorMessage(outcome.error), true);
    },
  };
}
