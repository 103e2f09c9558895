// GET /v1/model: what a client needs to know about the loaded cascade before
// submitting — the encoder identity its embedding cache keys on (id + sha256 +
// maxTokens), the null prompt, the stages with their defaults and low-res inputs,
// and the engine build. File paths and ONNX names stay private.
import type { RunnerModel } from '@imagen-ts/protocol';
import type { RuntimeFingerprint } from '../engine/types.ts';
import type { Manifest } from '../manifest/schema.ts';

/** the protocol's RunnerModel, as this runner fills it */
export type ModelSummary = RunnerModel;

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
