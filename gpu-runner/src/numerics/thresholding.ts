// x0 thresholding before each sampler step (Imagen, Saharia et al. 2022 §2.3).
// Static: clip x0 to [−1, 1]. Dynamic: per image s = max(1, quantile_p(|x0|)) (capped at maxScale, as DeepFloyd
// IF's sample_max_value), x0 ← clip(x0, −s, s)/s, which pulls saturated pixels inwards instead of clipping them.
// The quantile is found by selection on a caller-owned scratch array, not by sorting.
import type { Thresholding } from '../manifest/schema.ts';
import { quantileInPlace } from './select.ts';

function checkBatch(out: Float32Array, x0: Float32Array, batch: number): number {
  if (x0.length !== out.length) throw new RangeError(`x0.length (${x0.length}) must equal out.length (${out.length})`);
  if (!Number.isInteger(batch) || batch < 1 || out.length % batch !== 0 || out.length === 0)
    throw new RangeError(`batch must be a positive integer dividing out.length (${out.length}), got ${batch}`);
  return out.length / batch;
}

/** out = clip(x0, −1, 1); out may alias x0. */
export function staticThreshold(out: Float32Array, x0: Float32Array): void {
  if (x0.length !== out.length) throw new RangeError(`x0.length (${x0.length}) must equal out.length (${out.length})`);
  for (let i = 0; i < out.length; i++) {
    const v = x0[i] as number;
    out[i] = v < -1 ? -1 : v > 1 ? 1 : v;
  }
}

/** the manifest's dynamic Thresholding record fits as is */
export interface DynamicThresholdOptions {
  /** the quantile p in (0, 1) of |x0| (Imagen: 0.995; "percentile" in the manifest) */
  percentile: number;
  /** upper bound on s (≥ 1; DeepFloyd IF's sample_max_value); none by default */
  maxScale?: number | undefined;
}

/**
 * Dynamic thresholding of x0 [batch, …], per image. scratch: any Float32Array with length ≥ out.length/batch,
 * reused between calls. scalesOut (length ≥ batch) receives each image's s, for diagnostics. out may alias x0.
 */
export function dynamicThreshold(
  out: Float32Array,
  x0: Float32Array,
  batch: number,
  options: DynamicThresholdOptions,
  scratch: Float32Array,
  scalesOut?: Float64Array,
): void {
  const { percentile, maxScale } = options;
  const m = checkBatch(out, x0, batch);
  if (typeof percentile !== 'number' || !(percentile > 0 && percentile < 1)) throw new RangeError(`percentile must be in (0, 1), got ${String(percentile)}`);
  if (maxScale !== undefined && !(maxScale >= 1)) throw new RangeError(`maxScale must be ≥ 1, got ${maxScale}`);
  if (scratch.length < m) throw new RangeError(`scratch.length must be ≥ ${m} (values per image), got ${scratch.length}`);
  if (scalesOut && scalesOut.length < batch) throw new RangeError(`scalesOut.length must be ≥ batch (${batch}), got ${scalesOut.length}`);
  for (let b = 0; b < batch; b++) {
    const base = b * m;
    for (let i = 0; i < m; i++) scratch[i] = Math.abs(x0[base + i] as number);
    let s = Math.max(1, quantileInPlace(scratch, m, percentile));
    if (maxScale !== undefined) s = Math.min(s, maxScale);
    if (scalesOut) scalesOut[b] = s;
    for (let i = base; i < base + m; i++) {
      const v = x0[i] as number;
      out[i] = (v < -s ? -s : v > s ? s : v) / s;
    }
  }
}

/** The manifest's Thresholding applied to x0 [batch, …] (scratch as for dynamicThreshold; unused otherwise). */
export function applyThresholding(out: Float32Array, x0: Float32Array, batch: number, thresholding: Thresholding, scratch: Float32Array): void {
  switch (thresholding.type) {
    case 'dynamic':
      dynamicThreshold(out, x0, batch, thresholding, scratch);
      return;
    case 'static':
      staticThreshold(out, x0);
      return;
    case 'none':
      if (out !== x0) {
        if (x0.length !== out.length) throw new RangeError(`x0.length (${x0.length}) must equal out.length (${out.length})`);
        out.set(x0);
      }
      return;
    default:
      throw new RangeError(`thresholding.type must be "dynamic", "static" or "none", got ${JSON.stringify((thresholding as { type: unknown }).type)}`);
  }
}
