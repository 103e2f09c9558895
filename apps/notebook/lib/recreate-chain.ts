// Dropping a PNG recreates every step that made it. An imagen-ts/2 PNG records
// its chain (the base generation, then each upscale, with the seeds, settings and
// pixel hash of every image on the way): that becomes a prompt cell and one
// upscale cell per step, each chained to the one before and each told which
// pixels it should reproduce. A PNG without a chain (AUTOMATIC1111's, or ours
// from before format 2) recreates a prompt cell as before (parameters.ts).
import { ImagenPngInfo, type LineageEntry } from '@imagen-ts/protocol';
import type { InspectResult } from './api-types.ts';
import type { Cell, CellDefaults, Expected, PromptCell, UpscaleCell, UpscaleSize } from './cell-types.ts';
import { baseSize, builtinDefaults, createCell, limits, upscaleSizes } from './cell-types.ts';
import { cellFromInspect } from './parameters.ts';

export type RecreatedChain = { ok: true; cells: Cell[]; warnings: string[]; chain: boolean } | { ok: false; error: string };

export interface RecreateContext {
  file: string;
  /** a fresh cell id per call */
  newId: () => string;
  fallbackSeed: number;
  defaults?: CellDefaults;
  /** the served model's id, when known: a chain made by another model may not reproduce */
  modelId?: string | undefined;
}

const inRange = (v: number, max: number) => Number.isInteger(v) && v >= 0 && v <= max;

function expectedOf(entry: LineageEntry, file: string): { expected?: Expected } {
  return entry.image.pixels ? { expected: { file, pixelSha256: entry.image.pixels.sha256 } } : {};
}

/** The base generation as a prompt cell: n = 1 at the image's own seed makes that one image. */
function promptCellOf(entry: LineageEntry, ctx: RecreateContext, warnings: string[]): PromptCell | undefined {
  const base = entry.stages[0];
  if (!base || !inRange(entry.image.seed, limits.seedMax)) return undefined;
  const cell = createCell('prompt', ctx.newId(), ctx.fallbackSeed, ctx.defaults ?? builtinDefaults) as PromptCell;
  const { request } = entry;
  if (request.embeddings) warnings.push('the base image was made from precomputed embeddings: the prompt text may not give the same ones');
  return {
    ...cell,
    prompt: request.prompt,
    negativePrompt: request.negativePrompt ?? '',
    seed: entry.image.seed,
    n: 1,
    steps: base.steps,
    sampler: base.sampler,
    guidance: base.guidance,
    ...expectedOf(entry, ctx.file),
  };
}

/** One upscale step as an upscale cell reading image 0 of `source`. */
function upscaleCellOf(entry: LineageEntry, source: Cell, basePrompt: PromptCell, ctx: RecreateContext, warnings: string[]): UpscaleCell | string {
  const size = entry.request.size as UpscaleSize;
  if (!upscaleSizes.includes(size)) return `a ${entry.request.size} px step: the notebook upscales to ${upscaleSizes.join(' or ')} only`;
  const [stage, ...more] = entry.stages;
  if (!stage || more.length > 0) return `the ${size} px step ran ${entry.stages.length} stages in one job; an upscale cell runs one`;
  if (!inRange(entry.image.seed, limits.seedMax)) return `seed ${entry.image.seed} of the ${size} px step is outside [0, ${limits.seedMax}]`;
  // the edge upscales with the parent's prompt: a step that used another one cannot be repeated here
  if (entry.request.prompt !== basePrompt.prompt || (entry.request.negativePrompt ?? '') !== basePrompt.negativePrompt) {
    warnings.push(`the ${size} px step used another prompt than the base image; the notebook upscales with the base prompt`);
  }
  const cell = createCell('upscale', ctx.newId(), ctx.fallbackSeed, ctx.defaults ?? builtinDefaults) as UpscaleCell;
  const defaults = (ctx.defaults ?? builtinDefaults).upscale[size];
  return {
    ...cell,
    source: { cellId: source.id, index: 0 },
    size,
    seed: entry.image.seed,
    steps: stage.steps,
    sampler: stage.sampler,
    guidance: stage.guidance,
    noiseAugmentation: stage.noiseAugmentation ?? defaults.noiseAugmentation,
    ...expectedOf(entry, ctx.file),
  };
}

/** The imagen-ts chunk of the inspection, when there is one that parses. */
export function imagenInfo(result: InspectResult): ImagenPngInfo | undefined {
  const r = ImagenPngInfo.safeParse(result.imagen);
  return r.success ? r.data : undefined;
}

/**
 * The cells that remake the dropped image: a chain when the PNG records one, else the
 * prompt cell its parameters give. Warnings say what may keep it from reproducing.
 */
export function recreateFromInspect(result: InspectResult, ctx: RecreateContext): RecreatedChain {
  const info = imagenInfo(result);
  const entries: LineageEntry[] = info ? [...(info.lineage ?? []), info] : [];
  const first = entries[0];
  if (!info || !first || first.request.init || first.request.size !== baseSize) {
    const made = cellFromInspect(result, ctx.newId(), ctx.fallbackSeed, ctx.defaults);
    if (!made.ok) return made;
    const warnings = [...made.warnings];
    if (info?.request.init && !info.lineage) warnings.push('the PNG does not record the image it was upscaled from (made before imagen-ts/2, or from an image without our metadata)');
    return { ok: true, cells: [made.cell], warnings, chain: false };
  }
  const warnings: string[] = [];
  if (ctx.modelId !== undefined && entries.some((e) => e.fingerprint.modelId !== ctx.modelId)) {
    warnings.push(`made by model ${first.fingerprint.modelId}; this edge serves ${ctx.modelId}, so the pixels may differ`);
  }
  const prompt = promptCellOf(first, ctx, warnings);
  if (!prompt) return { ok: false, error: `the base image's seed ${first.image.seed} is outside [0, ${limits.seedMax}]` };
  const cells: Cell[] = [prompt];
  for (const entry of entries.slice(1)) {
    const made = upscaleCellOf(entry, cells[cells.length - 1]!, prompt, ctx, warnings);
    if (typeof made === 'string') {
      warnings.push(`stopped before ${made}`);
      break;
    }
    cells.push(made);
  }
  return { ok: true, cells, warnings, chain: cells.length > 1 };
}
