import { describe, expect, it } from 'vitest';
import { downsamplePlanes, resizePlanes, type ResizeMode } from './resize.ts';

// torch.nn.functional.interpolate(src, size=(5, 7), mode, align_corners) in float64 (torch 1.13), rounded to 7 digits
const src = [0.1, -0.5, 0.9, 0.3, 0.7, 0.2, -0.8, -0.1, -0.3, 0.6, 0.4, -0.9];
const golden: Record<string, number[]> = {
  'nearest-false': [0.1, 0.1, -0.5, -0.5, 0.9, 0.9, 0.3, 0.1, 0.1, -0.5, -0.5, 0.9, 0.9, 0.3, 0.7, 0.7, 0.2, 0.2, -0.8, -0.8, -0.1, 0.7, 0.7, 0.2, 0.2, -0.8, -0.8, -0.1, -0.3, -0.3, 0.6, 0.6, 0.4, 0.4, -0.9],
  'bilinear-false': [
    0.1, -0.1142857, -0.4571429, 0.2, 0.8571429, 0.5142857, 0.3, 0.34, 0.14, -0.18, 0.0, 0.2142857, 0.1685714, 0.14, 0.7, 0.5214286, 0.2357143, -0.3, -0.75, -0.35, -0.1, 0.1, 0.2214286, 0.4157143,
    0.18, -0.1157143, -0.4014286, -0.58, -0.3, 0.0214286, 0.5357143, 0.5, 0.3071429, -0.4357143, -0.9,
  ],
  'bilinear-true': [
    0.1, -0.2, -0.5, 0.2, 0.9, 0.6, 0.3, 0.4, 0.125, -0.15, -0.05, 0.05, 0.075, 0.1, 0.7, 0.45, 0.2, -0.3, -0.8, -0.45, -0.1, 0.2, 0.3, 0.4, 0.1, -0.2, -0.35, -0.5, -0.3, 0.15, 0.6, 0.5, 0.4,
    -0.25, -0.9,
  ],
  'bicubic-false': [
    0.1028824, -0.2655832, -0.6076322, 0.2588, 1.097041, 0.6856369, 0.2664879, 0.4704813, 0.1539399, -0.2383172, -0.1182, 0.1757633, 0.2111959, 0.2072021, 0.7496082, 0.5911261, 0.2747996,
    -0.4125, -0.8061407, -0.4000182, -0.0305485, 0.0950852, 0.2972459, 0.5059316, 0.228075, -0.2441838, -0.5137593, -0.6611028, -0.4986295, -0.0359585, 0.5849069, 0.81365, 0.4241433, -0.4759873,
    -1.124831,
  ],
  'bicubic-true': [
    0.1, -0.33125, -0.5, 0.2, 0.9, 0.73125, 0.3, 0.49375, 0.1414062, -0.1875, -0.2111328, -0.0625, 0.0679688, 0.175, 0.7, 0.54375, 0.2, -0.4125, -0.8, -0.54375, -0.1, 0.25625, 0.4382812,
    0.465625, 0.0894531, -0.359375, -0.5257812, -0.5375, -0.3, 0.16875, 0.6, 0.70625, 0.4, -0.26875, -0.9,
  ],
};

describe('resizePlanes', () => {
  for (const key of Object.keys(golden)) {
    const [mode, ac] = key.split('-') as [ResizeMode, string];
    it(`matches PyTorch F.interpolate ${mode} align_corners=${ac} on 3×4 → 5×7`, () => {
      // two planes: the second is the first negated, so planes are resized independently
      const input = new Float32Array([...src, ...src.map((v) => -v)]);
      const out = new Float32Array(2 * 35);
      resizePlanes(out, input, { planes: 2, inHeight: 3, inWidth: 4, outHeight: 5, outWidth: 7 }, mode, ac === 'true');
      const want = golden[key] ?? [];
      want.forEach((v, i) => {
        expect(out[i]).toBeCloseTo(v, 5);
        expect(out[35 + i]).toBeCloseTo(-v, 5);
      });
    });
  }

  it('keeps a constant image constant and is deterministic', () => {
    const input = new Float32Array(16 * 16).fill(0.25);
    const a = new Float32Array(64 * 64);
    const b = new Float32Array(64 * 64);
    resizePlanes(a, input, { planes: 1, inHeight: 16, inWidth: 16, outHeight: 64, outWidth: 64 }, 'bicubic');
    resizePlanes(b, input, { planes: 1, inHeight: 16, inWidth: 16, outHeight: 64, outWidth: 64 }, 'bicubic', false, new Float32Array(16 * 64));
    for (const v of a) expect(v).toBeCloseTo(0.25, 6);
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
  });

  it('rejects buffers that are too small', () => {
    expect(() => resizePlanes(new Float32Array(3), new Float32Array(4), { planes: 1, inHeight: 2, inWidth: 2, outHeight: 2, outWidth: 2 }, 'nearest')).toThrow(/out has 3 values/);
  });
});

describe('downsamplePlanes', () => {
  it('box-averages by an integer factor', () => {
    const input = new Float32Array([1, 3, 5, 7, 1, 3, 5, 7, 0, 0, 2, 2, 0, 0, 2, 2]);
    const out = new Float32Array(4);
    downsamplePlanes(out, input, 1, 4, 2);
    expect([...out]).toEqual([2, 6, 0, 2]);
  });
});
