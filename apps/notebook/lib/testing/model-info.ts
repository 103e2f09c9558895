// One model listing (`GET /v1/models`) for tests and the fake edge: the embedded
// cascade's three stages at their resolutions, with the stage defaults each test
// sets itself (they are what the tests check, so they are never shared).
import type { ModelInfo } from '../api-types.ts';

type Stage = ModelInfo['stages'][number];
/** [sampler, steps, guidance, noiseAugmentation] of one stage */
export type StageSettings = [sampler: string, steps: number, guidance: number, noiseAugmentation: number | null];

const stageNames = [
  ['base64', 64],
  ['sr256', 256],
  ['sr1024', 1024],
] as const;

export function testModelInfo(o: {
  id: string;
  stages: [base64: StageSettings, sr256: StageSettings, sr1024: StageSettings];
  examplePrompts?: string[];
  ownedBy?: string;
  encoderId?: string;
}): ModelInfo {
  const stages: Stage[] = o.stages.map(([sampler, steps, guidance, noiseAugmentation], i) => {
    const [name, resolution] = stageNames[i]!;
    return { name, resolution, defaults: { sampler, steps, guidance }, noiseAugmentation };
  });
  return {
    id: o.id,
    object: 'model',
    created: 0,
    owned_by: o.ownedBy ?? 'imagen-ts',
    sizes: [64, 256, 1024],
    stages,
    textEncoder: { id: o.encoderId ?? 't5', maxTokens: 48 },
    examplePrompts: o.examplePrompts ?? [],
  };
}
