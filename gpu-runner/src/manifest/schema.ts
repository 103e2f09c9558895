// The cascade manifest: one schema describes a whole Imagen-style cascade
// (text encoder + an ordered array of Stage records), so our embedded model and
// real open weights (DeepFloyd IF) load through the same code.
import { LIMITS, SamplerName } from '@imagen-ts/protocol';
import { z } from 'zod';

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex sha256 (64 characters)');
const relFile = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/') && !p.split(/[\\/]/).includes('..'), 'a path relative to the manifest, without ".."');

export { samplerNames, SamplerName } from '@imagen-ts/protocol';

export const NoiseSchedule = z.discriminatedUnion('type', [
  // Nichol & Dhariwal 2021 "squaredcos_cap_v2": alphaBar(t) = cos²((t/T + s)/(1 + s) · π/2), betas capped at 0.999.
  z.object({ type: z.literal('cosine'), trainSteps: z.number().int().min(2).max(100_000), offset: z.number().min(0).max(1).default(0.008) }),
  // Ho et al. 2020: betas linearly spaced.
  z.object({
    type: z.literal('linear'),
    trainSteps: z.number().int().min(2).max(100_000),
    betaStart: z.number().positive().max(1).default(0.0001),
    betaEnd: z.number().positive().max(1).default(0.02),
  }),
]);
export type NoiseSchedule = z.infer<typeof NoiseSchedule>;

export const Thresholding = z.discriminatedUnion('type', [
  // Imagen §2.3: s = max(1, percentile(|x0|, p)); x0 ← clip(x0, -s, s) / s. IF additionally caps s at maxScale.
  z.object({ type: z.literal('dynamic'), percentile: z.number().gt(0).lt(1).default(0.995), maxScale: z.number().min(1).optional() }),
  z.object({ type: z.literal('static') }),
  z.object({ type: z.literal('none') }),
]);
export type Thresholding = z.infer<typeof Thresholding>;

export const LowResConditioning = z.object({
  /** name of the stage whose output this stage upsamples */
  fromStage: z.string().min(1),
  resize: z.enum(['nearest', 'bilinear', 'bicubic']).default('bicubic'),
  /** PyTorch F.interpolate's align_corners for bilinear/bicubic (DeepFloyd IF stage II: bilinear, true) */
  alignCorners: z.boolean().default(false),
  /** default noise-augmentation level (a timestep of the augmentation schedule), fed as `noise_level` */
  noiseAugmentation: z.number().int().min(0),
  /** schedule used to noise the low-res input; defaults to the stage's own */
  augmentationSchedule: NoiseSchedule.optional(),
});
export type LowResConditioning = z.infer<typeof LowResConditioning>;

export const StageInputNames = z.object({
  sample: z.string().default('sample'),
  timestep: z.string().default('timestep'),
  encoderHiddenStates: z.string().default('encoder_hidden_states'),
  encoderAttentionMask: z.string().default('encoder_attention_mask'),
  noiseLevel: z.string().default('noise_level'),
});

export const Stage = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and "-"'),
  resolution: z.number().int().min(8).max(4096),
  onnx: relFile,
  sha256,
  inputNames: StageInputNames.default(StageInputNames.parse({})),
  outputName: z.string().default('out'),
  prediction: z.enum(['eps', 'v', 'eps-learned-range']),
  schedule: NoiseSchedule,
  defaults: z.object({
    sampler: SamplerName,
    steps: z.number().int().min(LIMITS.steps[0]).max(LIMITS.steps[1]),
    guidance: z.number().min(LIMITS.guidance[0]).max(LIMITS.guidance[1]),
  }),
  thresholding: Thresholding,
  lowRes: LowResConditioning.optional(),
});
export type Stage = z.infer<typeof Stage>;

export const TextEncoder = z.object({
  /** stable id the edge's embedding cache keys on, together with sha256 */
  id: z.string().min(1),
  tokenizer: relFile,
  onnx: relFile,
  sha256,
  maxTokens: z.number().int().min(1).max(4096),
  hiddenSize: z.number().int().min(1).max(65536),
  inputNames: z
    .object({ inputIds: z.string().default('input_ids'), attentionMask: z.string().default('attention_mask') })
    .default({ inputIds: 'input_ids', attentionMask: 'attention_mask' }),
  outputName: z.string().default('last_hidden_state'),
  /** classifier-free guidance's unconditional input: encoder("") as DeepFloyd IF does, or all zeros */
  nullPrompt: z.enum(['empty-prompt', 'zeros']),
});
export type TextEncoder = z.infer<typeof TextEncoder>;

export const Manifest = z
  .object({
    schemaVersion: z.literal(1),
    id: z.string().min(1),
    name: z.string().min(1),
    description: z.string().optional(),
    license: z.string().optional(),
    /** a few prompts from the model's world, offered to new users (placeholder, examples) */
    examplePrompts: z.array(z.string().min(1).max(500)).max(32).optional(),
    textEncoder: TextEncoder,
    stages: z.array(Stage).min(1),
  })
  .superRefine((m, ctx) => {
    const seen = new Map<string, number>();
    m.stages.forEach((s, i) => {
      if (seen.has(s.name)) ctx.addIssue({ code: 'custom', path: ['stages', i, 'name'], message: `duplicate stage name "${s.name}"` });
      seen.set(s.name, i);
      if (i === 0 && s.lowRes) ctx.addIssue({ code: 'custom', path: ['stages', 0, 'lowRes'], message: 'the first stage is the base stage and takes no low-res input' });
      if (i > 0) {
        if (!s.lowRes) ctx.addIssue({ code: 'custom', path: ['stages', i, 'lowRes'], message: 'a super-resolution stage needs lowRes' });
        else if (seen.get(s.lowRes.fromStage) !== i - 1)
          ctx.addIssue({ code: 'custom', path: ['stages', i, 'lowRes', 'fromStage'], message: `must name the previous stage "${m.stages[i - 1]?.name}"` });
        const prev = m.stages[i - 1];
        if (prev && s.resolution <= prev.resolution)
          ctx.addIssue({ code: 'custom', path: ['stages', i, 'resolution'], message: `must be larger than the previous stage's ${prev.resolution}` });
      }
    });
  });
export type Manifest = z.infer<typeof Manifest>;
