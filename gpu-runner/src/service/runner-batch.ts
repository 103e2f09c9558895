// One engine call for a batch of compatible jobs: mark them started, turn the
// engine's per-step progress into each job's `progress` events (with a preview
// PNG every previewEvery steps), then settle every job with its own outcome.
import { bytesToBase64, type RunnerProgressEvent } from '@imagen-ts/protocol';
import type { ProgressEvent } from '../engine/types.ts';
import { encodePng } from '../png/index.ts';
import type { BatchItem, BatchOutcome, ServiceEngine } from './engine-port.ts';
import type { JobOutcomes } from './job-outcomes.ts';
import { type Job, type JobStore, isTerminal } from './job-store.ts';
import type { RunnerMetrics } from './metrics.ts';

export interface BatchContext {
  engine: ServiceEngine;
  store: JobStore;
  metrics: RunnerMetrics;
  outcomes: JobOutcomes;
  previewEvery: number;
}

function previewPng(p: NonNullable<ProgressEvent['preview']>): string | undefined {
  try {
    return bytesToBase64(encodePng({ width: p.width, height: p.height, rgb: p.rgb }));
  } catch {
    return undefined;
  }
}

/** The event's previews as base64 PNGs: image 0's as `preview` (what older clients read), every image's as `previews`. */
function stepPreviews(e: ProgressEvent): Pick<RunnerProgressEvent, 'preview' | 'previews'> {
  const previews = (e.previews ?? (e.preview ? [e.preview] : [])).map(previewPng);
  if (previews.length === 0 || previews.some((p) => p === undefined)) return {};
  return { preview: previews[0], previews: previews as string[] };
}

function start(ctx: BatchContext, jobs: Job[], id: number): void {
  const images = jobs.reduce((s, j) => s + j.spec.request.n, 0);
  const t0 = Date.now();
  ctx.metrics.runningJobs.set(jobs.length);
  ctx.metrics.batchSize.observe(images);
  ctx.metrics.batchesTotal.inc();
  for (const job of jobs) {
    job.status = 'running';
    job.startedAt = t0;
    job.batch = { id, size: images, jobs: jobs.length };
    ctx.store.emit(job, 'started', { batch: job.batch });
  }
}

function items(ctx: BatchContext, jobs: Job[]): BatchItem[] {
  let lastStepAt = 0;
  // a job's log keeps every image's previews on its latest preview event only (n = 8 would otherwise hold 8 PNGs per
  // kept event); an SSE client more than previewEvery steps behind may then get an older event with image 0's alone
  const lastPreviews = new Map<Job, RunnerProgressEvent>();
  return jobs.map((job, k) => ({
    request: job.spec.request,
    options: {
      signal: job.controller.signal,
      previewEvery: ctx.previewEvery,
      onProgress: (e: ProgressEvent) => {
        if (isTerminal(job)) return;
        // one step of the whole batch: time it once, on its first item
        if (k === 0) {
          const now = performance.now();
          if (e.step > 1) ctx.metrics.stepSeconds.observe({ stage: e.stage }, (now - lastStepAt) / 1000);
          lastStepAt = now;
        }
        job.progress = { stage: e.stage, step: e.step, total: e.totalSteps };
        const data: RunnerProgressEvent = { stage: e.stage, stageIndex: e.stageIndex, step: e.step, total: e.totalSteps };
        Object.assign(data, stepPreviews(e));
        ctx.store.emit(job, 'progress', data);
        if (data.previews) {
          const before = lastPreviews.get(job);
          if (before) delete before.previews;
          lastPreviews.set(job, data);
        }
      },
    },
  }));
}

/** runs the batch to the end; every job is terminal afterwards */
export async function runBatch(ctx: BatchContext, jobs: Job[], id: number): Promise<void> {
  start(ctx, jobs, id);
  let outcomes: BatchOutcome[];
  try {
    outcomes = await ctx.engine.generateBatch(items(ctx, jobs));
  } catch (error) {
    outcomes = jobs.map(() => ({ ok: false, error }));
  }
  jobs.forEach((job, i) => ctx.outcomes.settle(job, outcomes[i] ?? { ok: false, error: new Error('the engine returned no outcome for this job') }));
  ctx.metrics.runningJobs.set(0);
}
