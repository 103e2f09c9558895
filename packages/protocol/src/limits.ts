// The request limits every side checks against, defined once. What depends on the
// model (its sizes, its stages, its encoder's max tokens) comes from the model's
// manifest at run time, not from here.
import { z } from 'zod';

export const samplerNames = ['ddpm', 'ddim', 'dpmpp-2m'] as const;
export const SamplerName = z.enum(samplerNames);
export type SamplerName = z.infer<typeof SamplerName>;

/** inclusive [min, max] ranges, and the longest prompt in characters */
export const LIMITS = {
  steps: [1, 1000],
  guidance: [0, 50],
  /** images per request */
  n: [1, 8],
  /** uint32 */
  seed: [0, 0xffff_ffff],
  /** a timestep of the augmentation schedule; the model's own schedule narrows it further */
  noiseAugmentation: [0, 100_000],
  promptChars: 4000,
  /** stage names in per-stage overrides */
  stageNameChars: 64,
} as const;

/** the output sizes the public API offers (each must also be a stage resolution of the model) */
export const publicSizes = [64, 256, 1024] as const;


/**
 * One stage's settings, as every hop sends them: the edge's `stages` overrides,
 * the runner's job body, the PNG's `imagen-ts` request. Missing = the model's default.
 */
export const StageParams = z.strictObject({
  steps: z.number().int().min(LIMITS.steps[0]).max(LIMITS.steps[1]).optional(),
  sampler: SamplerName.optional(),
  guidance: z.number().min(LIMITS.guidance[0]).max(LIMITS.guidance[1]).optional(),
  noiseAugmentation: z.number().int().min(LIMITS.noiseAugmentation[0]).max(LIMITS.noiseAugmentation[1]).optional(),
});
export type StageParams = z.infer<typeof StageParams>;

export const Seed = z.number().int().min(LIMITS.seed[0]).max(LIMITS.seed[1]);
export const ImageCount = z.number().int().min(LIMITS.n[0]).max(LIMITS.n[1]);
export const Prompt = z.string().max(LIMITS.promptChars);
export const StageName = z.string().max(LIMITS.stageNameChars);
