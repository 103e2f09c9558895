import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { applyMark, markBox, MARK_MIN_SIZE } from './mark.ts';

function noise(width: number, height: number, seed: number): Uint8Array {
  const out = new Uint8Array(width * height * 3);
  let s = seed >>> 0;
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

function changedOutside(before: Uint8Array, after: Uint8Array, width: number, box: { x: number; y: number; width: number; height: number }): number {
  let n = 0;
  for (let p = 0; p < before.length; p += 3) {
    const x = (p / 3) % width;
    const y = Math.floor(p / 3 / width);
    const inside = x >= box.x && x < box.x + box.width && y >= box.y && y < box.y + box.height;
    if (!inside && (before[p] !== after[p] || before[p + 1] !== after[p + 1] || before[p + 2] !== after[p + 2])) n++;
  }
  return n;
}

describe('provenance mark', () => {
  it.each([256, 1024, 300])('changes only the bottom-right box of a %i px image, and visibly', (size) => {
    const before = noise(size, size, size);
    const after = before.slice();
    applyMark(after, size, size);
    const box = markBox(size, size);
    expect(box).not.toBeNull();
    if (!box) return;
    expect(box.x + box.width).toBeLessThan(size);
    expect(box.y + box.height).toBeLessThan(size);
    expect(box.x).toBeGreaterThan(size / 2);
    expect(box.y).toBeGreaterThan(size * 0.9);
    expect(changedOutside(before, after, size, box)).toBe(0);
    let changed = 0;
    for (let i = 0; i < before.length; i++) if (before[i] !== after[i]) changed++;
    // a real mark: hundreds of pixels at 256, scaled up at 1024
    expect(changed).toBeGreaterThan(size >= 1024 ? 10_000 : 500);
  });

  it('scales with the image: the box is 4× wider at 1024 than at 256', () => {
    expect(markBox(1024, 1024)?.width).toBe(4 * (markBox(256, 256)?.width ?? 0));
  });

  it('leaves images under 256 px untouched', () => {
    for (const [w, h] of [
      [64, 64],
      [255, 1024],
      [1024, 255],
    ] as const) {
      const before = noise(w, h, 7);
      const after = before.slice();
      applyMark(after, w, h);
      expect(Buffer.from(after).equals(Buffer.from(before))).toBe(true);
      expect(markBox(w, h)).toBeNull();
    }
    expect(MARK_MIN_SIZE).toBe(256);
  });

  it('is deterministic and pinned: white glyphs over black read as light pixels', () => {
    const a = new Uint8Array(256 * 256 * 3);
    applyMark(a, 256, 256);
    const b = new Uint8Array(256 * 256 * 3);
    applyMark(b, 256, 256);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    // alpha 200 of white over black: round(255·200/255) = 200
    expect(a.reduce((m, v) => Math.max(m, v), 0)).toBe(200);
    expect(createHash('sha256').update(a).digest('hex')).toBe(GOLDEN_256_BLACK);
  });

  it('darkens the outline over white, so it shows on light images too', () => {
    const img = new Uint8Array(256 * 256 * 3).fill(255);
    applyMark(img, 256, 256);
    // outline alpha 140 of black over white: round(255·115/255) = 115
    expect(img.reduce((m, v) => Math.min(m, v), 255)).toBe(115);
  });

  it('rejects a buffer that does not match the size', () => {
    expect(() => applyMark(new Uint8Array(5), 256, 256)).toThrow(/width·height·3/);
  });
});

const GOLDEN_256_BLACK = 'bba42bd968b2e040295887b1c75b5672991a137b6774c11944014161321a970d';
