// Fused kernels of the sampling loop. The unfused sequence cfgCombine → Scheduler.predX0 → thresholding reads
// and writes every value of an image three or four times per step; at 1024² (3.1M values) those passes are most
// of a step's time outside onnxruntime. Here one pass reads the model output where onnxruntime left it (offsets
// into its batch, no copy) and writes the thresholded x0, clipping on the float32 bits without branches. Every
// intermediate is rounded to float32 exactly where the unfused sequence stores it, so the results are
// bit-identical to it.
import { quantileInPlace } from './select.ts';

export interface GuidedX0Params {
  /** what the model output means (a learned-range output's ε half is read as 'eps') */
  prediction: 'eps' | 'v';
  /** alpha_t, sigma_t of the step's timestep: x_t = alpha·x0 + sigma·ε */
  alpha: number;
  sigma: number;
  /** classifier-free guidance scale s of ε̃ = u + s·(c − u); unused without an unconditional row */
  guidance: number;
  /** static thresholding: clip x0 to [−1, 1] */
  clipUnit: boolean;
}

function checkSpan(name: string, at: number, n: number, length: number): void {
  if (!Number.isInteger(at) || at < 0 || at + n > length) throw new RangeError(`${name} must be an integer in [0, ${length - n}], got ${at}`);
}

/**
 * out = x0(sample, ε̃), clipped to [−1, 1] with clipUnit, where ε̃ = model[condAt…] when uncondAt is −1 (the
 * conditional output as is), else fround(u + s·(c − u)) of model[uncondAt…] and model[condAt…] (cfgCombine), and
 * x0 = fround((x − σ·ε̃)/α) ('eps', a division as diffusers) or fround(α·x − σ·ε̃) ('v'). absOut, when given
 * (length ≥ out.length), receives |x0| after clipping: dynamic thresholding's quantile input. out must not
 * overlap model.
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
  const { prediction, alpha, sigma, guidance: s, clipUnit } = params;
  if (sample.length !== n) throw new RangeError(`sample.length (${sample.length}) must equal out.length (${n})`);
  checkSpan('condAt', condAt, n, model.length);
  if (uncondAt !== -1) checkSpan('uncondAt', uncondAt, n, model.length);
  if (prediction !== 'eps' && prediction !== 'v') throw new RangeError(`prediction must be "eps" or "v", got ${JSON.stringify(prediction)}`);
  if (!(alpha > 0) || !(sigma >= 0)) throw new RangeError(`need alpha > 0 and sigma ≥ 0, got alpha ${alpha}, sigma ${sigma}`);
  if (!Number.isFinite(s)) throw new RangeError(`guidance must be a finite number, got ${s}`);
  if (absOut && absOut.length < n) throw new RangeError(`absOut.length must be ≥ ${n}, got ${absOut.length}`);
  const kernel = uncondAt === -1 ? (prediction === 'eps' ? x0Eps : x0V) : prediction === 'eps' ? x0EpsGuided : x0VGuided;
  const bits = clipUnit ? new Int32Array(out.buffer, out.byteOffset, n) : null;
  // chunk by chunk, so the clip and |x0| passes find the chunk still in cache
  for (let from = 0; from < n; from += CHUNK) {
    const to = Math.min(n, from + CHUNK);
    kernel(out, sample, model, condAt, uncondAt, s, alpha, sigma, from, to);
    if (bits) clipUnitBits(bits, from, to);
    if (absOut) for (let i = from; i < to; i++) absOut[i] = Math.abs(out[i] as number);
  }
}

const SIGN = -0x80000000;
const ABS = 0x7fffffff;
const ONE = 0x3f800000;
const INF = 0x7f800000;
// one float32 and its bits, for rounding s down to a float32
const ONE_F32 = new Float32Array(1);
const ONE_I32 = new Int32Array(ONE_F32.buffer);

/**
 * clip(v, −1, 1) of float32 values on their bits, without branches. Clipping noise-like data with comparisons
 * (or Math.min/max) mispredicts about every other value: 15–20 ns a value here, 6× the rest of the pass. For a
 * float32, |v| > 1 exactly when its magnitude bits exceed 1's; NaN (magnitude above ∞'s) is left alone, as the
 * comparisons leave it; −0, ±∞ and everything else match them too.
 */
function clipUnitBits(bits: Int32Array, from: number, to: number): void {
  for (let i = from; i < to; i++) {
    const b = bits[i] as number;
    const mag = b & ABS;
    const clip = ((ONE - mag) >> 31) & ~((INF - mag) >> 31);
    bits[i] = (b & ~clip) | (((b & SIGN) | ONE) & clip);
  }
}

// One small monomorphic loop per case (V8 does not unswitch loops), run over chunks: a kernel called a few times
// per step on millions of values otherwise lives in on-stack-replacement code that V8 keeps rebuilding; called
// once per chunk it is optimized as a whole, and a chunk (64 KB of x0) stays in cache for the passes after it.
// The stores to out round to float32, as the unfused passes did.
const CHUNK = 16384;
type Kernel = (out: Float32Array, x: Float32Array, m: Float32Array, c: number, u: number, s: number, alpha: number, sigma: number, from: number, to: number) => void;

const x0Eps: Kernel = (out, x, m, c, _u, _s, alpha, sigma, from, to) => {
  for (let i = from; i < to; i++) out[i] = ((x[i] as number) - sigma * (m[c + i] as number)) / alpha;
};

const x0V: Kernel = (out, x, m, c, _u, _s, alpha, sigma, from, to) => {
  for (let i = from; i < to; i++) out[i] = alpha * (x[i] as number) - sigma * (m[c + i] as number);
};

const x0EpsGuided: Kernel = (out, x, m, c, u, s, alpha, sigma, from, to) => {
  for (let i = from; i < to; i++) {
    const un = m[u + i] as number;
    const e = Math.fround(un + s * ((m[c + i] as number) - un));
    out[i] = ((x[i] as number) - sigma * e) / alpha;
  }
};

const x0VGuided: Kernel = (out, x, m, c, u, s, alpha, sigma, from, to) => {
  for (let i = from; i < to; i++) {
    const un = m[u + i] as number;
    const e = Math.fround(un + s * ((m[c + i] as number) - un));
    out[i] = alpha * (x[i] as number) - sigma * e;
  }
};

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
 * NaN values) gives NaN values, as in dynamicThreshold. Branch-free like clipUnitBits: a float32 v exceeds s exactly
 * when its magnitude bits exceed those of the largest float32 ≤ s, and then clip(v)/s is ±1 exactly.
 */
export function clipAndScale(x: Float32Array, s: number): void {
  if (s < 1) throw new RangeError(`s must be ≥ 1, got ${s}`);
  const n = x.length;
  if (Number.isNaN(s) || s === Number.POSITIVE_INFINITY) {
    // nothing exceeds s; v/s as dynamicThreshold computes it
    for (let i = 0; i < n; i++) x[i] = (x[i] as number) / s;
    return;
  }
  // the bits of the largest float32 ≤ s: s rounded to nearest, one step down if that rounded up
  ONE_F32[0] = s;
  const limit = (ONE_I32[0] as number) - (Math.fround(s) > s ? 1 : 0);
  const bits = new Int32Array(x.buffer, x.byteOffset, n);
  for (let i = 0; i < n; i++) {
    const b = bits[i] as number;
    const mag = b & ABS;
    const over = ((limit - mag) >> 31) & ~((INF - mag) >> 31);
    x[i] = (x[i] as number) / s;
    bits[i] = ((bits[i] as number) & ~over) | (((b & SIGN) | ONE) & over);
  }
}
