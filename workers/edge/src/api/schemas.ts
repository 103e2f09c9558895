// The edge API's bodies (zod, with OpenAPI metadata). Pure schemas: no worker
// types, so the typed client (../client.ts) can be imported from Node and the
// browser.
import { z } from '@hono/zod-openapi';

export const samplerNames = ['ddpm', 'ddim', 'dpmpp-2m'] as const;
export const sizes = [64, 256, 1024] as const;
export const maxPromptChars = 4000;
export const maxImagesPerRequest = 8;
/** longest synchronous wait (Prefer: wait=N) */
export const maxWaitSeconds = 300;

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'invalid_request' }),
      message: z.string(),
      field: z.string().optional(),
      allowed: z.array(z.unknown()).optional(),
    }),
  })
  .openapi('Error');

const seed = z.number().int().min(0).max(0xffffffff);

export const StageOverrides = z.strictObject({
  steps: z.number().int().min(1).max(1000).optional(),
  sampler: z.enum(samplerNames).optional(),
  guidance: z.number().min(0).max(50).optional(),
  noiseAugmentation: z.number().int().min(0).max(100_000).optional(),
});

export const GenerationRequest = z
  .strictObject({
    prompt: z.string().trim().min(1).max(maxPromptChars).openapi({ example: 'a watercolor fox in the snow' }),
    negativePrompt: z.string().max(maxPromptChars).optional(),
    /** uint32, or "random" (the default): the edge draws one and reports it */
    seed: z.union([seed, z.literal('random')]).default('random'),
    n: z.number().int().min(1).max(maxImagesPerRequest).default(1),
    size: z.union([z.literal(64), z.literal(256), z.literal(1024)]).default(64).openapi({ type: 'integer', enum: [...sizes] }),
    /** base stage's steps, sampler and guidance; SR stages keep their defaults unless `stages` says otherwise */
    steps: z.number().int().min(1).max(1000).optional(),
    sampler: z.enum(samplerNames).optional(),
    guidance: z.number().min(0).max(50).optional(),
    /** noise-augmentation level of every super-resolution stage that runs */
    noiseAugmentation: z.number().int().min(0).max(100_000).optional(),
    /** per-stage overrides by the model's stage names (see GET /v1/models) */
    stages: z.record(z.string().max(64), StageOverrides).optional(),
    model: z.string().min(1).max(128).optional(),
  })
  .openapi('GenerationRequest');
export type GenerationRequest = z.infer<typeof GenerationRequest>;

export const UpscaleRequest = z
  .strictObject({
    /** default: the prompt the parent image was made with */
    prompt: z.string().trim().min(1).max(maxPromptChars).optional(),
    negativePrompt: z.string().max(maxPromptChars).optional(),
    seed: z.union([seed, z.literal('random')]).default('random'),
    steps: z.number().int().min(1).max(1000).optional(),
    sampler: z.enum(samplerNames).optional(),
    guidance: z.number().min(0).max(50).optional(),
    noiseAugmentation: z.number().int().min(0).max(100_000).optional(),
  })
  .openapi('UpscaleRequest');
export type UpscaleRequest = z.infer<typeof UpscaleRequest>;

export const jobStatuses = ['queued', 'running', 'succeeded', 'failed', 'canceled'] as const;
export type JobStatus = (typeof jobStatuses)[number];

export const JobImage = z.object({
  id: z.string().openapi({ description: 'sha256 of the PNG bytes' }),
  index: z.number().int(),
  seed: z.number().int(),
  width: z.number().int(),
  height: z.number().int(),
  url: z.string(),
});
export type JobImage = z.infer<typeof JobImage>;

export const Job = z
  .object({
    id: z.string(),
    kind: z.enum(['generation', 'upscale']),
    status: z.enum(jobStatuses),
    createdAt: z.string(),
    updatedAt: z.string(),
    model: z.string(),
    seed: z.number().int(),
    n: z.number().int(),
    size: z.number().int(),
    /** upscales: the image this job started from */
    parentImageId: z.string().nullable(),
    attempts: z.number().int(),
    progress: z
      .object({ stage: z.string(), stageIndex: z.number().int(), step: z.number().int(), totalSteps: z.number().int() })
      .nullable(),
    images: z.array(JobImage),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    embeddingCache: z.enum(['hit', 'miss']).nullable(),
  })
  .openapi('Job');
export type Job = z.infer<typeof Job>;

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
  .openapi('ImageMeta');
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
  .openapi('InspectResult');
export type InspectResult = z.infer<typeof InspectResult>;

export const openAiSizes = ['64x64', '256x256', '1024x1024'] as const;

// The OpenAI Images API's generation body. Fields we do not use (quality, style,
// user, ...) are accepted and ignored, as OpenAI clients send them.
export const OpenAiImageRequest = z
  .looseObject({
    prompt: z.string().trim().min(1).max(maxPromptChars),
    model: z.string().max(128).optional(),
    n: z.number().int().min(1).max(maxImagesPerRequest).default(1),
    size: z.enum(openAiSizes).default('256x256'),
    response_format: z.enum(['url', 'b64_json']).default('url'),
  })
  .openapi('OpenAiImageRequest');

export const OpenAiImageResponse = z
  .object({
    created: z.number().int(),
    data: z.array(z.object({ url: z.string().optional(), b64_json: z.string().optional(), revised_prompt: z.string().optional() })),
  })
  .openapi('OpenAiImageResponse');

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

export const TokenizeInput = z
  .strictObject({
    prompt: z.string().max(maxPromptChars).openapi({ example: 'a watercolor painting of a red circle' }),
    model: z.string().min(1).max(200).optional().openapi({ description: 'a model id from GET /v1/models (default: any ready runner)' }),
  })
  .openapi('TokenizeInput');

export const TokenizeResult = z
  .object({
    model: z.string(),
    tokens: z.number().int().openapi({ description: 'token count with special tokens, before truncation' }),
    maxTokens: z.number().int(),
    truncated: z.boolean().openapi({ description: 'the encoder sees only the first maxTokens tokens' }),
    unknown: z.array(z.string()).openapi({ description: 'words the tokenizer does not know (its unknown token, or spelled out)' }),
  })
  .openapi('TokenizeResult');
export type TokenizeResult = z.infer<typeof TokenizeResult>;

export const ModelList = z.object({ object: z.literal('list'), data: z.array(ModelInfo) }).openapi('ModelList');

export const maxNotebookBytes = 1 << 20;

type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
// Any JSON value (the body was JSON, so anything in it is). Not z.json(): its
// recursion sends the OpenAPI generator into a loop.
const jsonContent = z
  .unknown()
  .refine((v) => v !== undefined, 'required: any JSON value')
  .transform((v) => v as JsonValue)
  .openapi({ description: 'any JSON value; the notebook app owns its structure' });

export const NotebookInput = z
  .strictObject({
    title: z.string().trim().min(1).max(200),
    content: jsonContent,
  })
  .openapi('NotebookInput');
export type NotebookInput = z.infer<typeof NotebookInput>;

export const NotebookSummary = z.object({
  id: z.string(),
  title: z.string(),
  version: z.number().int(),
  etag: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const Notebook = NotebookSummary.extend({ content: z.unknown().openapi({ description: 'any JSON value' }) }).openapi('Notebook');
export type Notebook = z.infer<typeof Notebook>;

export const NotebookList = z.object({ notebooks: z.array(NotebookSummary) }).openapi('NotebookList');
