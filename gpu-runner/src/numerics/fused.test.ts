// The fused kernels must reproduce the unfused sequence they replace bit for bit:
// cfgCombine → Scheduler.predX0's kernel → static/dynamic thresholding.
import { describe, expect, it } from 'vitest';
import { createNormalStream } from '../random/normal-stream.ts';
import { predX0Kernel } from '../schedulers/common.ts';
import { clipAndScale, dynamicThresholdScale, guidedOutput, guidedPredX0 } from './fused.ts';
import { cfgCombine } from './guidance.ts';
import { dynamicThreshold, staticThreshold } from './thresholding.ts';

const n = 4099;
/** normals scaled up so plenty fall outside [−1, 1], plus the awkward values */
function values(seed: number, scale: number): Float32Array {
  const out = new Float32Array(n);
  createNormalStream(seed, 9).fill(out);
  for (let i = 0; i < n; i++) out[i] = (out[i] as number) * scale;
  out.set([0, -0, 1, -1, 1e30, -1e30, 3.4e38, 1e-40], 0);
  return out;
}
const sameBits = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

// a batched model output [uncond, cond] with 6 channels per row, as a learned-range U-Net returns it
const rowSize = 2 * n;
const model = new Float32Array(2 * rowSize);
model.set(values(1, 3), 0);
model.set(values(2, 1), n);
model.set(values(3, 3), rowSize);
model.set(values(4, 1), rowSize + n);
const sample = values(5, 2);
const uncond = model.subarray(0, n);
const cond = model.subarray(rowSize, rowSize + n);

function unfused(prediction: 'eps' | 'v', alpha: number, sigma: number, guidance: number | null, threshold: 'static' | 'none'): Float32Array {
  const eps = new Float32Array(n);
  if (guidance === null) eps.set(cond);
  else cfgCombine(eps, uncond, cond, guidance);
  const x0 = new Float32Array(n);
  predX0Kernel(x0, sample, eps, alpha, sigma, prediction);
  if (threshold === 'static') staticThreshold(x0, x0);
  return x0;
}

describe('guidedPredX0', () => {
  for (const prediction of ['eps', 'v'] as const)
    for (const guidance of [null, 0, 4, 7.5])
      for (const threshold of ['static', 'none'] as const)
        it(`equals cfgCombine → predX0 (${prediction}) → ${threshold} thresholding bit for bit, guidance ${guidance ?? 'off'}`, () => {
          const [alpha, sigma] = [0.3141592653589793, 0.9493861848391446];
          const out = new Float32Array(n);
          const abs = new Float32Array(n);
          guidedPredX0(out, sample, model, rowSize, guidance === null ? -1 : 0, { prediction, alpha, sigma, guidance: guidance ?? 1, clipUnit: threshold === 'static' }, abs);
          const want = unfused(prediction, alpha, sigma, guidance, threshold);
          expect(sameBits(out, want)).toBe(true);
          expect(sameBits(abs, want.map(Math.abs))).toBe(true);
        });

  it('feeds dynamic thresholding exactly as dynamicThreshold computes it', () => {
    for (const [percentile, maxScale] of [
      [0.995, undefined],
      [0.95, 1.5],
      [0.95, 1],
    ] as const) {
      const out = new Float32Array(n);
      const abs = new Float32Array(n);
      guidedPredX0(out, sample, model, rowSize, 0, { prediction: 'eps', alpha: 0.5, sigma: 0.8660254037844386, guidance: 4, clipUnit: false }, abs);
      const s = dynamicThresholdScale(abs, n, percentile, maxScale);
      clipAndScale(out, s);
      const want = unfused('eps', 0.5, 0.8660254037844386, 4, 'none');
      dynamicThreshold(want, want, 1, { percentile, maxScale }, new Float32Array(n));
      expect(sameBits(out, want), `p ${percentile}, max ${maxScale}`).toBe(true);
      // the scale is really exercised (not 1), except where maxScale caps it at 1
      if (maxScale === 1) expect(s).toBe(1);
      else expect(s).toBeGreaterThan(1);
    }
  });

  it('treats NaN, ±Infinity and −0 as the unfused sequence does', () => {
    const special = [Number.NaN, Infinity, -Infinity, -0, 0, 2, -2];
    const x = Float32Array.from(special.flatMap((a) => special.map(() => a)));
    const m = Float32Array.from(special.flatMap(() => special));
    const len = x.length;
    for (const prediction of ['eps', 'v'] as const)
      for (const clipUnit of [true, false]) {
        const out = new Float32Array(len);
        guidedPredX0(out, x, m, 0, -1, { prediction, alpha: 0.6, sigma: 0.8, guidance: 1, clipUnit });
        const want = new Float32Array(len);
        predX0Kernel(want, x, m, 0.6, 0.8, prediction);
        if (clipUnit) staticThreshold(want, want);
        expect(sameBits(out, want), `${prediction}, clipUnit ${clipUnit}`).toBe(true);
      }
  });

  it('validates offsets and coefficients', () => {
    const out = new Float32Array(4);
    const x = new Float32Array(4);
    const m = new Float32Array(8);
    const p = { prediction: 'eps' as const, alpha: 0.5, sigma: 0.5, guidance: 2, clipUnit: true };
    expect(() => guidedPredX0(out, x, m, 5, -1, p)).toThrow(/condAt must be an integer in \[0, 4\], got 5/);
    expect(() => guidedPredX0(out, x, m, 4, 1.5, p)).toThrow(/uncondAt/);
    expect(() => guidedPredX0(out, new Float32Array(3), m, 0, -1, p)).toThrow(/sample.length \(3\) must equal out.length \(4\)/);
    expect(() => guidedPredX0(out, x, m, 0, -1, { ...p, alpha: 0 })).toThrow(/alpha > 0/);
    expect(() => guidedPredX0(out, x, m, 0, 4, { ...p, guidance: Number.NaN })).toThrow(/guidance must be a finite number/);
    expect(() => guidedPredX0(out, x, m, 0, -1, { ...p, prediction: 'x0' as 'eps' })).toThrow(/prediction must be "eps" or "v"/);
  });
});

describe('guidedOutput', () => {
  it('is cfgCombine of the two rows, or the cond row as is', () => {
    const out = new Float32Array(n);
    const want = new Float32Array(n);
    guidedOutput(out, model, rowSize, 0, 3);
    cfgCombine(want, uncond, cond, 3);
    expect(sameBits(out, want)).toBe(true);
    guidedOutput(out, model, rowSize, -1, 3);
    expect(sameBits(out, cond)).toBe(true);
  });
});

describe('dynamicThresholdScale / clipAndScale', () => {
  it('clipAndScale equals (v < −s ? −s : v > s ? s : v)/s bit for bit, around and at ±s too', () => {
    for (const sc of [1, 1.5, 1.0000001, 2.3, Math.fround(2.3), 7.000000000000001, 1e39, Infinity, Number.NaN]) {
      const f = Math.fround(sc);
      const near = [f, -f, Math.fround(f * (1 + 2 ** -23)), Math.fround(-f * (1 + 2 ** -23)), Math.fround(f * (1 - 2 ** -24)), -Math.fround(f * (1 - 2 ** -24))];
      const x = Float32Array.from([...near, Number.NaN, Infinity, -Infinity, -0, 0, 1e-45, 3e38, -3e38, ...values(11, 3)]);
      const want = x.map((v) => (v < -sc ? -sc : v > sc ? sc : v) / sc);
      clipAndScale(x, sc);
      expect(sameBits(x, want), `s = ${sc}`).toBe(true);
    }
  });

  it('computes s = min(max(1, quantile), maxScale) and clips by it', () => {
    const abs = Float32Array.from({ length: 101 }, (_, i) => i / 25);
    expect(dynamicThresholdScale(abs.slice(), 101, 0.5)).toBe(2);
    expect(dynamicThresholdScale(abs.slice(), 101, 0.5, 1.5)).toBe(1.5);
    expect(dynamicThresholdScale(abs.slice(), 101, 0.1)).toBe(1);
    const x = Float32Array.of(-3, -1, 0.5, 2.5);
    clipAndScale(x, 2);
    expect([...x]).toEqual([-1, -0.5, 0.25, 1]);
    const y = Float32Array.of(-3, 0.5, 2.5);
    clipAndScale(y, 1);
    expect([...y]).toEqual([-1, 0.5, 1]);
    expect(() => clipAndScale(y, 0.5)).toThrow(/s must be ≥ 1/);
    expect(() => dynamicThresholdScale(abs, 101, 1)).toThrow(/percentile must be in \(0, 1\)/);
    expect(() => dynamicThresholdScale(abs, 101, 0.5, 0.9)).toThrow(/maxScale must be ≥ 1/);
  });
});
