// The first half of runStage(): everything before the first denoising step.
// Lays out the ONNX batch rows, takes the stage's buffers, writes the text
// rows, x_T and (SR stages) the noise-augmented low-res channels into the model
// input, and binds the model calls the denoising loop repeats (stage-denoise.ts).
import type { Stage } from '../manifest/schema.ts';
import { guidedPredX0, noiseAugment } from '../numerics/index.ts';
import { createNormalStream, drawNoise, NoisePurpose, streamId, type NoiseBatch, type NormalStream } from '../random/index.ts';
import { createFeed, prepareRun, type Feed, type ModelSession, type PreparedRun } from '../runtime/ort.ts';
import { alphaBarAt, createNoiseSchedule, createScheduler, type NoiseScheduleTable, type Scheduler } from '../schedulers/index.ts';
import { resizePlanes } from '../image/resize.ts';
import type { Phase, PhaseEvent, ProgressEvent } from './types.ts';
import type { StagePlan } from './validate.ts';
import { createWorkspace, type Workspace } from './workspace.ts';

export interface StageImage {
  seed: number;
  guidance: number;
  /** SR stages: the augmentation timestep fed as noise_level */
  noiseLevel: number;
  /** [L·D] and [L] of this image's prompt */
  condHidden: Float32Array;
  condMask: BigInt64Array;
  /** null when guidance is 1 */
  uncondHidden: Float32Array | null;
  uncondMask: BigInt64Array | null;
}

/** A request in the batch: abort and progress are per owner. */
export interface StageOwner {
  signal: AbortSignal | undefined;
  onProgress: ((e: ProgressEvent) => void) | undefined;
  previewEvery: number;
  /** index of the owner's first image in `images` */
  firstImage: number;
  /** how many images from firstImage on are the owner's */
  imageCount: number;
  /** set once the owner has been rejected; its images still ride along until the stage ends */
  failed: boolean;
  fail(error: unknown): void;
}

export interface StageRun {
  plan: StagePlan;
  session: ModelSession;
  tokens: number;
  hidden: number;
  images: readonly StageImage[];
  owners: readonly StageOwner[];
  /** SR stages: [N, 3, r, r] in [-1, 1] */
  lowRes: Float32Array | null;
  lowResSize: number;
  /** how rows are grouped into calls (see RowMode) */
  rowMode: RowMode;
  /** where the big buffers come from (default: fresh ones) */
  workspace?: Workspace;
  onModelCall?: (model: string, batch: number, rows: number, ms: number) => void;
  /** where the stage's time outside its U-Net calls goes (see Phase) */
  onPhase?: (e: PhaseEvent) => void;
  /** this stage's x_T and low-res ε streams, drawn ahead (see random/noise-prefetch.ts); default: drawn here */
  noise?: NoiseBatch;
}

/** Reports the time since `t0` as `phase` of the run's stage; returns now, the start of whatever comes next. */
export function lap(run: StageRun, phase: Phase, t0: number): number {
  const now = performance.now();
  run.onPhase?.({ phase, stage: run.plan.stage.name, ms: now - t0 });
  return now;
}

/** Rows of one ONNX call: [first, first + batch) of the model input, of which the first `rows` are real. */
export interface ModelCall {
  first: number;
  rows: number;
  /** rows ≥ `rows`: the rest are padding (copies of the last real row) */
  batch: number;
  run: PreparedRun;
}

/** Where each image's rows sit in the model input. */
export interface RowLayout {
  /** model-input row of image j's conditional input */
  cond: Int32Array;
  /** model-input row of image j's unconditional input, -1 when its guidance is 1 */
  uncond: Int32Array;
  /** rows allocated, padding included */
  totalRows: number;
  /** the calls of one step, as [first, first + batch) ranges (padding rows at the end of each) */
  spans: ReadonlyArray<{ first: number; rows: number; batch: number }>;
}

/** A stage ready for its first step: the loop only runs calls and steps x_t in place. */
export interface PreparedStage {
  run: StageRun;
  stage: Stage;
  /** resolution, values per image (3·R·R), values per model-input row */
  R: number;
  P: number;
  rowSize: number;
  layout: RowLayout;
  calls: ModelCall[];
  /** one scheduler per image (same timesteps) */
  schedulers: Scheduler[];
  timesteps: Float64Array;
  /** per step: the fused kernel's alpha and sigma, NaN where the step runs unfused */
  coef: Float64Array;
  modelIn: Float32Array;
  timestepIn: Float32Array;
  /** x_t of image j: channels 0–2 of its cond row, stepped in place */
  xV: Float32Array[];
  /** x0 of image j */
  predV: Float32Array[];
  /** sampler noise of one image (empty unless the sampler needs noise) */
  noise: Float32Array;
  /** dynamic thresholding's |x0| or the unfused path's ε̃, one image (empty when neither is needed) */
  scratch: Float32Array;
  ancestral: NormalStream[];
  outName: string;
  /** output channels: 6 for a learned-range output (ε in the first 3), else 3 */
  outC: number;
  prediction: 'eps' | 'v';
}

/**
 * Per step index: alpha and sigma of the table at the step's timestep when the scheduler's predX0 is exactly the
 * fused kernel's (x0 from the table's alpha/sigma at timesteps()[k]), else NaN (the step then runs unfused). Checked
 * on probe values, so a scheduler with another parameterisation falls back instead of being computed wrongly.
 */
export function fusedCoefficients(scheduler: Scheduler, table: NoiseScheduleTable, prediction: 'eps' | 'v'): Float64Array {
  const ts = scheduler.timesteps();
  const coef = new Float64Array(2 * ts.length).fill(Number.NaN);
  // values of several magnitudes, so another alpha/sigma cannot round to the same float32 everywhere
  const sample = Float32Array.of(0.75, -1.5, 3.25, 1e-3, -0.1234567, 17.5, 1 / 3, -2.718281828);
  const model = Float32Array.of(-0.5, 1.25, 2, 0.9876543, -3e-4, 0.1, -7.25, 1 / 7);
  const viaScheduler = new Float32Array(sample.length);
  const viaKernel = new Float32Array(sample.length);
  for (let k = 0; k < ts.length; k++) {
    const t = ts[k] as number;
    const alpha = table.alpha[t];
    const sigma = table.sigma[t];
    if (!Number.isInteger(t) || alpha === undefined || sigma === undefined) continue;
    scheduler.predX0(viaScheduler, k, sample, model);
    guidedPredX0(viaKernel, sample, model, 0, -1, { prediction, alpha, sigma, guidance: 1, clipUnit: false });
    if (viaKernel.every((v, i) => Object.is(v, viaScheduler[i]))) {
      coef[2 * k] = alpha;
      coef[2 * k + 1] = sigma;
    }
  }
  return coef;
}

/**
 * How a stage's rows are grouped into ONNX calls so that an image's bytes never depend on its batch mates (see
 * CascadeOptions.batchInvariance). onnxruntime's CPU kernels take another path (GEMV) for a MatMul of one row, so a
 * one-row call is not bit-identical to the same row inside a bigger call; a row's output does not depend on the
 * other rows' values, and, from two rows up, not on their count either.
 * - 'split': the guided images' rows [uncond…, cond…] in one call (≥ 2 rows), then each unguided image's single
 *   cond row in a call of its own. Every image always runs at the same call size, whatever its batch mates.
 * - 'padded': one call over [uncond rows…, cond rows…], a lone row padded to two (a copy of it, thrown away).
 * - 'off': one call over all rows, no padding (GPUs: no bitwise guarantee across call sizes either way).
 */
export type RowMode = 'split' | 'padded' | 'off';

/**
 * Where each image's rows go. 'padded' and 'off': [uncond rows…, cond rows…, padding rows…], the uncond rows only for
 * images whose guidance ≠ 1 (in image order), the cond rows every image in order. 'split': [uncond rows of the guided
 * images…, their cond rows…, the unguided images' cond rows…]. With only guided (or only unguided) images both
 * orders are the same rows.
 */
export function layoutRows(images: readonly StageImage[], mode: RowMode): RowLayout {
  const N = images.length;
  const uncond = new Int32Array(N).fill(-1);
  const cond = new Int32Array(N);
  let U = 0;
  images.forEach((im, j) => {
    if (im.guidance !== 1) uncond[j] = U++;
  });
  const B = U + N;
  if (mode !== 'split') {
    cond.forEach((_, j) => (cond[j] = U + j));
    const Bp = mode === 'padded' ? Math.max(B, 2) : B;
    return { cond, uncond, totalRows: Bp, spans: [{ first: 0, rows: B, batch: Bp }] };
  }
  let guided = 0;
  let alone = 2 * U;
  const spans: Array<{ first: number; rows: number; batch: number }> = U > 0 ? [{ first: 0, rows: 2 * U, batch: 2 * U }] : [];
  images.forEach((im, j) => {
    if (im.guidance !== 1) cond[j] = U + guided++;
    else {
      cond[j] = alone;
      spans.push({ first: alone, rows: 1, batch: 1 });
      alone++;
    }
  });
  return { cond, uncond, totalRows: B, spans };
}

function createSchedulers(run: StageRun, prediction: 'eps' | 'v'): Scheduler[] {
  // one scheduler per image: the images' x_t are not contiguous in the model input (rows of 6 channels in SR
  // stages), and every update is elementwise, so this equals one scheduler over the batch
  return run.images.map(() => {
    const s = createScheduler(run.plan.sampler, { schedule: run.plan.stage.schedule, prediction });
    s.setTimesteps(run.plan.steps);
    return s;
  });
}

interface TextRows {
  hiddenIn: Float32Array;
  maskIn: BigInt64Array | null;
}

/** Each image's prompt into its cond row and, when guided, its null/negative prompt into its uncond row. */
function fillTextRows(run: StageRun, layout: RowLayout, ws: Workspace): TextRows {
  const { tokens: L, hidden: D, session, plan } = run;
  const hiddenIn = ws.f32('hidden', layout.totalRows * L * D);
  const maskIn = session.inputNames.includes(plan.stage.inputNames.encoderAttentionMask) ? new BigInt64Array(layout.totalRows * L) : null;
  run.images.forEach((im, j) => {
    const c = layout.cond[j] as number;
    hiddenIn.set(im.condHidden, c * L * D);
    maskIn?.set(im.condMask, c * L);
    const u = layout.uncond[j] as number;
    if (u >= 0) {
      if (!im.uncondHidden || !im.uncondMask) throw new Error(`stage ${plan.stage.name}: image ${j} has guidance ${im.guidance} but no unconditional embeddings`);
      hiddenIn.set(im.uncondHidden, u * L * D);
      maskIn?.set(im.uncondMask, u * L);
    }
  });
  return { hiddenIn, maskIn };
}

const fillNoise = (run: StageRun, out: Float32Array, seed: number, id: number): Promise<void> | void =>
  run.noise ? run.noise.fill(out, seed, id) : drawNoise(out, seed, id);

/** x_T of every image, straight into its cond row. */
async function drawStartNoise(run: StageRun, xV: Float32Array[], sigma: number): Promise<void> {
  for (const [j, im] of run.images.entries()) {
    const v = xV[j] as Float32Array;
    await fillNoise(run, v, im.seed, streamId(run.plan.index, NoisePurpose.initial));
    if (sigma !== 1) for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) * sigma;
  }
}

/**
 * SR stages: the low-res input resized and noise-augmented (own stream) straight into channels 3–5 of each cond row;
 * `predX0` is unused until the first step, so it doubles as the resize scratch and then as ε. Returns noise_level.
 */
async function fillLowRes(run: StageRun, layout: RowLayout, modelIn: Float32Array, rowSize: number, predX0: Float32Array): Promise<BigInt64Array> {
  const stage = run.plan.stage;
  const { lowRes } = stage;
  const low = run.lowRes;
  const R = stage.resolution;
  const P = 3 * R * R;
  const N = run.images.length;
  if (!low || !lowRes) throw new Error(`stage ${stage.name}: super-resolution stage without a low-res input`);
  const r = run.lowResSize;
  const lowP = 3 * r * r;
  if (low.length !== N * lowP) throw new Error(`stage ${stage.name}: low-res input has ${low.length} values, expected ${N}·3·${r}·${r}`);
  const noiseLevelIn = new BigInt64Array(layout.totalRows);
  const table = createNoiseSchedule(lowRes.augmentationSchedule ?? stage.schedule);
  const eps = predX0.subarray(0, P);
  const resizeScratch = predX0.subarray(0, Math.min(predX0.length, 3 * r * R));
  for (const [j, im] of run.images.entries()) {
    const c = (layout.cond[j] as number) * rowSize;
    const v = modelIn.subarray(c + P, c + 2 * P);
    const shape = { planes: 3, inHeight: r, inWidth: r, outHeight: R, outWidth: R };
    let t = performance.now();
    resizePlanes(v, low.subarray(j * lowP, (j + 1) * lowP), shape, lowRes.resize, lowRes.alignCorners, resizeScratch);
    t = lap(run, 'resize', t);
    await fillNoise(run, eps, im.seed, streamId(run.plan.index, NoisePurpose.lowResAugmentation));
    noiseAugment(v, v, eps, alphaBarAt(table, im.noiseLevel));
    lap(run, 'noise', t);
    noiseLevelIn[layout.cond[j] as number] = BigInt(im.noiseLevel);
    const u = layout.uncond[j] as number;
    if (u >= 0) noiseLevelIn[u] = BigInt(im.noiseLevel);
  }
  return noiseLevelIn;
}

interface InputRows extends TextRows {
  modelIn: Float32Array;
  timestepIn: Float32Array;
  noiseLevelIn: BigInt64Array | null;
}

/**
 * Uncond rows start as copies of their cond rows (x_T and the low-res channels; later steps copy x_t only). Padding
 * rows are filled once, copies of their call's last real row: a row's output does not depend on the other rows'
 * values, only on their count.
 */
function fillCopies(layout: RowLayout, rowSize: number, L: number, D: number, rows: InputRows): void {
  const { modelIn, hiddenIn, maskIn, noiseLevelIn } = rows;
  layout.uncond.forEach((u, j) => {
    const c = layout.cond[j] as number;
    if (u >= 0) modelIn.copyWithin(u * rowSize, c * rowSize, (c + 1) * rowSize);
  });
  for (const span of layout.spans) {
    const last = span.first + span.rows - 1;
    for (let r = span.first + span.rows; r < span.first + span.batch; r++) {
      modelIn.copyWithin(r * rowSize, last * rowSize, (last + 1) * rowSize);
      hiddenIn.copyWithin(r * L * D, last * L * D, (last + 1) * L * D);
      maskIn?.copyWithin(r * L, last * L, (last + 1) * L);
      if (noiseLevelIn) noiseLevelIn[r] = noiseLevelIn[last] ?? 0n;
    }
  }
}

/** One prepared ONNX run per span, its feeds views of the span's rows (fed again every step, never rebuilt). */
function bindCalls(run: StageRun, layout: RowLayout, inC: number, rows: InputRows): ModelCall[] {
  const { stage } = run.plan;
  const { tokens: L, hidden: D } = run;
  const R = stage.resolution;
  const rowSize = inC * R * R;
  const names = stage.inputNames;
  return layout.spans.map(({ first, rows: real, batch }) => {
    const end = first + batch;
    const feeds: Record<string, Feed> = {
      [names.sample]: createFeed(rows.modelIn.subarray(first * rowSize, end * rowSize), [batch, inC, R, R]),
      [names.timestep]: createFeed(rows.timestepIn.subarray(first, end), [batch]),
      [names.encoderHiddenStates]: createFeed(rows.hiddenIn.subarray(first * L * D, end * L * D), [batch, L, D]),
    };
    if (rows.maskIn) feeds[names.encoderAttentionMask] = createFeed(rows.maskIn.subarray(first * L, end * L), [batch, L]);
    if (rows.noiseLevelIn) feeds[names.noiseLevel] = createFeed(rows.noiseLevelIn.subarray(first, end), [batch]);
    return { first, rows: real, batch, run: prepareRun(run.session, feeds, [stage.outputName]) };
  });
}

/**
 * Buffers, text rows, x_T, low-res channels and bound calls of one stage. Nothing in the loop allocates per step
 * (onnxruntime allocates its output); workspace buffers hold stale values, so every value is written before read.
 */
export async function prepareStage(run: StageRun): Promise<PreparedStage> {
  const { plan, images } = run;
  let t = performance.now();
  const stage: Stage = plan.stage;
  const R = stage.resolution;
  const N = images.length;
  if (N === 0) throw new Error(`stage ${stage.name}: no images`);
  const P = 3 * R * R;
  const sr = stage.lowRes !== undefined;
  const inC = sr ? 6 : 3;
  const rowSize = inC * R * R;
  const prediction = stage.prediction === 'v' ? 'v' : 'eps';
  const schedulers = createSchedulers(run, prediction);
  const first = schedulers[0] as Scheduler;
  const coef = fusedCoefficients(first, createNoiseSchedule(stage.schedule), prediction);
  const layout = layoutRows(images, run.rowMode);

  const ws = run.workspace ?? createWorkspace();
  const modelIn = ws.f32('modelIn', layout.totalRows * rowSize);
  const text = fillTextRows(run, layout, ws);
  const predX0 = ws.f32('predX0', N * P);
  const noise = ws.f32('noise', first.needsNoise ? P : 0);
  const scratch = ws.f32('scratch', stage.thresholding.type === 'dynamic' || coef.some(Number.isNaN) ? P : 0);
  const xV = images.map((_, j) => modelIn.subarray((layout.cond[j] as number) * rowSize, (layout.cond[j] as number) * rowSize + P));
  const predV = images.map((_, j) => predX0.subarray(j * P, (j + 1) * P));

  t = lap(run, 'prepare', t);
  await drawStartNoise(run, xV, first.initNoiseSigma);
  const ancestral = first.needsNoise ? images.map((im) => createNormalStream(im.seed, streamId(plan.index, NoisePurpose.ancestral))) : [];
  lap(run, 'noise', t);
  const noiseLevelIn = sr ? await fillLowRes(run, layout, modelIn, rowSize, predX0) : null;
  t = performance.now();
  const rows: InputRows = { ...text, modelIn, timestepIn: new Float32Array(layout.totalRows), noiseLevelIn };
  fillCopies(layout, rowSize, run.tokens, run.hidden, rows);
  const calls = bindCalls(run, layout, inC, rows);
  const outC = stage.prediction === 'eps-learned-range' ? 6 : 3;
  const timesteps = first.timesteps();
  lap(run, 'prepare', t);
  return { run, stage, R, P, rowSize, layout, calls, schedulers, timesteps, coef, modelIn, timestepIn: rows.timestepIn, xV, predV, noise, scratch, ancestral, outName: stage.outputName, outC, prediction };
}
