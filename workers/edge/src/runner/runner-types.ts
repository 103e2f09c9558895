// What the runner answers (gpu-runner/src/service/app.ts, job-store.ts), checked
// at the boundary: a runner that answers something else is a bad runner.
import { z } from 'zod';

export const RunnerModel = z.object({
  id: z.string().min(1),
  /** the runner takes `negativeEmbeddings` in POST /v1/jobs */
  negativeEmbeddings: z.boolean().default(false),
  name: z.string().optional(),
  /** prompts from the model's world (an older runner sends none) */
  examplePrompts: z.array(z.string()).optional(),
  textEncoder: z.object({
    id: z.string().min(1),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    maxTokens: z.number().int().min(1),
    /** 'zeros': the null prompt is no encoder output, so there is nothing to cache or send */
    nullPrompt: z.enum(['empty-prompt', 'zeros']).default('empty-prompt'),
  }),
  stages: z
    .array(
      z.object({
        name: z.string().min(1),
        resolution: z.number().int().min(1),
        defaults: z.object({ steps: z.number().int(), sampler: z.string(), guidance: z.number() }),
        lowRes: z.object({ fromStage: z.string(), noiseAugmentation: z.number().int() }).nullable().optional(),
      }),
    )
    .min(1),
});
export type RunnerModel = z.infer<typeof RunnerModel>;

export const RunnerImage = z.object({
  index: z.number().int().min(0),
  seed: z.number().int(),
  width: z.number().int().min(1),
  height: z.number().int().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type RunnerImage = z.infer<typeof RunnerImage>;

export const runnerStatuses = ['queued', 'running', 'completed', 'failed', 'canceled'] as const;

export const RunnerJob = z.object({
  id: z.string(),
  status: z.enum(runnerStatuses),
  seed: z.number().int(),
  images: z.array(RunnerImage),
  error: z.object({ code: z.string(), message: z.string(), retryable: z.boolean() }).optional(),
});
export type RunnerJob = z.infer<typeof RunnerJob>;

export const RunnerJobEnvelope = z.object({ job: RunnerJob });

export const RunnerProgress = z.object({
  stage: z.string(),
  stageIndex: z.number().int(),
  step: z.number().int(),
  total: z.number().int(),
  /** base64 PNG of the current predX0 */
  preview: z.string().optional(),
});

export const RunnerFailure = z.object({ code: z.string(), message: z.string(), retryable: z.boolean().default(true) });

/** the runner's POST /v1/jobs body (gpu-runner/src/service/job-request.ts) */
export interface RunnerJobBody {
  id: string;
  prompt?: string;
  embeddings?: string;
  negativePrompt?: string;
  negativeEmbeddings?: string;
  seed: number;
  n: number;
  size: number;
  stages?: Record<string, { steps?: number; sampler?: string; guidance?: number; noiseAugmentation?: number }>;
  init?: { image: string; fromStage: string };
}
