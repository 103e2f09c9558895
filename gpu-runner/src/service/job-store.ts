// Jobs, their state machine and their event logs. Every state change is an event
// with a per-job increasing id, so SSE clients resume with Last-Event-ID and
// callbacks report the same sequence. A job reaches exactly one terminal state.
import { createHash } from 'node:crypto';
import type { GenerateResult, RuntimeFingerprint } from '../engine/types.ts';
import { isTerminalStatus, type JobStatus, type RunnerEventType, type RunnerFailure, type TerminalStatus } from '@imagen-ts/protocol';
import type { JobSpec } from './job-request.ts';

export type { JobStatus };
export type JobEventType = RunnerEventType;

export interface JobEvent {
  id: number;
  type: JobEventType;
  data: Record<string, unknown>;
}

export interface StoredImage {
  index: number;
  seed: number;
  width: number;
  height: number;
  png: Uint8Array;
  /** sha256 of the PNG bytes (the ETag) */
  sha256: string;
  /** the pixel hash (PIXEL_HASH_ALGORITHM), as the engine computed it */
  pixelSha256: string;
}

export type JobFailure = RunnerFailure;

export interface Job {
  id: string;
  keyId: string;
  spec: JobSpec;
  status: JobStatus;
  createdAt: number;
  startedAt: number | undefined;
  finishedAt: number | undefined;
  /** cancel, deadline and shutdown all abort this; the engine stops between steps */
  controller: AbortController;
  cancelRequested: boolean;
  /** why controller was aborted; the first reason wins */
  abortKind: 'cancel' | 'deadline' | 'shutdown' | undefined;
  batch: { id: number; size: number; jobs: number } | undefined;
  progress: { stage: string; step: number; total: number } | undefined;
  images: StoredImage[];
  timings: GenerateResult['timings'] | undefined;
  fingerprint: RuntimeFingerprint | undefined;
  truncated: boolean;
  failure: JobFailure | undefined;
  events: JobEvent[];
  nextEventId: number;
  progressEvents: number;
  listeners: Set<(e: JobEvent) => void>;
  deadlineTimer: ReturnType<typeof setTimeout> | undefined;
}

/** progress events kept per job for SSE resumption; older ones are dropped, state changes never */
const maxProgressEvents = 500;

export interface JobStore {
  get(id: string): Job | undefined;
  create(id: string, keyId: string, spec: JobSpec): Job;
  emit(job: Job, type: JobEventType, data?: Record<string, unknown>): JobEvent;
  /** moves the job to a terminal state once; false when it already was terminal */
  finish(job: Job, status: TerminalStatus, data?: Record<string, unknown>): boolean;
  subscribe(job: Job, listener: (e: JobEvent) => void): () => void;
  /** every job not yet terminal */
  active(): Job[];
  size(): number;
}

export function isTerminal(job: Job): boolean {
  return isTerminalStatus(job.status);
}

export function imageFrom(index: number, img: { seed: number; width: number; height: number; png: Uint8Array; sha256: string }): StoredImage {
  const sha256 = createHash('sha256').update(img.png).digest('hex');
  return { index, seed: img.seed, width: img.width, height: img.height, png: img.png, sha256, pixelSha256: img.sha256 };
}

export function createJobStore(opts: { retain: number }): JobStore {
  const jobs = new Map<string, Job>();

  function evict(): void {
    if (jobs.size <= opts.retain) return;
    // Map order is creation order: drop the oldest finished jobs first; active ones stay.
    for (const [id, job] of jobs) {
      if (jobs.size <= opts.retain) break;
      if (isTerminal(job)) jobs.delete(id);
    }
  }

  function emit(job: Job, type: JobEventType, data: Record<string, unknown> = {}): JobEvent {
    const event: JobEvent = { id: job.nextEventId++, type, data };
    job.events.push(event);
    if (type === 'progress' && ++job.progressEvents > maxProgressEvents) {
      job.events.splice(job.events.findIndex((e) => e.type === 'progress'), 1);
      job.progressEvents--;
    }
    for (const listener of job.listeners) listener(event);
    return event;
  }

  return {
    get: (id) => jobs.get(id),
    create(id, keyId, spec) {
      const job: Job = {
        id,
        keyId,
        spec,
        status: 'queued',
        createdAt: Date.now(),
        startedAt: undefined,
        finishedAt: undefined,
        controller: new AbortController(),
        cancelRequested: false,
        abortKind: undefined,
        batch: undefined,
        progress: undefined,
        images: [],
        timings: undefined,
        fingerprint: undefined,
        truncated: false,
        failure: undefined,
        events: [],
        nextEventId: 1,
        progressEvents: 0,
        listeners: new Set(),
        deadlineTimer: undefined,
      };
      jobs.set(id, job);
      evict();
      return job;
    },
    emit,
    finish(job, status, data = {}) {
      if (isTerminal(job)) return false;
      job.status = status;
      job.finishedAt = Date.now();
      if (job.deadlineTimer) clearTimeout(job.deadlineTimer);
      job.deadlineTimer = undefined;
      emit(job, status, data);
      job.listeners.clear();
      evict();
      return true;
    },
    subscribe(job, listener) {
      job.listeners.add(listener);
      return () => job.listeners.delete(listener);
    },
    active: () => [...jobs.values()].filter((j) => !isTerminal(j)),
    size: () => jobs.size,
  };
}

/** the job as GET /v1/jobs/:id shows it (no prompt text, no pixels) */
export function jobView(job: Job): Record<string, unknown> {
  const r = job.spec.request;
  const view: Record<string, unknown> = {
    id: job.id,
    status: job.status,
    createdAt: new Date(job.createdAt).toISOString(),
    startedAt: job.startedAt === undefined ? null : new Date(job.startedAt).toISOString(),
    finishedAt: job.finishedAt === undefined ? null : new Date(job.finishedAt).toISOString(),
    seed: r.seed,
    n: r.n,
    size: r.size,
    cancelRequested: job.cancelRequested,
    batch: job.batch ?? null,
    progress: job.progress ?? null,
    lastEventId: job.nextEventId - 1,
    images: job.images.map((img) => ({
      index: img.index,
      seed: img.seed,
      width: img.width,
      height: img.height,
      sha256: img.sha256,
      pixelSha256: img.pixelSha256,
      url: `/v1/jobs/${encodeURIComponent(job.id)}/images/${img.index}`,
    })),
  };
  if (job.truncated) view.truncated = true;
  if (job.timings) view.timings = job.timings;
  if (job.fingerprint) view.fingerprint = job.fingerprint;
  if (job.failure) view.error = job.failure;
  return view;
}
