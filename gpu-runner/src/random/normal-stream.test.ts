import { describe, expect, it } from 'vitest';
import fixture from './__fixtures__/philox.json' with { type: 'json' };
import { NoisePurpose, PRNG_ID, createNormalStream, streamId } from './normal-stream.ts';

const draw = (seed: number, id: number, n: number, offset = 0): Float32Array => {
  const out = new Float32Array(n);
  createNormalStream(seed, id, offset).fill(out);
  return out;
};

describe('createNormalStream', () => {
  it('has the versioned id that goes into fingerprints', () => {
    expect(PRNG_ID).toBe('philox4x32-10/box-muller/v1');
    expect(fixture.prngId).toBe(PRNG_ID);
  });

  it('reproduces the Python reference normals bit for bit', () => {
    // seed 42 stream 0: the shared golden of the TypeScript and Python implementations
    expect([...draw(42, 0, 8)]).toEqual([-0.9701898, 0.19401896, -1.2356207, 1.9239267, -0.07318151, 0.13913749, -1.106665, 0.32668296].map(Math.fround));
    for (const w of fixture.normals) {
      expect([...draw(w.seed, w.streamId, w.values.length, w.offset)], `seed ${w.seed} stream ${w.streamId}`).toEqual(w.values.map(Math.fround));
    }
  });

  it('continues across fill calls of any length exactly as one long fill', () => {
    const whole = draw(9, 3, 103);
    const s = createNormalStream(9, 3);
    const parts = [1, 2, 3, 0, 5, 8, 13, 71].map((n) => {
      const a = new Float32Array(n);
      s.fill(a);
      return [...a];
    });
    expect(parts.flat()).toEqual([...whole]);
    expect(s.position).toBe(103);
  });

  it('starts mid-stream at an offset (counter-based: no replay)', () => {
    const whole = draw(1234, 7, 40);
    for (const offset of [1, 4, 6, 33]) expect([...draw(1234, 7, 40 - offset, offset)]).toEqual([...whole.subarray(offset)]);
  });

  it('gives different streams for different seeds and stream ids', () => {
    const a = draw(1, 0, 64);
    for (const b of [draw(2, 0, 64), draw(1, 1, 64), draw(0, 1, 64)]) expect(b).not.toEqual(a);
  });

  it('has mean ≈ 0 and variance ≈ 1 over 1e6 samples, and bounded values', () => {
    const x = draw(2024, streamId(0, NoisePurpose.initial), 1_000_000);
    let sum = 0;
    let ss = 0;
    let max = 0;
    for (const v of x) {
      sum += v;
      ss += v * v;
      max = Math.max(max, Math.abs(v));
    }
    const mean = sum / x.length;
    const variance = ss / x.length - mean * mean;
    // standard errors are 0.001 (mean) and 0.0014 (variance): these bounds are ~5σ
    expect(Math.abs(mean)).toBeLessThan(0.005);
    expect(Math.abs(variance - 1)).toBeLessThan(0.007);
    // u1 ≥ 2^-32 caps |z| at sqrt(64 ln 2) ≈ 6.66
    expect(max).toBeLessThanOrEqual(Math.sqrt(64 * Math.LN2));
    expect(max).toBeGreaterThan(4);
  });

  it('derives stream ids from stage and purpose, and rejects bad keys', () => {
    expect(streamId(0, NoisePurpose.initial)).toBe(0);
    expect(streamId(2, NoisePurpose.lowResAugmentation)).toBe(34);
    expect(() => streamId(0, 16)).toThrow(/purpose/);
    expect(() => streamId(-1, 0)).toThrow(/stageIndex/);
    expect(() => createNormalStream(2 ** 32, 0)).toThrow(/seed/);
    expect(() => createNormalStream(1.5, 0)).toThrow(/seed/);
    expect(() => createNormalStream(0, -1)).toThrow(/streamId/);
    expect(() => createNormalStream(0, 0, -1)).toThrow(/offset/);
  });
});
