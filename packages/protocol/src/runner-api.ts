// The runner's HTTP API (gpu-runner/src/service), as the runner parses its bodies
// and the edge (and its fake runner) check the runner's answers. Job states and
// progress are the same words the edge's public API uses: one name end to end.
import { z } from 'zod';
import { ImageCount, LIMITS, Prompt, SamplerName, Seed, StageName, StageParams } from './limits.ts';

/** a job's states, on the runner and at the edge */
export const jobStatuses = ['queued', 'running', 'succeeded', 'failed', 'canceled'] as const;
export const JobStatus = z.enum(jobStatuses);
export type JobStatus = z.infer<typeof JobStatus>;
export const terminalStatuses = ['succeeded', 'failed', 'canceled'] as const satisfies readonly JobStatus[];
export type TerminalStatus = (typeof terminalStatuses)[number];

export function isTerminalStatus(status: string): status is TerminalStatus {
  return (terminalStatuses as readonly string[]).includes(status);
}

/** the runner's job events (SSE event names and callback `event.type`): a state change or progress */
export const runnerEventTypes = ['queued', 'started', 'progress', ...terminalStatuses] as const;
export type RunnerEventType = (typeof runnerEventTypes)[number];

/**
 * A runner's job event stream carries an SSE comment at least this often while the
 * job waits in its queue or runs, so a follower can tell a quiet stream from a dead
 * one. A follower's stall deadline (the edge's RUNNER_STALL_SECONDS) should be at
 * least 3× this: at 15 s each, jobs queued behind a burst were given up as stalled.
 */
export const runnerKeepAliveSeconds = 5;

/** where a running job is: step `step` (1-based) of `total` in stage `stage` */
export const Progress = z.object({
  stage: z.string(),
  stageIndex: z.number().int(),
  step: z.number().int(),
  total: z.number().int(),
});
export type Progress = z.infer<typeof Progress>;

/**
 * a runner `progress` event's data: `preview` is a base64 PNG of the current predicted image 0, `previews` the
 * same for every image of the job, in order (an older runner sends only `preview`)
 */
export const RunnerProgressEvent = Progress.extend({ preview: z.string().optional(), previews: z.array(z.string()).max(LIMITS.n[1]).optional() });
export type RunnerProgressEvent = z.infer<typeof RunnerProgressEvent>;

export const RunnerJobId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, '1-128 characters of [A-Za-z0-9._:-], starting with a letter or digit');

/** POST /v1/jobs on the runner */
export const RunnerJobRequest = z
  .strictObject({
    id: RunnerJobId,
    prompt: Prompt.optional(),
    /** base64 of the embedding codec (POST /v1/embed's response body), batch 1 */
    embeddings: z.string().min(1).optional(),
    negativePrompt: Prompt.optional(),
    /** base64 of the embedding codec, batch 1: the negative prompt's embeddings, or the null prompt's when no negativePrompt is given */
    negativeEmbeddings: z.string().min(1).optional(),
    /** default: derived from the job id, so a resubmission repeats the images */
    seed: Seed.optional(),
    n: ImageCount.default(1),
    /** output resolution; default: the last stage's */
    size: z.number().int().min(1).max(65_536).optional(),
    /** per-stage overrides, keyed by the manifest's stage names */
    stages: z.record(StageName, StageParams).optional(),
    mark: z.boolean().optional(),
    init: z.strictObject({ image: z.string().min(1), fromStage: z.string().min(1).max(LIMITS.stageNameChars) }).optional(),
    callbackUrl: z.url({ protocol: /^https?$/ }).max(2048).optional(),
  })
  .refine((b) => b.prompt !== undefined || b.embeddings !== undefined, { message: 'give prompt or embeddings (or both)', path: ['prompt'] });
export type RunnerJobRequest = z.infer<typeof RunnerJobRequest>;
/** what a sender builds (defaults not yet applied) */
export type RunnerJobRequestInput = z.input<typeof RunnerJobRequest>;

/** POST /v1/tokenize on the runner: one prompt through the model's tokenizer (no encoder run) */
export const RunnerTokenizeRequest = z.strictObject({ prompt: Prompt });
export type RunnerTokenizeRequest = z.infer<typeof RunnerTokenizeRequest>;

/** what the model's tokenizer makes of a prompt, before anything runs (the notebook's prompting help) */
export const PromptInspection = z.object({
  tokens: z.number().int().min(0).meta({ description: 'token count with special tokens, before truncation' }),
  maxTokens: z.number().int().min(1),
  truncated: z.boolean().meta({ description: 'the encoder sees only the first maxTokens tokens' }),
  unknown: z.array(z.string()).meta({ description: 'words the tokenizer does not know (its unknown token, or spelled out)' }),
});
export type PromptInspection = z.infer<typeof PromptInspection>;

/** POST /v1/tokenize's answer on the runner (the edge passes it on): which model, and its inspection */
export const RunnerTokenizeResult = PromptInspection.extend({ model: z.string() });
export type RunnerTokenizeResult = z.infer<typeof RunnerTokenizeResult>;

/** POST /v1/embed on the runner; answers the embedding codec's bytes */
export const EmbedRequest = z.strictObject({ prompts: z.array(Prompt).min(1).max(64) });

export const RunnerImage = z.object({
  index: z.number().int().min(0),
  seed: z.number().int(),
  width: z.number().int().min(1),
  height: z.number().int().min(1),
  /** sha256 of the PNG bytes (its ETag) */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** the decoded pixels' hash (PIXEL_HASH_ALGORITHM): equal for the same picture whatever the metadata; an older runner sends none */
  pixelSha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  url: z.string().optional(),
});
export type RunnerImage = z.infer<typeof RunnerImage>;

export const RunnerFailure = z.object({
  code: z.string(),
  message: z.string(),
  /** may the caller resubmit elsewhere / later? */
  retryable: z.boolean().default(true),
});
export type RunnerFailure = z.infer<typeof RunnerFailure>;

/** GET /v1/jobs/:id on the runner (the fields callers read; the runner sends more) */
export const RunnerJob = z.object({
  id: z.string(),
  status: JobStatus,
  seed: z.number().int(),
  images: z.array(RunnerImage),
  progress: z.object({ stage: z.string(), step: z.number().int(), total: z.number().int() }).nullable().optional(),
  error: RunnerFailure.optional(),
});
export type RunnerJob = z.infer<typeof RunnerJob>;
export const RunnerJobEnvelope = z.object({ job: RunnerJob });

/** PNGs up to this size ride inline in the runner's `succeeded` event (saving the caller a request per image) */
export const inlinePngMaxBytes = 64 << 10;

/**
 * a runner `succeeded` event's data: the images as GET /v1/jobs/:id lists them, each
 * with its PNG (base64) inline when it is at most inlinePngMaxBytes; an older runner
 * sends none, and a larger image is fetched from its url as before
 */
export const RunnerSucceededEvent = z.object({ images: z.array(RunnerImage.extend({ png: z.base64().optional() })) });
export type RunnerSucceededEvent = z.infer<typeof RunnerSucceededEvent>;

/** GET /v1/model on the runner: what a client needs to know before submitting */
export const RunnerModel = z.object({
  id: z.string().min(1),
  name: z.string().optional(),
  /** the runner takes `negativeEmbeddings` in POST /v1/jobs */
  negativeEmbeddings: z.boolean().default(false),
  /** a few prompts from the model's world, for a placeholder and examples (an older runner sends none) */
  examplePrompts: z.array(z.string()).default([]),
  textEncoder: z.object({
    id: z.string().min(1),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    maxTokens: z.number().int().min(1),
    hiddenSize: z.number().int().min(1).optional(),
    /** 'zeros': the null prompt is no encoder output, so there is nothing to cache or send */
    nullPrompt: z.enum(['empty-prompt', 'zeros']).default('empty-prompt'),
  }),
  stages: z
    .array(
      z.object({
        name: z.string().min(1),
        resolution: z.number().int().min(1),
        prediction: z.enum(['eps', 'v', 'eps-learned-range']).optional(),
        defaults: z.object({ steps: z.number().int(), sampler: SamplerName, guidance: z.number() }),
        /** null for the base stage */
        lowRes: z
          .object({
            fromStage: z.string(),
            noiseAugmentation: z.number().int(),
            /** trainSteps − 1 of the augmentation schedule */
            maxNoiseAugmentation: z.number().int().optional(),
          })
          .nullable()
          .optional(),
      }),
    )
    .min(1),
  engine: z.object({ version: z.string(), ortVersion: z.string(), provider: z.enum(['cpu', 'cuda']), prng: z.string() }).optional(),
});
export type RunnerModel = z.infer<typeof RunnerModel>;
