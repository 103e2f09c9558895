// Parameters as text (the "copy parameters" button) and back from a PNG's
// metadata (drop a PNG to recreate its cell). The text follows AUTOMATIC1111's
// `parameters` layout so either tool can read the other's.
import { a1111SamplerNames as a1111Sampler, PIXEL_HASH_ALGORITHM } from '@imagen-ts/protocol';
import type { InspectResult } from './api-types.ts';
import type { Cell, CellDefaults, OutputImage, PromptCell, Sampler } from './cell-types.ts';
import { baseSize, builtinDefaults, createCell, limits, samplers } from './cell-types.ts';

/** The parameters of one output image, A1111 style, from what is stored with the image. */
export function formatParameters(image: OutputImage): string {
  const p = image.params;
  const fields: [string, string | number][] = [['Steps', p.steps], ['Sampler', a1111Sampler[p.sampler]], ['CFG scale', p.guidance], ['Seed', image.seed], ['Size', `${image.width}x${image.height}`]];
  let head: string;
  if (p.kind === 'upscale') {
    head = `Upscale of image ${p.sourceImageId} (sha256 ${p.sourceSha256})`;
    fields.push(['Noise augmentation', p.noiseAugmentation]);
  } else {
    head = p.prompt;
    if (p.negativePrompt) head += `\nNegative prompt: ${p.negativePrompt}`;
  }
  fields.push(['Image sha256', image.sha256]);
  if (image.pixelSha256) fields.push(['Pixel hash', `${image.pixelSha256} (${PIXEL_HASH_ALGORITHM})`]);
  return `${head}\n${fields.map(([k, v]) => `${k}: ${v}`).join(', ')}`;
}

export function parseSampler(name: string | undefined): Sampler | undefined {
  if (!name) return undefined;
  const n = name.trim().toLowerCase();
  if ((samplers as readonly string[]).includes(n)) return n as Sampler;
  if (n.startsWith('dpm++ 2m') || n === 'dpmpp_2m') return 'dpmpp-2m';
  return undefined;
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** What a PNG's metadata says made it, from the edge's /v1/images/inspect answer. */
export interface Recreatable {
  source: string;
  prompt: string;
  negativePrompt?: string | undefined;
  seed?: number | undefined;
  steps?: number | undefined;
  sampler?: string | undefined;
  guidance?: number | undefined;
  width?: number | undefined;
  height?: number | undefined;
}

/**
 * Flattens the inspection: the edge's `request` (a generation body that repeats
 * the image) first, then the A1111 `parameters` for what it lacks. Undefined
 * when the PNG carries no parameters at all.
 */
export function recreatableFrom(result: InspectResult): Recreatable | undefined {
  const req = result.request ?? {};
  const p = result.parameters;
  const prompt = str(req.prompt) ?? p?.prompt;
  if (result.source === 'none' || prompt === undefined) return undefined;
  const size = num(req.size);
  return {
    source: result.source,
    prompt,
    negativePrompt: str(req.negativePrompt) ?? p?.negativePrompt,
    seed: num(req.seed) ?? p?.seed,
    steps: num(req.steps) ?? p?.steps,
    sampler: str(req.sampler) ?? p?.sampler,
    guidance: num(req.guidance) ?? p?.cfgScale,
    width: p?.width ?? size,
    height: p?.height ?? size,
  };
}

export type Recreated = { ok: true; cell: Cell; warnings: string[] } | { ok: false; error: string };

/**
 * A prompt cell recreating an image from its metadata, with a note of anything
 * that could not be carried over. An upscaled image gives its base generation.
 */
export function cellFromInspect(result: InspectResult, id: string, fallbackSeed: number, defaults: CellDefaults = builtinDefaults): Recreated {
  const r = recreatableFrom(result);
  if (!r) return { ok: false, error: 'the PNG carries no generation parameters (neither imagen-ts nor AUTOMATIC1111 metadata)' };
  const warnings: string[] = [];
  const cell = createCell('prompt', id, fallbackSeed, defaults) as PromptCell;
  cell.prompt = r.prompt.slice(0, limits.promptMaxChars);
  cell.negativePrompt = (r.negativePrompt ?? '').slice(0, limits.promptMaxChars);
  cell.n = 1;
  if (r.seed !== undefined && Number.isInteger(r.seed) && r.seed >= 0 && r.seed <= limits.seedMax) cell.seed = r.seed;
  else warnings.push(r.seed === undefined ? 'no seed in the image: a random one was chosen' : `seed ${r.seed} is outside [0, ${limits.seedMax}]: a random one was chosen`);
  if (r.steps !== undefined) {
    cell.steps = clamp(Math.round(r.steps), 1, limits.stepsMax);
    if (cell.steps !== r.steps) warnings.push(`steps ${r.steps} became ${cell.steps}`);
  }
  const sampler = parseSampler(r.sampler);
  if (sampler) cell.sampler = sampler;
  else if (r.sampler) warnings.push(`sampler "${r.sampler}" is not available here: using ${cell.sampler}`);
  if (r.guidance !== undefined) {
    cell.guidance = clamp(r.guidance, 0, limits.guidanceMax);
    if (cell.guidance !== r.guidance) warnings.push(`guidance ${r.guidance} became ${cell.guidance}`);
  }
  if (r.width !== undefined && r.width !== baseSize) {
    warnings.push(`the image is ${r.width}×${r.height ?? r.width}: recreated its ${baseSize}×${baseSize} base generation; add an upscale cell for the rest`);
  }
  return { ok: true, cell, warnings };
}
