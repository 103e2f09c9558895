// GET /v1/model: what a client needs to know about the loaded cascade before
// submitting — the encoder identity its embedding cache keys on (id + sha256 +
// maxTokens), the null prompt, the stages with their defaults and low-res inputs,
// and the engine build. File paths and ONNX names stay private.
import type { RuntimeFingerprint } from '../engine/types.ts';
import type { Manifest, SamplerName } from '../manifest/schema.ts';

export interface ModelSummary {
  id: string;
  name: string;
  /** POST /v1/jobs takes `negativeEmbeddings` */
  negativeEmbeddings: true;
  /** the manifest's example prompts (empty when it lists none) */
  examplePrompts: string[];
  textEncoder: { id: string; sha256: string; maxTokens: number; hiddenSize: number; nullPrompt: 'empty-prompt' | 'zeros' };
  stages: Array<{
    name: string;
    resolution: number;
    prediction: 'eps' | 'v' | 'eps-learned-range';
    defaults: { steps: number; sampler: SamplerName; guidance: number };
    /** null for the base stage */
    lowRes: { fromStage: string; noiseAugmentation: number; /** trainSteps − 1 of the augmentation schedule */ maxNoiseAugmentation: number } | null;
  }>;
  engine: { version: string; ortVersion: string; provider: 'cpu' | 'cuda'; prng: string };
}

export function modelSummary(engine: { manifest: Manifest; fingerprint: RuntimeFingerprint }): ModelSummary {
  const { manifest: m, fingerprint: f } = engine;
  const te = m.textEncoder;
  return {
    id: m.id,
    name: m.name,
    negativeEmbeddings: true,
    examplePrompts: m.examplePrompts ?? [],
    textEncoder: { id: te.id, sha256: te.sha256, maxTokens: te.maxTokens, hiddenSize: te.hiddenSize, nullPrompt: te.nullPrompt },
    stages: m.stages.map((s) => ({
      name: s.name,
      resolution: s.resolution,
      prediction: s.prediction,
      defaults: { steps: s.defaults.steps, sampler: s.defaults.sampler, guidance: s.defaults.guidance },
      lowRes: s.lowRes
        ? {
            fromStage: s.lowRes.fromStage,
            noiseAugmentation: s.lowRes.noiseAugmentation,
            maxNoiseAugmentation: (s.lowRes.augmentationSchedule ?? s.schedule).trainSteps - 1,
          }
        : null,
    })),
    engine: { version: f.engineVersion, ortVersion: f.ortVersion, provider: f.provider, prng: f.prng },
  };
}
