// The model's own defaults (GET /v1/models: per stage sampler, steps, guidance,
// noise augmentation; the text encoder's max tokens), for new cells, for "reset
// to model defaults", and to show which of a cell's values differ from them.
import type { ModelInfo } from './api-types.ts';
import type { Cell, CellDefaults, RunnableCell, Sampler, SamplingParams, UpscaleSize } from './cell-types.ts';
import { builtinDefaults, samplers } from './cell-types.ts';

export interface UpscaleDefaults extends SamplingParams {
  noiseAugmentation: number;
}

export interface ModelDefaults extends CellDefaults {
  /** the model these came from; undefined for the fallback */
  modelId: string | undefined;
  maxTokens: number | undefined;
  examplePrompts: string[];
}

export const fallbackDefaults: ModelDefaults = { modelId: undefined, ...builtinDefaults, maxTokens: undefined, examplePrompts: [] };

const asSampler = (s: string, fallback: Sampler): Sampler => ((samplers as readonly string[]).includes(s) ? (s as Sampler) : fallback);

/** The defaults of one model, stage by stage, by resolution (64 base, 256 and 1024 SR). */
export function defaultsFromModel(model: ModelInfo): ModelDefaults {
  const stage = (res: number) => model.stages.find((s) => s.resolution === res);
  const sampling = (res: number, fallback: SamplingParams): SamplingParams => {
    const s = stage(res);
    return s ? { sampler: asSampler(s.defaults.sampler, fallback.sampler), steps: s.defaults.steps, guidance: s.defaults.guidance } : fallback;
  };
  const up = (res: UpscaleSize): UpscaleDefaults => ({
    ...sampling(res, fallbackDefaults.upscale[res]),
    noiseAugmentation: stage(res)?.noiseAugmentation ?? fallbackDefaults.upscale[res].noiseAugmentation,
  });
  return {
    modelId: model.id,
    base: sampling(64, fallbackDefaults.base),
    upscale: { 256: up(256), 1024: up(1024) },
    maxTokens: model.textEncoder.maxTokens,
    examplePrompts: model.examplePrompts,
  };
}

/** The values a cell should have under the model's defaults (only the defaultable fields). */
export function defaultsFor(cell: RunnableCell, d: ModelDefaults): Partial<UpscaleDefaults> {
  switch (cell.kind) {
    case 'prompt':
      return { ...d.base };
    case 'upscale':
      return { ...d.upscale[cell.size] };
    case 'sweep': {
      // the swept field is the grid's axis, not a default
      const { sampler, steps, guidance } = d.base;
      return cell.axis === 'steps' ? { sampler, guidance } : { sampler, steps };
    }
  }
}

export interface Difference {
  field: keyof UpscaleDefaults;
  model: number | string;
}

/** The cell's fields whose value differs from the model's default. */
export function differences(cell: Cell, d: ModelDefaults): Difference[] {
  if (cell.kind === 'note') return [];
  const want = defaultsFor(cell, d);
  const out: Difference[] = [];
  for (const [field, model] of Object.entries(want) as [keyof UpscaleDefaults, number | string][]) {
    if ((cell as unknown as Record<string, unknown>)[field] !== model) out.push({ field, model });
  }
  return out;
}
