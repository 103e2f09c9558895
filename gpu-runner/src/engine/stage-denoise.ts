// The second half of runStage(): the denoising loop over a prepared stage
// (stage-prepare.ts). Per step: the stage's ONNX calls, then per image the fused
// guidance + x0 + thresholding pass and the scheduler step on x_t in place, then
// progress (and previews) per owner.
import { applyThresholding, clipAndScale, dynamicThresholdScale, guidedOutput, guidedPredX0, type GuidedX0Params } from '../numerics/index.ts';
import type { NormalStream } from '../random/index.ts';
import type { Scheduler } from '../schedulers/index.ts';
import { downsamplePlanes } from '../image/resize.ts';
import { GenerationAbortedError } from './errors.ts';
import { planarToRgb8 } from './pixels.ts';
import { lap, type StageImage, type StageOwner, type PreparedStage } from './stage-prepare.ts';
import type { ProgressEvent } from './types.ts';

/** Thrown when every owner of the batch has gone (aborted or failed): nothing left to compute. */
export class BatchAbandoned extends Error {}

/** preview side of the base stage; an SR stage's previews are larger, else they would show only its input */
const PREVIEW_MAX = 64;
const PREVIEW_MAX_SR = 128;

/** Fails owners whose signal fired; throws BatchAbandoned once no owner is left. */
function checkAborts(owners: readonly StageOwner[], stage: string, done: number): void {
  let alive = 0;
  for (const o of owners) {
    if (!o.failed && o.signal?.aborted) o.fail(new GenerationAbortedError(stage, done, o.signal.reason));
    if (!o.failed) alive++;
  }
  if (alive === 0) throw new BatchAbandoned();
}

/** Runs every call of step k; returns each call's output, checked against the expected dims. */
async function callModel(p: PreparedStage, k: number): Promise<Float32Array[]> {
  const { run, stage, R, outC, outName } = p;
  p.timestepIn.fill(p.timesteps[k] as number);
  const outputs: Float32Array[] = [];
  for (const call of p.calls) {
    const t0 = performance.now();
    const result = await call.run.run();
    run.onModelCall?.(stage.name, call.batch, call.rows, performance.now() - t0);
    const out = result[outName];
    if (!out || !(out.data instanceof Float32Array))
      throw new Error(`${run.session.label}: output "${outName}" missing or not float32 (outputs: ${run.session.outputNames.join(', ')})`);
    const d = out.dims;
    if (d.length !== 4 || d[0] !== call.batch || d[1] !== outC || d[2] !== R || d[3] !== R)
      throw new Error(`${run.session.label}: output "${outName}" has dims [${d.join(', ')}], expected [${call.batch}, ${outC}, ${R}, ${R}] for prediction "${stage.prediction}"`);
    outputs.push(out.data);
  }
  return outputs;
}

/** Where row `row`'s output is: its call's output and the offset in it. */
function outputOf(p: PreparedStage, outputs: Float32Array[], row: number): { data: Float32Array; at: number } {
  const i = p.calls.findIndex((c) => row >= c.first && row < c.first + c.rows);
  const call = p.calls[i];
  const data = outputs[i];
  if (!call || !data) throw new Error(`stage ${p.stage.name}: row ${row} is in no call`);
  return { data, at: (row - call.first) * p.outC * p.R * p.R };
}

/**
 * Guidance, x0, thresholding and the scheduler step of every image at step k; x_t is updated in place. Returns the
 * milliseconds spent drawing sampler noise (part of the pass, reported apart).
 */
function stepImages(p: PreparedStage, k: number, outputs: Float32Array[], x0Params: GuidedX0Params): number {
  const { run, layout, P, rowSize, modelIn, scratch, noise, coef } = p;
  const thresholding = p.stage.thresholding;
  const alpha = coef[2 * k] as number;
  const fused = !Number.isNaN(alpha);
  x0Params.alpha = fused ? alpha : 1;
  x0Params.sigma = fused ? (coef[2 * k + 1] as number) : 0;
  const last = k + 1 === p.timesteps.length;
  let noiseMs = 0;
  for (let j = 0; j < run.images.length; j++) {
    const im = run.images[j] as StageImage;
    const x = p.xV[j] as Float32Array;
    const pred = p.predV[j] as Float32Array;
    const c = layout.cond[j] as number;
    const u = layout.uncond[j] as number;
    // a learned-range output's ε is the first 3 of its 6 channels
    const cond = outputOf(p, outputs, c);
    const uncondAt = u >= 0 ? outputOf(p, outputs, u) : null;
    if (uncondAt && uncondAt.data !== cond.data) throw new Error(`stage ${p.stage.name}: image ${j}'s cond and uncond rows are in different calls`);
    const o = cond.data;
    if (fused) {
      x0Params.guidance = im.guidance;
      guidedPredX0(pred, x, o, cond.at, uncondAt?.at ?? -1, x0Params, thresholding.type === 'dynamic' ? scratch : undefined);
      if (thresholding.type === 'dynamic') clipAndScale(pred, dynamicThresholdScale(scratch, P, thresholding.percentile, thresholding.maxScale));
    } else {
      guidedOutput(scratch, o, cond.at, uncondAt?.at ?? -1, im.guidance);
      (p.schedulers[j] as Scheduler).predX0(pred, k, x, scratch);
      applyThresholding(pred, pred, 1, thresholding, scratch);
    }
    if (p.ancestral.length) {
      const t0 = performance.now();
      (p.ancestral[j] as NormalStream).fill(noise);
      noiseMs += performance.now() - t0;
    }
    (p.schedulers[j] as Scheduler).step(x, { index: k, sample: x, predX0: pred, noise });
    if (u >= 0 && !last) modelIn.copyWithin(u * rowSize, c * rowSize, c * rowSize + P);
  }
  return noiseMs;
}

/** One progress event per owner after step k (0-based), with a preview of each of its images every previewEvery steps. */
function reportProgress(p: PreparedStage, k: number, previewPlanes: Float32Array, previewSize: number): void {
  const { run, stage, R } = p;
  for (const owner of run.owners) {
    if (owner.failed || !owner.onProgress) continue;
    const event: ProgressEvent = { stage: stage.name, stageIndex: run.plan.index, step: k + 1, totalSteps: p.timesteps.length };
    if (owner.previewEvery > 0 && (k + 1) % owner.previewEvery === 0) {
      const previews = [];
      for (let i = owner.firstImage; i < owner.firstImage + owner.imageCount; i++) {
        downsamplePlanes(previewPlanes, p.predV[i] as Float32Array, 3, R, previewSize);
        const rgb = new Uint8Array(3 * previewSize * previewSize);
        planarToRgb8(rgb, previewPlanes, 0, previewSize, previewSize);
        previews.push({ width: previewSize, height: previewSize, rgb });
      }
      event.preview = previews[0];
      event.previews = previews;
    }
    try {
      owner.onProgress(event);
    } catch (e) {
      owner.fail(e);
    }
  }
}

/**
 * Every denoising step of a prepared stage; returns each image's x0 [3, R, R], unclamped: views into the stage's
 * workspace buffers, valid until the next stage or request is prepared (the caller copies out what it keeps).
 */
export async function denoiseLoop(p: PreparedStage): Promise<Float32Array[]> {
  const { run, stage, R } = p;
  const total = p.timesteps.length;
  const previewSize = Math.min(R, run.plan.index === 0 ? PREVIEW_MAX : PREVIEW_MAX_SR);
  const previewPlanes = new Float32Array(3 * previewSize * previewSize);
  const x0Params: GuidedX0Params = { prediction: p.prediction, alpha: 1, sigma: 0, guidance: 1, clipUnit: stage.thresholding.type === 'static' };
  for (let k = 0; k < total; k++) {
    checkAborts(run.owners, stage.name, k);
    const outputs = await callModel(p, k);
    const t0 = performance.now();
    const noiseMs = stepImages(p, k, outputs, x0Params);
    const t1 = performance.now();
    run.onPhase?.({ phase: 'guidance', stage: stage.name, ms: t1 - t0 - noiseMs });
    if (noiseMs > 0) run.onPhase?.({ phase: 'noise', stage: stage.name, ms: noiseMs });
    reportProgress(p, k, previewPlanes, previewSize);
    lap(run, 'progress', t1);
  }
  checkAborts(run.owners, stage.name, total);
  return p.xV;
}
