// Fused elementwise kernels on float32 arrays (arithmetic in float64, one rounding per output) and float64
// reductions. Output parameter first; `out` may alias any input.

function checkLengths(out: Float32Array, ...inputs: Float32Array[]): void {
  for (const x of inputs) if (x.length !== out.length) throw new RangeError(`input length ${x.length} must equal out.length ${out.length}`);
}

/** out = a·x + b·y */
export function axpby(out: Float32Array, a: number, x: Float32Array, b: number, y: Float32Array): void {
  checkLengths(out, x, y);
  for (let i = 0; i < out.length; i++) out[i] = a * (x[i] as number) + b * (y[i] as number);
}

/** out = a·x + b·y + c·z */
export function axpbypcz(out: Float32Array, a: number, x: Float32Array, b: number, y: Float32Array, c: number, z: Float32Array): void {
  checkLengths(out, x, y, z);
  for (let i = 0; i < out.length; i++) out[i] = a * (x[i] as number) + b * (y[i] as number) + c * (z[i] as number);
}

/** out = a·x */
export function scale(out: Float32Array, a: number, x: Float32Array): void {
  checkLengths(out, x);
  for (let i = 0; i < out.length; i++) out[i] = a * (x[i] as number);
}

/** out = min(max(x, lo), hi) */
export function clamp(out: Float32Array, x: Float32Array, lo: number, hi: number): void {
  checkLengths(out, x);
  if (!(lo <= hi)) throw new RangeError(`clamp needs lo ≤ hi, got [${lo}, ${hi}]`);
  for (let i = 0; i < out.length; i++) {
    const v = x[i] as number;
    out[i] = v < lo ? lo : v > hi ? hi : v;
  }
}

/** Index of the first NaN or ±∞ in x, or −1. */
export function firstNonFinite(x: Float32Array): number {
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) return i;
  return -1;
}

export interface Moments {
  mean: number;
  /** population variance (divides by n) */
  variance: number;
}

/** Mean and variance of x[offset .. offset+length), accumulated in float64 (two passes, so no cancellation). */
export function moments(x: Float32Array, offset = 0, length = x.length - offset): Moments {
  if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 1 || offset + length > x.length)
    throw new RangeError(`moments needs 0 ≤ offset and 1 ≤ length with offset + length ≤ ${x.length}, got offset ${offset}, length ${length}`);
  let sum = 0;
  for (let i = offset; i < offset + length; i++) sum += x[i] as number;
  const mean = sum / length;
  let ss = 0;
  for (let i = offset; i < offset + length; i++) {
    const d = (x[i] as number) - mean;
    ss += d * d;
  }
  return { mean, variance: ss / length };
}
