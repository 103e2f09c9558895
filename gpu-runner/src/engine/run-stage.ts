// One stage of the cascade over a batch of images that share its timesteps
// (same sampler and steps), each with its own seed, guidance, text and noise
// level.
//
// ONNX batch layout per step: [uncond rows…, cond rows…, padding rows…]. The
// uncond half only holds the images whose guidance ≠ 1 (in image order), so
// guidance 1 costs no unconditional evaluation; cond rows hold every image in
// order. Guidance mixes each image's uncond/cond outputs (diffusers' chunk(2)
// order).
//
// Randomness per image, from the stream (seed + i, stage index, purpose):
// x_T ← NoisePurpose.initial, the low-res ε ← lowResAugmentation, sampler
// noise ← ancestral (drawn step after step). Nothing depends on batch mates,
// so image i of a batch equals the same image generated alone.
//
// Speed (see bench/): x_t lives in the model input itself (channels 0–2 of the
// image's cond row) and is stepped there in place, so a step copies only the
// uncond rows of guided images; model outputs are read where onnxruntime put
// them; guidance, x0 and thresholding are one fused pass (numerics/fused.ts);
// every buffer is allocated once per stage. Padding rows are filled once: a
// row's output does not depend on the other rows' values, only on their count.
import type { Stage } from '../manifest/schema.ts';
import { applyThresholding, clipAndScale, dynamicThresholdScale, guidedOutput, guidedPredX0, noiseAugment, type GuidedX0Params } from '../numerics/index.ts';
import { createNormalStream, drawNoise, NoisePurpose, streamId, type NoiseBatch, type NoiseRequest, type NormalStream } from '../random/index.ts';
import { createFeed, prepareRun, type Feed, type ModelSession } from '../runtime/ort.ts';
import { alphaBarAt, createNoiseSchedule, createScheduler, type NoiseScheduleTable, type Scheduler } from '../schedulers/index.ts';
import { downsamplePlanes, resizePlanes } from '../image/resize.ts';
import { GenerationAbortedError } from './errors.ts';
import { planarToRgb8 } from './pixels.ts';
import type { ProgressEvent } from './types.ts';
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
  /** pad ONNX calls to at least this many rows (see CascadeOptions.batchInvariant) */
  minRows: number;
  /** where the big buffers come from (default: fresh ones) */
  workspace?: Workspace;
  onModelCall?: (model: string, batch: number, rows: number, ms: number) => void;
  /** this stage's x_T and low-res ε streams, drawn ahead (see random/noise-prefetch.ts); default: drawn here */
  noise?: NoiseBatch;
}

/** The streams of a stage that noise-prefetch can draw ahead: x_T and, for SR stages, the low-res ε, per image. */
export function stageNoiseRequests(stage: Stage, stageIndex: number, seeds: readonly number[]): NoiseRequest[] {
  const length = 3 * stage.resolution * stage.resolution;
  const purposes = stage.lowRes ? [NoisePurpose.initial, NoisePurpose.lowResAugmentation] : [NoisePurpose.initial];
  return seeds.flatMap((seed) => purposes.map((p) => ({ seed, streamId: streamId(stageIndex, p), length })));
}

/** Thrown when every owner of the batch has gone (aborted or failed): nothing left to compute. */
export class BatchAbandoned extends Error {}

const PREVIEW_MAX = 64;

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

/** Runs the stage; returns x0 [N, 3, R, R]. */
export async function runStage(run: StageRun): Promise<Float32Array> {
  const { plan, session, images, owners, tokens: L, hidden: D } = run;
  const stage: Stage = plan.stage;
  const R = stage.resolution;
  const N = images.length;
  if (N === 0) throw new Error(`stage ${stage.name}: no images`);
  const plane = R * R;
  const P = 3 * plane;
  const sr = stage.lowRes !== undefined;
  const inC = sr ? 6 : 3;
  const rowSize = inC * plane;
  const names = stage.inputNames;
  const prediction = stage.prediction === 'v' ? 'v' : 'eps';

  // one scheduler per image: the images' x_t are not contiguous in the model input (rows of 6 channels in SR
  // stages), and every update is elementwise, so this equals one scheduler over the batch
  const schedulers = images.map(() => {
    const s = createScheduler(plan.sampler, { schedule: stage.schedule, prediction });
    s.setTimesteps(plan.steps);
    return s;
  });
  const first = schedulers[0] as Scheduler;
  const timesteps = first.timesteps();
  const total = timesteps.length;
  const needsNoise = first.needsNoise;
  const coef = fusedCoefficients(first, createNoiseSchedule(stage.schedule), prediction);

  // rows: uncond (guided images only), then cond (all)
  const uncondOf = new Int32Array(N).fill(-1);
  let U = 0;
  images.forEach((im, j) => {
    if (im.guidance !== 1) uncondOf[j] = U++;
  });
  // real rows; calls run on Bp ≥ B rows, the padding rows holding a copy of the last real row
  const B = U + N;
  const Bp = Math.max(B, run.minRows);

  // ---- per-stage buffers: nothing below allocates per step (onnxruntime allocates its output). Workspace
  // buffers hold stale values: every value is written before it is read.
  const ws = run.workspace ?? createWorkspace();
  const modelIn = ws.f32('modelIn', Bp * rowSize);
  const hiddenIn = ws.f32('hidden', Bp * L * D);
  const useMask = session.inputNames.includes(names.encoderAttentionMask);
  const maskIn = useMask ? new BigInt64Array(Bp * L) : null;
  const timestepIn = new Float32Array(Bp);
  const noiseLevelIn = sr ? new BigInt64Array(Bp) : null;
  const predX0 = ws.f32('predX0', N * P);
  const noise = ws.f32('noise', needsNoise ? P : 0);
  const thresholding = stage.thresholding;
  // dynamic thresholding: |x0| of one image; the unfused path: ε̃ of one image
  const scratch = ws.f32('scratch', thresholding.type === 'dynamic' || coef.some(Number.isNaN) ? P : 0);
  const condRow = (j: number) => (U + j) * rowSize;
  const uncondRow = (j: number) => (uncondOf[j] as number) * rowSize;
  // x_t of image j: channels 0–2 of its cond row
  const xV = images.map((_, j) => modelIn.subarray(condRow(j), condRow(j) + P));
  const predV = images.map((_, j) => predX0.subarray(j * P, (j + 1) * P));

  images.forEach((im, j) => {
    const c = U + j;
    hiddenIn.set(im.condHidden, c * L * D);
    maskIn?.set(im.condMask, c * L);
    const u = uncondOf[j] as number;
    if (u >= 0) {
      if (!im.uncondHidden || !im.uncondMask) throw new Error(`stage ${stage.name}: image ${j} has guidance ${im.guidance} but no unconditional embeddings`);
      hiddenIn.set(im.uncondHidden, u * L * D);
      maskIn?.set(im.uncondMask, u * L);
    }
  });

  const fillNoise = (out: Float32Array, seed: number, id: number): Promise<void> | void =>
    run.noise ? run.noise.fill(out, seed, id) : drawNoise(out, seed, id);

  // x_T
  for (const [j, im] of images.entries()) {
    const v = xV[j] as Float32Array;
    await fillNoise(v, im.seed, streamId(plan.index, NoisePurpose.initial));
    const sigma = first.initNoiseSigma;
    if (sigma !== 1) for (let i = 0; i < P; i++) v[i] = (v[i] as number) * sigma;
  }
  const ancestral: NormalStream[] = needsNoise ? images.map((im) => createNormalStream(im.seed, streamId(plan.index, NoisePurpose.ancestral))) : [];

  // low-res conditioning: resize and noise-augment (own stream) straight into channels 3–5 of the cond row
  if (sr) {
    const lowRes = stage.lowRes;
    const low = run.lowRes;
    if (!low || !lowRes || !noiseLevelIn) throw new Error(`stage ${stage.name}: super-resolution stage without a low-res input`);
    const r = run.lowResSize;
    const lowP = 3 * r * r;
    if (low.length !== N * lowP) throw new Error(`stage ${stage.name}: low-res input has ${low.length} values, expected ${N}·3·${r}·${r}`);
    const table = createNoiseSchedule(lowRes.augmentationSchedule ?? stage.schedule);
    // predX0 is unused until the first step: its first image doubles as the resize scratch and then as ε
    const eps = predV[0] as Float32Array;
    const resizeScratch = predX0.subarray(0, Math.min(predX0.length, 3 * r * R));
    for (const [j, im] of images.entries()) {
      const v = modelIn.subarray(condRow(j) + P, condRow(j) + 2 * P);
      const shape = { planes: 3, inHeight: r, inWidth: r, outHeight: R, outWidth: R };
      resizePlanes(v, low.subarray(j * lowP, (j + 1) * lowP), shape, lowRes.resize, lowRes.alignCorners, resizeScratch);
      await fillNoise(eps, im.seed, streamId(plan.index, NoisePurpose.lowResAugmentation));
      noiseAugment(v, v, eps, alphaBarAt(table, im.noiseLevel));
      noiseLevelIn[U + j] = BigInt(im.noiseLevel);
      const u = uncondOf[j] as number;
      if (u >= 0) noiseLevelIn[u] = BigInt(im.noiseLevel);
    }
  }

  // uncond rows start as copies of their cond rows (x_T and the low-res channels); later steps copy x_t only
  images.forEach((_, j) => {
    if ((uncondOf[j] as number) >= 0) modelIn.copyWithin(uncondRow(j), condRow(j), condRow(j) + rowSize);
  });
  for (let r = B; r < Bp; r++) {
    modelIn.copyWithin(r * rowSize, (B - 1) * rowSize, B * rowSize);
    hiddenIn.copyWithin(r * L * D, (B - 1) * L * D, B * L * D);
    maskIn?.copyWithin(r * L, (B - 1) * L, B * L);
    if (noiseLevelIn) noiseLevelIn[r] = noiseLevelIn[B - 1] ?? 0n;
  }

  const feeds: Record<string, Feed> = {
    [names.sample]: createFeed(modelIn, [Bp, inC, R, R]),
    [names.timestep]: createFeed(timestepIn, [Bp]),
    [names.encoderHiddenStates]: createFeed(hiddenIn, [Bp, L, D]),
  };
  if (maskIn) feeds[names.encoderAttentionMask] = createFeed(maskIn, [Bp, L]);
  if (noiseLevelIn) feeds[names.noiseLevel] = createFeed(noiseLevelIn, [Bp]);
  const outName = stage.outputName;
  const runner = prepareRun(session, feeds, [outName]);
  const outC = stage.prediction === 'eps-learned-range' ? 6 : 3;
  const outRowSize = outC * plane;
  const previewSize = Math.min(R, PREVIEW_MAX);
  const previewPlanes = new Float32Array(3 * previewSize * previewSize);
  const x0Params: GuidedX0Params = { prediction, alpha: 1, sigma: 0, guidance: 1, clipUnit: thresholding.type === 'static' };

  const checkAborts = (done: number) => {
    let alive = 0;
    for (const o of owners) {
      if (!o.failed && o.signal?.aborted) o.fail(new GenerationAbortedError(stage.name, done, o.signal.reason));
      if (!o.failed) alive++;
    }
    if (alive === 0) throw new BatchAbandoned();
  };

  for (let k = 0; k < total; k++) {
    checkAborts(k);
    timestepIn.fill(timesteps[k] as number);

    const t0 = performance.now();
    const result = await runner.run();
    run.onModelCall?.(stage.name, Bp, B, performance.now() - t0);
    const out = result[outName];
    if (!out || !(out.data instanceof Float32Array)) throw new Error(`${session.label}: output "${outName}" missing or not float32 (outputs: ${session.outputNames.join(', ')})`);
    const d = out.dims;
    if (d.length !== 4 || d[0] !== Bp || d[1] !== outC || d[2] !== R || d[3] !== R)
      throw new Error(`${session.label}: output "${outName}" has dims [${d.join(', ')}], expected [${Bp}, ${outC}, ${R}, ${R}] for prediction "${stage.prediction}"`);
    const o = out.data;
    const alpha = coef[2 * k] as number;
    const fused = !Number.isNaN(alpha);
    x0Params.alpha = fused ? alpha : 1;
    x0Params.sigma = fused ? (coef[2 * k + 1] as number) : 0;

    for (let j = 0; j < N; j++) {
      const im = images[j] as StageImage;
      const x = xV[j] as Float32Array;
      const pred = predV[j] as Float32Array;
      const u = uncondOf[j] as number;
      // a learned-range output's ε is the first 3 of its 6 channels
      const condAt = (U + j) * outRowSize;
      const uncondAt = u >= 0 ? u * outRowSize : -1;
      if (fused) {
        x0Params.guidance = im.guidance;
        guidedPredX0(pred, x, o, condAt, uncondAt, x0Params, thresholding.type === 'dynamic' ? scratch : undefined);
        if (thresholding.type === 'dynamic') clipAndScale(pred, dynamicThresholdScale(scratch, P, thresholding.percentile, thresholding.maxScale));
      } else {
        guidedOutput(scratch, o, condAt, uncondAt, im.guidance);
        (schedulers[j] as Scheduler).predX0(pred, k, x, scratch);
        applyThresholding(pred, pred, 1, thresholding, scratch);
      }
      if (needsNoise) (ancestral[j] as NormalStream).fill(noise);
      (schedulers[j] as Scheduler).step(x, { index: k, sample: x, predX0: pred, noise });
      if (u >= 0 && k + 1 < total) modelIn.copyWithin(uncondRow(j), condRow(j), condRow(j) + P);
    }

    for (const owner of owners) {
      if (owner.failed || !owner.onProgress) continue;
      const event: ProgressEvent = { stage: stage.name, stageIndex: plan.index, step: k + 1, totalSteps: total };
      if (owner.previewEvery > 0 && (k + 1) % owner.previewEvery === 0) {
        downsamplePlanes(previewPlanes, predV[owner.firstImage] as Float32Array, 3, R, previewSize);
        const rgb = new Uint8Array(3 * previewSize * previewSize);
        planarToRgb8(rgb, previewPlanes, 0, previewSize, previewSize);
        event.preview = { width: previewSize, height: previewSize, rgb };
      }
      try {
        owner.onProgress(event);
      } catch (e) {
        owner.fail(e);
      }
    }
  }
  checkAborts(total);
  const x = new Float32Array(N * P);
  xV.forEach((v, j) => x.set(v, j * P));
  return x;
}
