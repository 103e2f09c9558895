// One stage of the cascade over a batch of images that share its timesteps
// (same sampler and steps), each with its own seed, guidance, text and noise
// level: prepareStage() (stage-prepare.ts) then denoiseLoop() (stage-denoise.ts).
//
// ONNX calls per step (layoutRows() in stage-prepare.ts): the guided images'
// [uncond rows…, cond rows…] in one call, and on the CPU each unguided image's
// single cond row in a call of its own, so guidance 1 costs no unconditional
// evaluation and no padding row, and every image runs at the same call size
// whatever its batch mates. Guidance mixes each image's uncond/cond outputs
// (diffusers' chunk(2) order).
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
// every buffer is allocated once per stage. Padding rows (the 'padded' mode
// kept for comparison) are filled once: a row's output does not depend on the
// other rows' values, only on their count.
import type { Stage } from '../manifest/schema.ts';
import { NoisePurpose, streamId, type NoiseRequest } from '../random/index.ts';
import { denoiseLoop } from './stage-denoise.ts';
import { prepareStage, type StageRun } from './stage-prepare.ts';

export { BatchAbandoned } from './stage-denoise.ts';
export { fusedCoefficients, layoutRows, type RowMode, type StageImage, type StageOwner, type StageRun } from './stage-prepare.ts';

/** The streams of a stage that noise-prefetch can draw ahead: x_T and, for SR stages, the low-res ε, per image. */
export function stageNoiseRequests(stage: Stage, stageIndex: number, seeds: readonly number[]): NoiseRequest[] {
  const length = 3 * stage.resolution * stage.resolution;
  const purposes = stage.lowRes ? [NoisePurpose.initial, NoisePurpose.lowResAugmentation] : [NoisePurpose.initial];
  return seeds.flatMap((seed) => purposes.map((p) => ({ seed, streamId: streamId(stageIndex, p), length })));
}

/** Runs the stage; returns each image's x0 [3, R, R], unclamped, as views valid until the next stage is prepared. */
export async function runStage(run: StageRun): Promise<Float32Array[]> {
  return denoiseLoop(await prepareStage(run));
}
