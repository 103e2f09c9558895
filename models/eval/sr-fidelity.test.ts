import { describe, expect, it } from 'vitest';
import { boxDownsample, psnr } from './sr-fidelity.ts';

describe('SR fidelity measures', () => {
  it('box-downsamples by averaging each block', () => {
    const big = new Uint8Array(4 * 4 * 3);
    for (let i = 0; i < 16; i++) big.set([i * 10, 255 - i * 10, 7], i * 3);
    const out = new Uint8Array(2 * 2 * 3);
    boxDownsample(out, big, 4, 2);
    // top-left block: pixels 0, 1, 4, 5 → red (0+10+40+50)/4 = 25
    expect([...out.subarray(0, 3)]).toEqual([25, 230, 7]);
    expect(() => boxDownsample(out, big, 4, 3)).toThrow(/does not divide/);
  });

  it('PSNR is infinite for identical images and 20·log10(255/e) for a constant error e', () => {
    const a = new Uint8Array(300).fill(100);
    expect(psnr(a, a)).toBe(Infinity);
    const b = new Uint8Array(300).fill(110);
    expect(psnr(a, b)).toBeCloseTo(20 * Math.log10(255 / 10), 10);
  });
});
