// Fused kernels of the sampling loop. The unfused sequence cfgCombine → Scheduler.predX0 → thresholding reads
// and writes every value of an image three or four times per step; at 1024² (3.1M values) those passes are most
// of a step's time outside onnxruntime. Here one pass reads the model output where onnxruntime left it (offsets
// into its batch, no copy, no views) and writes the thresholded x0. Every intermediate is rounded to float32
// exactly where the unfused sequence stores it, so the results are bit-identical to it.
import { quantileInPlace } from './select.ts';

export interface GuidedX0Params {
  /** what the model output means (a learned-range output's ε half is read as 'eps') */
  prediction: 'eps' | 'v';
  /** alpha_t, sigma_t of the step's timestep: x_t = alpha·x0 + sigma·ε */
  alpha: number;
  sigma: number;
  /** classifier-free guidance scale s of ε̃ = u + s·(c − u); unused without an unconditional row */
  guidance: number;
  /** static thresholding: x0 is clipped to [−clip, clip] (1); Infinity leaves it as is */
  clip: number;
}

function checkSpan(name: string, at: number, n: number, length: number): void {
  if (!Number.isInteger(at) || at < 0 || at + n > length) throw new RangeError(`${name} must be an integer in [0, ${length - n}], got ${at}`);
}

/**
 * out = clip(x0(sample, ε̃)), with ε̃ = model[condAt…] when uncondAt is −1 (the conditional output as is),
 * else fround(u + s·(c − u)) of model[uncondAt…] and model[condAt…] (cfgCombine), and x0 = fround((x − σ·ε̃)/α)
 * ('eps', a division as diffusers) or fround(α·x − σ·ε̃) ('v'). absOut, when given (length ≥ out.length),
 * receives |x0| after clipping: dynamic thresholding's quantile input. out must not overlap model.
 */
export function guidedPredX0(
  out: Float32Array,
  sample: Float32Array,
  model: Float32Array,
  condAt: number,
  uncondAt: number,
  params: GuidedX0Params,
  absOut?: Float32Array,
): void {
  const n = out.length;
  const { prediction, alpha, sigma, guidance: s, clip } = params;
  if (sample.length !== n) throw new RangeError(`sample.length (${sample.length}) must equal out.length (${n})`);
  checkSpan('condAt', condAt, n, model.length);
  if (uncondAt !== -1) checkSpan('uncondAt', uncondAt, n, model.length);
  if (prediction !== 'eps' && prediction !== 'v') throw new RangeError(`prediction must be "eps" or "v", got ${JSON.stringify(prediction)}`);
  if (!(alpha > 0) || !(sigma >= 0)) throw new RangeError(`need alpha > 0 and sigma ≥ 0, got alpha ${alpha}, sigma ${sigma}`);
  if (!Number.isFinite(s)) throw new RangeError(`guidance must be a finite number, got ${s}`);
  if (!(clip > 0)) throw new RangeError(`clip must be > 0 (Infinity for none), got ${clip}`);
  if (absOut && absOut.length < n) throw new RangeError(`absOut.length must be ≥ ${n}, got ${absOut.length}`);
  const eps = prediction === 'eps';
  if (uncondAt === -1) {
    if (eps) x0Eps(out, sample, model, condAt, alpha, sigma, clip);
    else x0V(out, sample, model, condAt, alpha, sigma, clip);
  } else if (eps) {
    x0EpsGuided(out, sample, model, condAt, uncondAt, s, alpha, sigma, clip);
  } else {
    x0VGuided(out, sample, model, condAt, uncondAt, s, alpha, sigma, clip);
  }
  if (absOut) for (let i = 0; i < n; i++) absOut[i] = Math.abs(out[i] as number);
}

// One small monomorphic loop per case: V8 neither unswitches loops nor optimizes a function with four hot loops
// as well as four functions. The clip is Math.max/min (branch-free; NaN and −0 come out as with comparisons).
function x0Eps(out: Float32Array, x: Float32Array, m: Float32Array, c: number, alpha: number, sigma: number, clip: number): void {
  const lo = -clip;
  for (let i = 0; i < out.length; i++) out[i] = Math.max(lo, Math.min(clip, Math.fround(((x[i] as number) - sigma * (m[c + i] as number)) / alpha)));
}

function x0V(out: Float32Array, x: Float32Array, m: Float32Array, c: number, alpha: number, sigma: number, clip: number): void {
  const lo = -clip;
  for (let i = 0; i < out.length; i++) out[i] = Math.max(lo, Math.min(clip, Math.fround(alpha * (x[i] as number) - sigma * (m[c + i] as number))));
}

function x0EpsGuided(out: Float32Array, x: Float32Array, m: Float32Array, c: number, u: number, s: number, alpha: number, sigma: number, clip: number): void {
  const lo = -clip;
  for (let i = 0; i < out.length; i++) {
    const un = m[u + i] as number;
    const e = Math.fround(un + s * ((m[c + i] as number) - un));
    out[i] = Math.max(lo, Math.min(clip, Math.fround(((x[i] as number) - sigma * e) / alpha)));
  }
}

function x0VGuided(out: Float32Array, x: Float32Array, m: Float32Array, c: number, u: number, s: number, alpha: number, sigma: number, clip: number): void {
  const lo = -clip;
  for (let i = 0; i < out.length; i++) {
    const un = m[u + i] as number;
    const e = Math.fround(un + s * ((m[c + i] as number) - un));
    out[i] = Math.max(lo, Math.min(clip, Math.fround(alpha * (x[i] as number) - sigma * e)));
  }
}

/**
 * out = ε̃ of one image read from a batched model output at offsets, as guidedPredX0 forms it: model[condAt…]
 * when uncondAt is −1, else cfgCombine of the two rows. For samplers whose x0 is not the table's alpha/sigma form.
 */
export function guidedOutput(out: Float32Array, model: Float32Array, condAt: number, uncondAt: number, guidance: number): void {
  const n = out.length;
  checkSpan('condAt', condAt, n, model.length);
  if (uncondAt === -1) {
    out.set(model.subarray(condAt, condAt + n));
    return;
  }
  checkSpan('uncondAt', uncondAt, n, model.length);
  if (!Number.isFinite(guidance)) throw new RangeError(`guidance must be a finite number, got ${guidance}`);
  for (let i = 0; i < n; i++) {
    const u = model[uncondAt + i] as number;
    out[i] = u + guidance * ((model[condAt + i] as number) - u);
  }
}

/**
 * Dynamic thresholding's scale of one image from |x0| (reordered in place): s = max(1, quantile_p(|x0|)), capped at
 * maxScale, as dynamicThreshold computes it.
 */
export function dynamicThresholdScale(absX0: Float32Array, n: number, percentile: number, maxScale?: number): number {
  if (typeof percentile !== 'number' || !(percentile > 0 && percentile < 1)) throw new RangeError(`percentile must be in (0, 1), got ${String(percentile)}`);
  if (maxScale !== undefined && !(maxScale >= 1)) throw new RangeError(`maxScale must be ≥ 1, got ${maxScale}`);
  const s = Math.max(1, quantileInPlace(absX0, n, percentile));
  return maxScale !== undefined ? Math.min(s, maxScale) : s;
}

/**
 * x = clip(x, −s, s)/s in place: the second half of dynamic thresholding, once s is known. s ≥ 1; a NaN s (from
 * NaN values) passes through to NaN values, as in dynamicThreshold.
 */
export function clipAndScale(x: Float32Array, s: number): void {
  if (s < 1) throw new RangeError(`s must be ≥ 1, got ${s}`);
  if (s === 1) {
    // clip(v, −1, 1)/1 is clip(v, −1, 1): skip the division
    for (let i = 0; i < x.length; i++) {
      const v = x[i] as number;
      x[i] = v < -1 ? -1 : v > 1 ? 1 : v;
    }
    return;
  }
  const lo = -s;
  for (let i = 0; i < x.length; i++) {
    const v = x[i] as number;
    x[i] = (v < lo ? lo : v > s ? s : v) / s;
  }
}
