// The edge's public API: request, response and event bodies (zod; `.meta({ id })`
// names them in the OpenAPI document). Pure schemas, so the worker, the typed
// client, the notebook and tests share them.
import { z } from 'zod';
import { ErrorBody } from './errors.ts';
import { measureJsonShape, notebookContentLimits } from './json-shape.ts';
import { ImageCount, LIMITS, Prompt, publicSizes, Seed, StageName, StageParams } from './limits.ts';
import { PIXEL_HASH_ALGORITHM } from './pixel-hash.ts';
import { JobStatus, Progress, RunnerTokenizeRequest, RunnerTokenizeResult } from './runner-api.ts';
import { webhookPayloadTypes, webhookRequestFields, WebhookStatus } from './webhooks.ts';

export { ErrorBody };
/** longest synchronous wait (Prefer: wait=N) */
export const maxWaitSeconds = 300;

/** per-stage overrides by the model's stage names */
export const StageOverrides = StageParams;

export const GenerationRequest = z
  .strictObject({
    prompt: z.string().trim().min(1).max(LIMITS.promptChars).meta({ example: 'a watercolor fox in the snow' }),
    negativePrompt: Prompt.optional(),
    /** uint32, or "random" (the default): the edge draws one and reports it */
    seed: z.union([Seed, z.literal('random')]).default('random'),
    n: ImageCount.default(1),
    size: z.literal([...publicSizes]).default(64).meta({ type: 'integer', enum: [...publicSizes] }),
    /** base stage's steps, sampler and guidance; SR stages keep their defaults unless `stages` says otherwise */
    steps: StageParams.shape.steps,
    sampler: StageParams.shape.sampler,
    guidance: StageParams.shape.guidance,
    /** noise-augmentation level of every super-resolution stage that runs */
    noiseAugmentation: StageParams.shape.noiseAugmentation,
    /** per-stage overrides by the model's stage names (see GET /v1/models) */
    stages: z.record(StageName, StageOverrides).optional(),
    model: z.string().min(1).max(128).optional(),
    ...webhookRequestFields,
  })
  .meta({ id: 'GenerationRequest' });
export type GenerationRequest = z.infer<typeof GenerationRequest>;

export const UpscaleRequest = z
  .strictObject({
    /** default: the prompt the parent image was made with */
    prompt: z.string().trim().min(1).max(LIMITS.promptChars).optional(),
    negativePrompt: Prompt.optional(),
    seed: z.union([Seed, z.literal('random')]).default('random'),
    steps: StageParams.shape.steps,
    sampler: StageParams.shape.sampler,
    guidance: StageParams.shape.guidance,
    noiseAugmentation: StageParams.shape.noiseAugmentation,
    ...webhookRequestFields,
  })
  .meta({ id: 'UpscaleRequest' });
export type UpscaleRequest = z.infer<typeof UpscaleRequest>;

export { jobStatuses, JobStatus, terminalStatuses, isTerminalStatus, Progress } from './runner-api.ts';

export const JobImage = z.object({
  id: z.string().meta({ description: 'sha256 of the PNG bytes' }),
  pixelSha256: z
    .string()
    .optional()
    .meta({ description: `hash of the decoded pixels (${PIXEL_HASH_ALGORITHM}: sha256 of width, height as big-endian uint32, then the RGB8 bytes): the same for the same picture whatever the PNG's metadata` }),
  index: z.number().int(),
  seed: z.number().int(),
  width: z.number().int(),
  height: z.number().int(),
  url: z.string(),
});
export type JobImage = z.infer<typeof JobImage>;

/**
 * The error codes the edge ends a job with itself; a runner's own final failure passes
 * its code through (e.g. `invalid_request`, `engine_error`).
 */
export const jobErrorCodes = {
  /** every attempt (MAX_ATTEMPTS) failed on a runner */
  runnerFailed: 'runner_failed',
  /** no runner was ready for a minute */
  runnerUnavailable: 'runner_unavailable',
  /** the runners stayed busy (429, or 503 with Retry-After) past the job's queue deadline */
  queueTimeout: 'queue_timeout',
  /** an upscale's parent image is no longer stored */
  parentMissing: 'parent_missing',
  /** the request does not fit the runner's model */
  invalidRequest: 'invalid_request',
} as const;
export type JobErrorCode = (typeof jobErrorCodes)[keyof typeof jobErrorCodes];

/**
 * How long the job has waited for a runner with room. There is no queue position: each
 * job waits in its own object (there is no shared queue at the edge to rank it in), and
 * a runner's queue position is only known at the moment it accepts a job.
 */
export const JobQueue = z
  .object({
    /** waiting now: no runner has taken the job since it was created (or since its last failed attempt) */
    waiting: z.boolean(),
    /** ms waited so far, or, once a runner took the job, how long that took */
    waitMs: z.number().int().min(0),
    /** how often runners answered busy (429, or 503 with Retry-After) during this wait */
    deferrals: z.number().int().min(0),
    /** while every runner is busy: when the job tries again */
    retryAt: z.string().nullable(),
    /** while waiting: when the wait ends with `queue_timeout` (QUEUE_TIMEOUT_SECONDS after it began) */
    deadlineAt: z.string().nullable(),
  })
  .meta({ id: 'JobQueue' });
export type JobQueue = z.infer<typeof JobQueue>;

export const Job = z
  .object({
    id: z.string(),
    kind: z.enum(['generation', 'upscale']),
    status: JobStatus,
    createdAt: z.string(),
    updatedAt: z.string(),
    model: z.string(),
    seed: z.number().int(),
    n: z.number().int(),
    size: z.number().int(),
    /** upscales: the image this job started from */
    parentImageId: z.string().nullable(),
    attempts: z.number().int(),
    progress: Progress.nullable(),
    images: z.array(JobImage),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    embeddingCache: z.enum(['hit', 'miss']).nullable(),
    /** the wait for a runner with room (the edge sets it; absent from older records) */
    queue: JobQueue.optional(),
    /** only when the request asked for a webhook */
    webhook: WebhookStatus.optional(),
  })
  .meta({ id: 'Job' });
export type Job = z.infer<typeof Job>;

/** the body of a webhook (Standard Webhooks' {type, timestamp, data}): data is the job as it was then */
export const WebhookPayload = z
  .object({
    type: z.enum([webhookPayloadTypes.start, webhookPayloadTypes.completed]),
    timestamp: z.string().meta({ description: 'when the event happened (ISO 8601); webhook-timestamp is when this attempt was sent' }),
    data: Job.omit({ webhook: true }),
  })
  .meta({ id: 'WebhookPayload' });
export type WebhookPayload = z.infer<typeof WebhookPayload>;

/**
 * GET /v1/jobs/:id/events (SSE or WebSocket): `state` on every transition (data: the
 * Job), `progress` while a stage runs (data: JobProgressEvent).
 */
export const jobEventTypes = ['state', 'progress'] as const;
export type JobEventType = (typeof jobEventTypes)[number];
/** a `progress` event's data; the preview is a data: URL of the current predicted image 0, `previews` of every image */
export const JobProgressEvent = Progress.extend({ preview: z.string().optional(), previews: z.array(z.string()).max(LIMITS.n[1]).optional() }).meta({ id: 'JobProgressEvent' });
export type JobProgressEvent = z.infer<typeof JobProgressEvent>;

export const JobId = z.string().regex(/^job_[a-z0-9]{26}$/, 'a job id such as job_…');
export const ImageId = z.string().regex(/^[0-9a-f]{64}$/, 'an image id (64 lowercase hex characters)');
export const NotebookId = z.string().regex(/^nb_[a-z0-9]{20}$/, 'a notebook id such as nb_…');

export const ImageMeta = z
  .object({
    id: z.string(),
    width: z.number().int(),
    height: z.number().int(),
    bytes: z.number().int(),
    createdAt: z.string(),
    url: z.string(),
    lineage: z.array(
      z.object({
        jobId: z.string(),
        index: z.number().int(),
        stage: z.string(),
        seed: z.number().int(),
        parentImageId: z.string().nullable(),
        params: z.record(z.string(), z.unknown()),
        createdAt: z.string(),
      }),
    ),
    children: z.array(z.object({ imageId: z.string(), jobId: z.string(), stage: z.string() })),
  })
  .meta({ id: 'ImageMeta' });
export type ImageMeta = z.infer<typeof ImageMeta>;

export const InspectResult = z
  .object({
    source: z.enum(['imagen-ts', 'a1111', 'none']),
    text: z.record(z.string(), z.string()),
    parameters: z
      .object({
        prompt: z.string(),
        negativePrompt: z.string(),
        params: z.record(z.string(), z.string()),
        steps: z.number().optional(),
        sampler: z.string().optional(),
        cfgScale: z.number().optional(),
        seed: z.number().optional(),
        width: z.number().optional(),
        height: z.number().optional(),
        model: z.string().optional(),
      })
      .nullable(),
    imagen: z.record(z.string(), z.unknown()).nullable(),
    /** a POST /v1/generations body that repeats the image, as far as the metadata tells */
    request: z.record(z.string(), z.unknown()).nullable(),
  })
  .meta({ id: 'InspectResult' });
export type InspectResult = z.infer<typeof InspectResult>;

export const openAiSizes = ['64x64', '256x256', '1024x1024'] as const;

// The OpenAI Images API's generation body. Fields we do not use (quality, style,
// user, ...) are accepted and ignored, as OpenAI clients send them.
export const OpenAiImageRequest = z
  .looseObject({
    prompt: z.string().trim().min(1).max(LIMITS.promptChars),
    model: z.string().max(128).optional(),
    n: ImageCount.default(1),
    size: z.enum(openAiSizes).default('256x256'),
    response_format: z.enum(['url', 'b64_json']).default('url'),
  })
  .meta({ id: 'OpenAiImageRequest' });

export const OpenAiImageResponse = z
  .object({
    created: z.number().int(),
    data: z.array(z.object({ url: z.string().optional(), b64_json: z.string().optional(), revised_prompt: z.string().optional() })),
  })
  .meta({ id: 'OpenAiImageResponse' });

export const ModelInfo = z.object({
  id: z.string(),
  object: z.literal('model'),
  created: z.number().int(),
  owned_by: z.string(),
  sizes: z.array(z.number().int()),
  stages: z.array(
    z.object({
      name: z.string(),
      resolution: z.number().int(),
      defaults: z.object({ steps: z.number().int(), sampler: z.string(), guidance: z.number() }),
      noiseAugmentation: z.number().int().nullable(),
    }),
  ),
  textEncoder: z.object({ id: z.string(), maxTokens: z.number().int() }),
  /** a few prompts from the model's world, for a placeholder and examples */
  examplePrompts: z.array(z.string()).default([]),
});
export type ModelInfo = z.infer<typeof ModelInfo>;

/** POST /v1/tokenize at the edge: the runner's body, plus which model's tokenizer */
export const TokenizeInput = RunnerTokenizeRequest.extend({
  prompt: RunnerTokenizeRequest.shape.prompt.meta({ example: 'a watercolor painting of a red circle' }),
  model: z.string().min(1).max(128).optional().meta({ description: 'a model id from GET /v1/models (default: any ready runner)' }),
}).meta({ id: 'TokenizeInput' });
export type TokenizeInput = z.infer<typeof TokenizeInput>;

/** POST /v1/tokenize's answer, the runner's and the edge's alike */
export const TokenizeResult = RunnerTokenizeResult.meta({ id: 'TokenizeResult' });
export type TokenizeResult = z.infer<typeof TokenizeResult>;

export const ModelList = z.object({ object: z.literal('list'), data: z.array(ModelInfo) }).meta({ id: 'ModelList' });

export const maxNotebookBytes = 1 << 20;

type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
// Any JSON value (the body was JSON, so anything in it is). Not z.json(): its
// recursion sends the OpenAPI generator into a loop.
const jsonContent = z
  .unknown()
  .refine((v) => v !== undefined, 'required: any JSON value')
  .superRefine((v, ctx) => {
    // bounded before it is stored: a value nested too deep is a stack overflow for every later reader
    const shape = measureJsonShape(v, notebookContentLimits);
    if (!shape.ok) ctx.addIssue({ code: 'custom', message: shape.message, params: { limit: shape.limit } });
  })
  .transform((v) => v as JsonValue)
  .meta({ description: `any JSON value, at most ${notebookContentLimits.maxDepth} levels deep and ${notebookContentLimits.maxNodes} values; the notebook app owns its structure` });

export const NotebookInput = z
  .strictObject({
    title: z.string().trim().min(1).max(200),
    content: jsonContent,
  })
  .meta({ id: 'NotebookInput' });
export type NotebookInput = z.infer<typeof NotebookInput>;

export const NotebookSummary = z.object({
  id: z.string(),
  title: z.string(),
  version: z.number().int(),
  etag: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const Notebook = NotebookSummary.extend({ content: z.unknown().meta({ description: 'any JSON value' }) }).meta({ id: 'Notebook' });
export type Notebook = z.infer<typeof Notebook>;

export const NotebookList = z.object({ notebooks: z.array(NotebookSummary) }).meta({ id: 'NotebookList' });

/** an API key's public id: the 12 characters after "ik_" */
export const ApiKeyId = z.string().regex(/^[a-z0-9]{12}$/, 'a key id: the 12 characters after "ik_"');

export const RevokedKey = z.object({ id: z.string(), revokedAt: z.string() }).meta({ id: 'RevokedKey' });
export type RevokedKey = z.infer<typeof RevokedKey>;
