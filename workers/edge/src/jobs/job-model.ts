// A job's persisted record, its state machine, and how its request becomes a
// runner request. Pure: the Durable Object (job-object.ts) stores and drives it.
import type { Job, JobImage, JobStatus } from '@imagen-ts/protocol';
import type { RunnerJobRequestInput, RunnerModel, StageParams } from '@imagen-ts/protocol';
import { queueView, startWait, type QueueState } from './back-pressure.ts';
import { webhookStatus, type WebhookState } from '../webhooks/webhook-queue.ts';

export type StageOverride = StageParams;

export interface JobInput {
  kind: 'generation' | 'upscale';
  ownerKeyId: string;
  /** sha256 of the client's request (before a random seed is drawn): same Idempotency-Key + other body = conflict */
  requestHash: string;
  model: string | undefined;
  /** normalized (embedding-cache.ts) */
  prompt: string;
  /** normalized; "" is the null prompt */
  negativePrompt: string;
  seed: number;
  n: number;
  size: number;
  /** the first stage that runs: base stage's steps/sampler/guidance; noiseAugmentation: every SR stage that runs */
  steps?: number;
  sampler?: StageOverride['sampler'];
  guidance?: number;
  noiseAugmentation?: number;
  stages?: Record<string, StageOverride>;
  /** upscales: the stored image and the SR stage that continues from it */
  parent?: { imageId: string; fromStage: string };
}

export interface Attempt {
  number: number;
  runner: string;
  runnerJobId: string;
  startedAt: number;
  /** the model's name of the last stage that runs */
  stage: string;
  endedAt?: number;
  /** why it ended, when it did not succeed */
  reason?: string;
}

export interface JobRecord {
  id: string;
  status: JobStatus;
  input: JobInput;
  createdAt: number;
  updatedAt: number;
  /** the model the job ran (or will run) on */
  modelId: string | undefined;
  attempts: Attempt[];
  progress: Job['progress'];
  images: JobImage[];
  error: { code: string; message: string } | null;
  embeddingCache: 'hit' | 'miss' | null;
  cancelRequested: boolean;
  /** the last event id seen from the open attempt's runner, to resume its stream after an eviction */
  runnerEventId: number;
  /** the wait for a runner with room (back-pressure.ts); absent from records stored before it existed */
  queue?: QueueState;
  /** when the request asked for a webhook: its target, queued messages and attempts */
  webhook?: WebhookState;
}

const transitions: Record<JobStatus, readonly JobStatus[]> = {
  queued: ['running', 'failed', 'canceled'],
  running: ['succeeded', 'failed', 'canceled'],
  succeeded: [],
  failed: [],
  canceled: [],
};

export function canTransition(from: JobStatus, to: JobStatus): boolean {
  return transitions[from].includes(to);
}

export function isTerminal(status: JobStatus): boolean {
  return transitions[status].length === 0;
}

export function newRecord(id: string, input: JobInput, now: number, queueTimeoutMs: number): JobRecord {
  return {
    id,
    status: 'queued',
    input,
    createdAt: now,
    updatedAt: now,
    modelId: input.model,
    attempts: [],
    progress: null,
    images: [],
    error: null,
    embeddingCache: null,
    cancelRequested: false,
    runnerEventId: 0,
    queue: startWait(now, queueTimeoutMs),
  };
}

export function jobView(r: JobRecord, now = Date.now()): Job {
  const queue = queueView(r, now);
  return {
    id: r.id,
    kind: r.input.kind,
    status: r.status,
    createdAt: new Date(r.createdAt).toISOString(),
    updatedAt: new Date(r.updatedAt).toISOString(),
    model: r.modelId ?? r.input.model ?? '',
    seed: r.input.seed,
    n: r.input.n,
    size: r.input.size,
    parentImageId: r.input.parent?.imageId ?? null,
    attempts: r.attempts.length,
    progress: r.progress,
    images: r.images,
    error: r.error,
    embeddingCache: r.embeddingCache,
    ...(queue ? { queue } : {}),
    ...(r.webhook ? { webhook: webhookStatus(r.webhook) } : {}),
  };
}

export class JobRequestError extends Error {
  override name = 'JobRequestError';
  readonly field: string | undefined;
  readonly allowed: unknown[] | undefined;
  constructor(message: string, field?: string, allowed?: unknown[]) {
    super(message);
    this.field = field;
    this.allowed = allowed;
  }
}

/**
 * The per-stage parameters a job sends, by the model's stage names. Flat
 * fields apply to the first stage that runs (steps, sampler, guidance) and to
 * every super-resolution stage that runs (noiseAugmentation); `stages` wins.
 */
export function stageParams(input: JobInput, model: RunnerModel): Record<string, StageOverride> {
  const names = model.stages.map((s) => s.name);
  const last = model.stages.findIndex((s) => s.resolution === input.size);
  if (last < 0) throw new JobRequestError(`size: model "${model.id}" makes ${model.stages.map((s) => s.resolution).join(', ')}`, 'size', model.stages.map((s) => s.resolution));
  const first = input.parent ? names.indexOf(input.parent.fromStage) : 0;
  if (first < 0 || first > last) throw new JobRequestError(`model "${model.id}" has no stage "${input.parent?.fromStage}" up to size ${input.size}`, 'size');
  const out: Record<string, StageOverride> = {};
  for (let i = first; i <= last; i++) {
    const stage = model.stages[i];
    if (!stage) continue;
    const p: StageOverride = {};
    if (i === first) {
      if (input.steps !== undefined) p.steps = input.steps;
      if (input.sampler !== undefined) p.sampler = input.sampler;
      if (input.guidance !== undefined) p.guidance = input.guidance;
    }
    if (i > 0 && input.noiseAugmentation !== undefined) p.noiseAugmentation = input.noiseAugmentation;
    Object.assign(p, input.stages?.[stage.name]);
    if (Object.keys(p).length > 0) out[stage.name] = p;
  }
  for (const name of Object.keys(input.stages ?? {})) {
    if (!names.includes(name)) throw new JobRequestError(`stages: model "${model.id}" has no stage "${name}"`, `stages.${name}`, names);
  }
  return out;
}

export function runnerJobBody(
  r: JobRecord,
  model: RunnerModel,
  parts: { runnerJobId: string; embeddings: string; negativeEmbeddings: string | undefined; initImage: string | undefined },
): RunnerJobRequestInput {
  const input = r.input;
  const body: RunnerJobRequestInput = {
    id: parts.runnerJobId,
    prompt: input.prompt,
    embeddings: parts.embeddings,
    seed: input.seed,
    n: input.n,
    size: input.size,
  };
  if (parts.negativeEmbeddings !== undefined) body.negativeEmbeddings = parts.negativeEmbeddings;
  if (input.negativePrompt !== '') body.negativePrompt = input.negativePrompt;
  const stages = stageParams(input, model);
  if (Object.keys(stages).length > 0) body.stages = stages;
  if (input.parent) {
    if (parts.initImage === undefined) throw new Error('an upscale needs its parent image');
    body.init = { image: parts.initImage, fromStage: input.parent.fromStage };
  }
  return body;
}

/**
 * Does the negative side of classifier-free guidance come from the encoder? Not
 * for the null prompt of a 'zeros' model: the runner builds that itself, and
 * refuses encoder output in its place.
 */
export function negativeFromEncoder(model: RunnerModel, negativePrompt: string): boolean {
  return negativePrompt !== '' || model.textEncoder.nullPrompt === 'empty-prompt';
}

/** the stage an image of this size came out of, and the SR stage after it */
export function nextStage(model: RunnerModel, width: number): { from: string; next: string; resolution: number } | undefined {
  const i = model.stages.findIndex((s) => s.resolution === width);
  const next = model.stages[i + 1];
  const from = model.stages[i];
  if (i < 0 || !next || !from) return undefined;
  return { from: from.name, next: next.name, resolution: next.resolution };
}
