import { describe, expect, it } from 'vitest';
import { createNormalStream } from '../random/normal-stream.ts';
import { createNoiseSchedule } from '../schedulers/noise-schedule.ts';
import fixture from './__fixtures__/numerics.json' with { type: 'json' };
import { axpby, axpbypcz, clamp, firstNonFinite, moments, scale } from './blas.ts';
import { cfgCombine, cfgCombineBatched } from './guidance.ts';
import { noiseAugment } from './noise-augment.ts';
import { quantileInPlace, selectKth } from './select.ts';
import { applyThresholding, dynamicThreshold, staticThreshold } from './thresholding.ts';

const f32 = (v: number[]): Float32Array => Float32Array.from(v);
const normals = (seed: number, id: number, n: number): Float32Array => {
  const out = new Float32Array(n);
  createNormalStream(seed, id).fill(out);
  return out;
};

interface QuantileCase {
  values?: number[];
  normals?: { seed: number; streamId: number; count: number };
  scale?: number;
  clipTo?: number;
  q: number[];
  expected: number[];
}

function quantileInput(c: QuantileCase): Float32Array {
  if (c.values) return f32(c.values);
  const { seed, streamId, count } = c.normals!;
  const x = normals(seed, streamId, count);
  for (let i = 0; i < x.length; i++) x[i] = Math.min(Math.abs(x[i]! * (c.scale ?? 1)), c.clipTo ?? Infinity);
  return x;
}

describe('quantileInPlace (selection, numpy linear interpolation)', () => {
  it.each((fixture.quantile as QuantileCase[]).map((c) => [c.values ? `${c.values.length} values` : `${c.normals!.count} |normals|`, c] as const))(
    'matches numpy.quantile for %s',
    (_, c) => {
      const data = quantileInput(c);
      const scratch = new Float32Array(data.length);
      c.q.forEach((q, k) => {
        scratch.set(data);
        // float64 throughout, the same lerp as numpy: equal up to the last bit or two
        expect(Math.abs(quantileInPlace(scratch, data.length, q) - c.expected[k]!), `q = ${q}`).toBeLessThanOrEqual(1e-15 * Math.max(1, c.expected[k]!));
      });
    },
  );

  it('selects the k-th smallest of adversarial layouts exactly like a sort', () => {
    const n = 1000;
    const layouts: Record<string, (i: number) => number> = {
      ascending: (i) => i,
      descending: (i) => n - i,
      constant: () => 1,
      twoValues: (i) => i % 2,
      organPipe: (i) => Math.min(i, n - i),
      sawtooth: (i) => i % 17,
    };
    const a = new Float32Array(n);
    for (const [name, f] of Object.entries(layouts)) {
      const sorted = Float32Array.from({ length: n }, (_, i) => f(i)).sort();
      for (const k of [0, 1, 499, 500, 995, 998, 999]) {
        for (let i = 0; i < n; i++) a[i] = f(i);
        expect(selectKth(a, n, k), `${name} k=${k}`).toBe(sorted[k]);
        let partitioned = true;
        for (let i = 0; i < n; i++) if (i < k ? a[i]! > a[k]! : a[i]! < a[k]!) partitioned = false;
        expect(partitioned, `${name} k=${k} partitioned around a[k]`).toBe(true);
      }
    }
  });

  it('validates its arguments', () => {
    const a = new Float32Array(4);
    expect(() => selectKth(a, 5, 0)).toThrow(/n must be an integer in \[1, 4\]/);
    expect(() => selectKth(a, 4, 4)).toThrow(/k must be an integer in \[0, 3\]/);
    expect(() => quantileInPlace(a, 4, 1.5)).toThrow(/quantile must be in \[0, 1\]/);
  });
});

describe('dynamicThreshold (Imagen §2.3)', () => {
  it.each(fixture.dynamicThreshold.map((c) => [`batch ${c.batch} × ${c.normals.count / c.batch}, p = ${c.percentile}, maxScale ${'maxScale' in c ? c.maxScale : 'none'}`, c] as const))(
    'matches the reference for %s',
    (_, c) => {
      const x = normals(c.normals.seed, c.normals.streamId, c.normals.count).map((v) => v * c.scale);
      const out = new Float32Array(x.length);
      const scales = new Float64Array(c.batch);
      const scratch = new Float32Array(x.length / c.batch);
      dynamicThreshold(out, x, c.batch, { percentile: c.percentile, maxScale: 'maxScale' in c ? c.maxScale : undefined }, scratch, scales);
      [...scales].forEach((s, b) => expect(Math.abs(s - c.scales[b]!)).toBeLessThanOrEqual(1e-12));
      expect([...out.subarray(0, 8)]).toEqual(c.head.map(Math.fround));
      let sum = 0;
      let ss = 0;
      for (const v of out) {
        sum += v;
        ss += v * v;
      }
      expect(Math.abs(sum - c.sum)).toBeLessThan(1e-9);
      expect(Math.abs(ss - c.sumSquares)).toBeLessThan(1e-9);
      expect(out.every((v) => v >= -1 && v <= 1)).toBe(true);
    },
  );

  it('works in place, leaves images with |x0| ≤ 1 unchanged, and treats each image on its own', () => {
    const x = f32([0.5, -0.25, 1, 0, 4, -8, 2, 1]);
    const scratch = new Float32Array(4);
    const scales = new Float64Array(2);
    dynamicThreshold(x, x, 2, { percentile: 0.995 }, scratch, scales);
    expect([...x.subarray(0, 4)]).toEqual([0.5, -0.25, 1, 0]);
    expect(scales[0]).toBe(1);
    // image 2: |x| = 4, 8, 2, 1 → quantile 0.995 at virtual index 2.985 between 4 and 8: s = 7.94
    expect(scales[1]).toBeCloseTo(4 + 4 * 0.985, 12);
    expect(x[5]).toBe(-1);
  });

  it('validates batch, percentile, maxScale and scratch', () => {
    const x = new Float32Array(6);
    const s = new Float32Array(3);
    expect(() => dynamicThreshold(x, x, 4, { percentile: 0.9 }, s)).toThrow(/batch must be a positive integer dividing out.length \(6\)/);
    expect(() => dynamicThreshold(x, x, 2, { percentile: 1 }, s)).toThrow(/percentile must be in \(0, 1\)/);
    expect(() => dynamicThreshold(x, x, 2, { percentile: 0.9, maxScale: 0.5 }, s)).toThrow(/maxScale must be ≥ 1/);
    expect(() => dynamicThreshold(x, x, 1, { percentile: 0.9 }, s)).toThrow(/scratch.length must be ≥ 6/);
  });
});

describe('applyThresholding', () => {
  it('dispatches on the manifest record', () => {
    const x = f32([2, -3, 0.5, 0.25]);
    const out = new Float32Array(4);
    const scratch = new Float32Array(4);
    applyThresholding(out, x, 1, { type: 'static' }, scratch);
    expect([...out]).toEqual([1, -1, 0.5, 0.25]);
    applyThresholding(out, x, 1, { type: 'none' }, scratch);
    expect(out).toEqual(x);
    applyThresholding(out, x, 1, { type: 'dynamic', percentile: 0.5, maxScale: 1.1 }, scratch);
    expect(out[0]).toBeCloseTo(1, 6);
    expect(out[2]).toBeCloseTo(0.5 / 1.1, 6);
  });

  it('static thresholding clips to [−1, 1]', () => {
    const out = f32([-2, -1, 0, 1e-3, 7]);
    staticThreshold(out, out);
    expect([...out]).toEqual([-1, -1, 0, Math.fround(1e-3), 1]);
  });
});

describe('classifier-free guidance', () => {
  const { uncond, cond, cases } = fixture.cfg;
  it.each(cases.map((c) => [c.scale, c] as const))('matches uncond + s·(cond − uncond) for s = %d', (_, c) => {
    const out = new Float32Array(uncond.length);
    cfgCombine(out, f32(uncond), f32(cond), c.scale);
    expect([...out]).toEqual(c.out.map(Math.fround));
  });

  it('guides the halves of one batched output and keeps the ε channels of a learned-range output', () => {
    // [2B = 2, C = 2, pixels = 3]: image 0 unconditional, image 1 conditional; keep channel 0
    const modelOutput = f32([1, 2, 3, 9, 9, 9, 2, 4, 6, 7, 7, 7]);
    const out = new Float32Array(3);
    cfgCombineBatched(out, modelOutput, { batch: 1, channels: 2, keepChannels: 1, pixels: 3 }, 3);
    expect([...out]).toEqual([4, 8, 12]);
    const full = new Float32Array(6);
    cfgCombineBatched(full, modelOutput, { batch: 1, channels: 2, keepChannels: 2, pixels: 3 }, 0.5);
    expect([...full]).toEqual([1.5, 3, 4.5, 8, 8, 8]);
    expect(() => cfgCombineBatched(out, modelOutput, { batch: 2, channels: 2, keepChannels: 1, pixels: 3 }, 3)).toThrow(/modelOutput.length must be/);
    expect(() => cfgCombineBatched(out, modelOutput, { batch: 1, channels: 2, keepChannels: 3, pixels: 3 }, 3)).toThrow(/keepChannels/);
    expect(() => cfgCombine(out, out, out, Number.NaN)).toThrow(/guidance scale must be a finite number/);
  });
});

describe('noiseAugment', () => {
  const table = createNoiseSchedule({ type: 'cosine', trainSteps: 1000, offset: 0.008 });
  it.each(fixture.noiseAugment.cases.map((c) => [c.cosineT1000Level, c] as const))('matches the reference at augmentation level %i', (level, c) => {
    expect(Math.abs(table.alphaBar[level]! - c.alphaBar)).toBeLessThanOrEqual(1e-13 * c.alphaBar);
    const out = new Float32Array(c.out.length);
    noiseAugment(out, f32(fixture.noiseAugment.x), f32(fixture.noiseAugment.noise), table.alphaBar[level]!);
    expect([...out]).toEqual(c.out.map(Math.fround));
  });

  it('is the identity at alphaBar = 1 and validates alphaBar', () => {
    const x = f32([0.5, -1]);
    const out = new Float32Array(2);
    noiseAugment(out, x, f32([3, 3]), 1);
    expect(out).toEqual(x);
    expect(() => noiseAugment(out, x, x, 1.5)).toThrow(/alphaBar must be in \[0, 1\]/);
  });
});

describe('blas kernels', () => {
  it('axpby matches the reference', () => {
    const { x, y, a, b, out: want } = fixture.axpby;
    const out = new Float32Array(x.length);
    axpby(out, a, f32(x), b, f32(y));
    expect([...out]).toEqual(want.map(Math.fround));
  });

  it('axpbypcz, scale and clamp compute in float64 with one rounding, in place', () => {
    const x = f32([1, 2, 3]);
    axpbypcz(x, 2, x, 3, f32([1, 1, 1]), -1, f32([0, 1, 2]));
    expect([...x]).toEqual([5, 6, 7]);
    scale(x, 0.5, x);
    expect([...x]).toEqual([2.5, 3, 3.5]);
    clamp(x, x, 2.75, 3.25);
    expect([...x]).toEqual([2.75, 3, 3.25]);
    expect(() => axpby(x, 1, x, 1, new Float32Array(2))).toThrow(/input length 2 must equal out.length 3/);
    expect(() => clamp(x, x, 1, 0)).toThrow(/lo ≤ hi/);
  });

  it('finds non-finite values and computes float64 moments', () => {
    expect(firstNonFinite(f32([0, 1, 2]))).toBe(-1);
    expect(firstNonFinite(f32([0, Number.NaN, Infinity]))).toBe(1);
    const m = moments(f32([1e4 + 1, 1e4 + 2, 1e4 + 3]));
    expect(m.mean).toBe(1e4 + 2);
    expect(m.variance).toBeCloseTo(2 / 3, 12);
    expect(moments(f32([5, 1, 3]), 1, 2)).toEqual({ mean: 2, variance: 1 });
    expect(() => moments(f32([1]), 0, 2)).toThrow(/offset \+ length/);
  });
});
