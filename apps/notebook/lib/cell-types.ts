// The notebook's data model. Everything here is plain JSON: it is what autosave
// sends to the edge and what export/import writes, so it stays serialisable.
import { LIMITS, samplerNames, type SamplerName } from '@imagen-ts/protocol';

export const samplers = samplerNames;
export type Sampler = SamplerName;

export const upscaleSizes = [256, 1024] as const;
export type UpscaleSize = (typeof upscaleSizes)[number];

/** The base stage's resolution; prompt and sweep cells always produce it. */
export const baseSize = 64;

/** locked: the seed as typed; random: a fresh seed is drawn each time the cell itself is run. */
export type SeedMode = 'locked' | 'random';

export interface SamplingParams {
  steps: number;
  sampler: Sampler;
  guidance: number;
}

/** What made an image, stored with it so that it stays true after the cell is edited. */
export type ImageParams =
  | { kind: 'generate'; prompt: string; negativePrompt: string; steps: number; sampler: Sampler; guidance: number }
  | { kind: 'upscale'; sourceImageId: string; sourceSha256: string; noiseAugmentation: number; steps: number; sampler: Sampler; guidance: number };

/**
 * How a re-run compares with the image stored for the same inputs: the same file, the
 * same pixels in a file whose metadata differs, or other pixels.
 */
export type MatchKind = 'matched' | 'pixels-match' | 'differs';

/** An image produced by a task, as stored in a cell's run and in the notebook's cache. */
export interface OutputImage {
  imageId: string;
  /** sha256 of the PNG's bytes (the edge's image id) */
  sha256: string;
  /** hash of the decoded pixels (rgb8-sha256/1): the same picture has the same one whatever the metadata; absent from older runs */
  pixelSha256?: string;
  seed: number;
  width: number;
  height: number;
  /** the task that produced it and its position within that task's images */
  taskHash: string;
  index: number;
  params: ImageParams;
  /** set by a forced re-run: did it reproduce the image stored for the same inputs? */
  match?: MatchKind;
  /** with 'pixels-match': what differs in the PNG metadata */
  matchNote?: string;
}

/**
 * What a cell recreated from a dropped PNG should make: the pixel hash its image had
 * in the PNG's recorded chain, and the file it came from (the badge names it).
 */
export interface Expected {
  file: string;
  pixelSha256: string;
}

export interface CellRun {
  /** hash of everything that determines the outputs, including the source image's lineage */
  inputHash: string;
  /** hash of the cell's own fields only; tells "inputs changed" from "source changed" */
  ownHash: string;
  taskHashes: string[];
  images: OutputImage[];
  ranAt: string;
  /** every task came from the cache: the run cost nothing */
  fromCache: boolean;
  /** upscale cells: sha256 of the image they started from */
  sourceSha256?: string;
}

export interface PromptCell extends SamplingParams {
  id: string;
  kind: 'prompt';
  prompt: string;
  negativePrompt: string;
  seed: number;
  seedMode: SeedMode;
  n: number;
  size: typeof baseSize;
  /** set when recreated from a PNG: the pixels a run should reproduce */
  expected?: Expected;
  run?: CellRun;
}

/** Which image: the index-th image of cell cellId's outputs. */
export interface ImageRef {
  cellId: string;
  index: number;
}

export interface UpscaleCell extends SamplingParams {
  id: string;
  kind: 'upscale';
  source: ImageRef | null;
  size: UpscaleSize;
  seed: number;
  seedMode: SeedMode;
  /** augmentation timestep applied to the low-res conditioning image */
  noiseAugmentation: number;
  expected?: Expected;
  run?: CellRun;
}

export const sweepAxes = ['guidance', 'steps'] as const;
export type SweepAxis = (typeof sweepAxes)[number];

/** A grid: one 64×64 image per (seed, value) pair; rows are seeds, columns are values. */
export interface SweepCell extends SamplingParams {
  id: string;
  kind: 'sweep';
  prompt: string;
  negativePrompt: string;
  seeds: number[];
  axis: SweepAxis;
  values: number[];
  run?: CellRun;
}

export interface NoteCell {
  id: string;
  kind: 'note';
  markdown: string;
}

export type Cell = PromptCell | UpscaleCell | SweepCell | NoteCell;
export type RunnableCell = Exclude<Cell, NoteCell>;
export type CellKind = Cell['kind'];

export interface NotebookDoc {
  version: 1;
  title: string;
  cells: Cell[];
  /** task hash → the images that task produced; lets an unchanged task cost nothing */
  cache: Record<string, OutputImage[]>;
}

export const limits = {
  // the protocol's bounds; the runner checks noise augmentation against the stage's schedule
  seedMax: LIMITS.seed[1],
  nMax: LIMITS.n[1],
  stepsMax: LIMITS.steps[1],
  guidanceMax: LIMITS.guidance[1],
  noiseAugmentationMax: LIMITS.noiseAugmentation[1],
  sweepAxisMax: 16,
  sweepPointsMax: 64,
  promptMaxChars: LIMITS.promptChars,
} as const;

/** What a new cell starts from: the model's defaults per stage (lib/model-defaults.ts). */
export interface CellDefaults {
  base: SamplingParams;
  upscale: Record<UpscaleSize, SamplingParams & { noiseAugmentation: number }>;
}

/**
 * Until the edge lists the model (or when no runner is ready): the embedded
 * model's manifest values, so a cell made offline still starts somewhere sane.
 */
export const builtinDefaults: CellDefaults = {
  base: { sampler: 'dpmpp-2m', steps: 20, guidance: 2 },
  upscale: {
    256: { sampler: 'dpmpp-2m', steps: 15, guidance: 2, noiseAugmentation: 100 },
    1024: { sampler: 'dpmpp-2m', steps: 8, guidance: 1, noiseAugmentation: 100 },
  },
};

/** Sweep values around the model's default: guidance 1, g, 2g, 4g; steps s/2, s, 2s. */
export function sweepValues(axis: SweepAxis, base: SamplingParams): number[] {
  const v = axis === 'guidance' ? [1, base.guidance, 2 * base.guidance, 4 * base.guidance] : [Math.max(1, Math.round(base.steps / 2)), base.steps, 2 * base.steps];
  return [...new Set(v)].sort((a, b) => a - b);
}

export function isRunnable(cell: Cell): cell is RunnableCell {
  return cell.kind !== 'note';
}

/** Uniform uint32 seed; rng returns [0, 1). */
export function randomSeed(rng: () => number = Math.random): number {
  return Math.floor(rng() * (limits.seedMax + 1)) >>> 0;
}

export function newCellId(rng: () => number = Math.random): string {
  let id = '';
  for (let i = 0; i < 10; i++) id += Math.floor(rng() * 36).toString(36);
  return `c_${id}`;
}

export function createCell(kind: CellKind, id: string, seed: number, defaults: CellDefaults = builtinDefaults): Cell {
  switch (kind) {
    case 'prompt':
      return { id, kind, prompt: '', negativePrompt: '', seed, seedMode: 'locked', n: 4, size: baseSize, ...defaults.base };
    case 'upscale':
      return { id, kind, source: null, size: 256, seed, seedMode: 'locked', ...defaults.upscale[256] };
    case 'sweep':
      return { id, kind, prompt: '', negativePrompt: '', seeds: [seed, (seed + 1) >>> 0], axis: 'guidance', values: sweepValues('guidance', defaults.base), ...defaults.base };
    case 'note':
      return { id, kind, markdown: '' };
  }
}

export function createNotebookDoc(title: string): NotebookDoc {
  return { version: 1, title, cells: [], cache: {} };
}

/** Resolution of the images a cell produces. */
export function outputSize(cell: RunnableCell): number {
  return cell.kind === 'upscale' ? cell.size : baseSize;
}

/** The resolution an upscale to `size` needs as its input. */
export function inputSizeFor(size: UpscaleSize): number {
  return size === 256 ? baseSize : 256;
}

/** How many images a successful run of the cell produces. */
export function imageCount(cell: RunnableCell): number {
  switch (cell.kind) {
    case 'prompt':
      return cell.n;
    case 'upscale':
      return 1;
    case 'sweep':
      return cell.seeds.length * cell.values.length;
  }
}
