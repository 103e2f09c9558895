// Classifier-free guidance (Ho & Salimans 2022, eq. 6 in the ε form used by Imagen and DeepFloyd IF):
// ε̃ = ε_uncond + s·(ε_cond − ε_uncond); s = 1 is the conditional model alone, s = 0 the unconditional one.

function checkScale(scale: number): void {
  if (typeof scale !== 'number' || !Number.isFinite(scale)) throw new RangeError(`guidance scale must be a finite number, got ${String(scale)}`);
}

/** out = uncond + scale·(cond − uncond), elementwise; out may alias either input. */
export function cfgCombine(out: Float32Array, uncond: Float32Array, cond: Float32Array, scale: number): void {
  checkScale(scale);
  if (uncond.length !== out.length || cond.length !== out.length)
    throw new RangeError(`cfgCombine: uncond (${uncond.length}) and cond (${cond.length}) must have out's length ${out.length}`);
  for (let i = 0; i < out.length; i++) {
    const u = uncond[i] as number;
    out[i] = u + scale * ((cond[i] as number) - u);
  }
}

export interface BatchedOutputShape {
  /** images per half (the guided batch is 2·batch) */
  batch: number;
  /** channels of the model output (6 for 'eps-learned-range', 3 otherwise) */
  channels: number;
  /** leading channels to keep (3: the ε half of a learned-range output) */
  keepChannels: number;
  /** H·W */
  pixels: number;
}

/**
 * Guidance on one batched model output [2B, C, H, W] whose first B images are unconditional and last B conditional
 * (the order of diffusers' `noise_pred.chunk(2)`): out [B, keepChannels, H, W] = the guided first keepChannels
 * channels. out must not overlap modelOutput.
 */
export function cfgCombineBatched(out: Float32Array, modelOutput: Float32Array, shape: BatchedOutputShape, scale: number): void {
  checkScale(scale);
  const { batch, channels, keepChannels, pixels } = shape;
  for (const [name, v] of Object.entries({ batch, channels, keepChannels, pixels }))
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`shape.${name} must be a positive integer, got ${v}`);
  if (keepChannels > channels) throw new RangeError(`shape.keepChannels (${keepChannels}) must be ≤ shape.channels (${channels})`);
  const image = channels * pixels;
  const kept = keepChannels * pixels;
  if (modelOutput.length !== 2 * batch * image) throw new RangeError(`modelOutput.length must be 2·batch·channels·pixels = ${2 * batch * image}, got ${modelOutput.length}`);
  if (out.length !== batch * kept) throw new RangeError(`out.length must be batch·keepChannels·pixels = ${batch * kept}, got ${out.length}`);
  const condOffset = batch * image;
  for (let b = 0; b < batch; b++) {
    const src = b * image;
    const dst = b * kept;
    for (let i = 0; i < kept; i++) {
      const u = modelOutput[src + i] as number;
      out[dst + i] = u + scale * ((modelOutput[condOffset + src + i] as number) - u);
    }
  }
}
