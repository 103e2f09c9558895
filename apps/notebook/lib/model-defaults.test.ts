import { describe, expect, it } from 'vitest';
import type { ModelInfo } from './api-types.ts';
import type { PromptCell, SweepCell, UpscaleCell } from './cell-types.ts';
import { createCell } from './cell-types.ts';
import { defaultsFromModel, differences, fallbackDefaults } from './model-defaults.ts';
import { testModelInfo } from './testing/model-info.ts';

const model: ModelInfo = testModelInfo({
  id: 'm1',
  stages: [
    ['ddim', 33, 3, null],
    ['ddpm', 12, 1.5, 250],
    ['nonsense', 6, 1, 50],
  ],
});

describe('model defaults', () => {
  it('takes each stage from GET /v1/models, keeping a known sampler', () => {
    const d = defaultsFromModel({ ...model, examplePrompts: ['a red circle'] });
    expect(d.base).toEqual({ sampler: 'ddim', steps: 33, guidance: 3 });
    expect(d.upscale[256]).toEqual({ sampler: 'ddpm', steps: 12, guidance: 1.5, noiseAugmentation: 250 });
    expect(d.upscale[1024]).toEqual({ sampler: fallbackDefaults.upscale[1024].sampler, steps: 6, guidance: 1, noiseAugmentation: 50 });
    expect(d.maxTokens).toBe(48);
    expect(d.examplePrompts).toEqual(['a red circle']);
  });

  it('new cells start from them, and differences name what was changed', () => {
    const d = defaultsFromModel(model);
    const p = createCell('prompt', 'p', 1, d) as PromptCell;
    expect(p).toMatchObject(d.base);
    expect(differences(p, d)).toEqual([]);
    expect(differences({ ...p, steps: 50, guidance: 7 }, d)).toEqual([{ field: 'steps', model: 33 }, { field: 'guidance', model: 3 }]);
    const u = createCell('upscale', 'u', 1, d) as UpscaleCell;
    expect(differences(u, d)).toEqual([]);
    // a 1024 upscale is judged against the 1024 stage
    expect(differences({ ...u, size: 1024 }, d).map((x) => x.field)).toEqual(['sampler', 'steps', 'guidance', 'noiseAugmentation']);
    const s = createCell('sweep', 's', 1, d) as SweepCell;
    expect(s.values).toEqual([1, 3, 6, 12]);
    // the swept axis is not a default
    expect(differences({ ...s, guidance: 9 }, d)).toEqual([]);
    expect(differences({ ...s, axis: 'steps', guidance: 9 }, d)).toEqual([{ field: 'guidance', model: 3 }]);
  });
});
