import { describe, expect, it } from 'vitest';
import { clampInto, clampUnit, planarToRgb8, rgb8ToPlanar } from './pixels.ts';

describe('pixels', () => {
  it('maps [-1, 1] to 0..255 with round-half-up, clamping and NaN → 0', () => {
    // one row of 6 pixels; R plane carries the cases, G and B planes constants
    const src = new Float32Array([-1, 1, 0, -1.5, NaN, 2 / 255 - 1, ...new Array<number>(6).fill(0.5), ...new Array<number>(6).fill(-0.5)]);
    const rgb = new Uint8Array(18);
    planarToRgb8(rgb, src, 0, 6, 1);
    const r = [0, 1, 2, 3, 4, 5].map((i) => rgb[i * 3]);
    // 0 → 127.5 → 128 (half up); 2/255 − 1 → 1 (float32 rounding stays below 1.5)
    expect(r).toEqual([0, 255, 128, 0, 0, 1]);
    expect(rgb[1]).toBe(191); // 0.5 → 191.25
    expect(rgb[2]).toBe(64); // −0.5 → 63.75
  });

  it('round-trips RGB8 exactly', () => {
    const rgb = new Uint8Array(4 * 4 * 3).map((_, i) => (i * 37) % 256);
    const planar = new Float32Array(4 * 4 * 3);
    rgb8ToPlanar(planar, 0, rgb, 4, 4);
    const back = new Uint8Array(rgb.length);
    planarToRgb8(back, planar, 0, 4, 4);
    expect([...back]).toEqual([...rgb]);
  });

  it('clamps in place', () => {
    const x = new Float32Array([-3, -1, 0.5, 1, 9, NaN]);
    clampUnit(x);
    expect([...x]).toEqual([-1, -1, 0.5, 1, 1, -1]);
  });

  it('clamps into another array like clampUnit, and gives clamped and unclamped values the same bytes', () => {
    const x = new Float32Array([-3, -1, -0.2, 0.5, 1, 1.0000001, 9, NaN, Infinity, -Infinity, -0, 0.999]);
    const into = new Float32Array(x.length + 2).fill(7);
    clampInto(into, 2, x);
    const clamped = x.slice();
    clampUnit(clamped);
    expect([...into.subarray(2)]).toEqual([...clamped]);
    expect([into[0], into[1]]).toEqual([7, 7]);
    // one row of 4 pixels per case set: the R, G and B planes are consecutive thirds
    const a = new Uint8Array(x.length);
    const b = new Uint8Array(x.length);
    planarToRgb8(a, x, 0, 4, 1);
    planarToRgb8(b, clamped, 0, 4, 1);
    expect([...a]).toEqual([...b]);
  });
});
