// The visible provenance mark: "imagen-ts" in a built-in 5×8 bitmap font at the
// bottom right, white glyphs inside a dark outline, alpha-blended so it reads on
// light and dark images alike. Integer arithmetic only, so it is bit-exact
// everywhere. Images smaller than MARK_MIN_SIZE are left alone: at 64 px the
// mark would cover a fifth of the picture.
export const MARK_MIN_SIZE = 256;
export const MARK_TEXT = 'imagen-ts';

const GLYPH_W = 5;
const GLYPH_H = 8;
// rows top to bottom; row 6 is the baseline row, row 7 the descender
const FONT: Record<string, readonly string[]> = {
  i: ['..#..', '.....', '.##..', '..#..', '..#..', '..#..', '.###.', '.....'],
  m: ['.....', '.....', '##.#.', '#.#.#', '#.#.#', '#...#', '#...#', '.....'],
  a: ['.....', '.....', '.###.', '....#', '.####', '#...#', '.####', '.....'],
  g: ['.....', '.....', '.####', '#...#', '#...#', '.####', '....#', '.###.'],
  e: ['.....', '.....', '.###.', '#...#', '#####', '#....', '.###.', '.....'],
  n: ['.....', '.....', '#.##.', '##..#', '#...#', '#...#', '#...#', '.....'],
  '-': ['.....', '.....', '.....', '.....', '.###.', '.....', '.....', '.....'],
  t: ['.#...', '.#...', '####.', '.#...', '.#...', '.#..#', '..##.', '.....'],
  s: ['.....', '.....', '.####', '#....', '.###.', '....#', '####.', '.....'],
};

/** alpha (of 255) of the white glyph pixels and of their dark outline */
const TEXT_ALPHA = 200;
const OUTLINE_ALPHA = 140;
const TEXT_VALUE = 255;
const OUTLINE_VALUE = 0;

// 0 = untouched, 1 = outline, 2 = glyph; one pixel of outline around the text
const maskW = MARK_TEXT.length * (GLYPH_W + 1) - 1 + 2;
const maskH = GLYPH_H + 2;
const MASK = ((): Uint8Array => {
  const m = new Uint8Array(maskW * maskH);
  [...MARK_TEXT].forEach((ch, gi) => {
    const rows = FONT[ch];
    if (!rows) throw new Error(`mark font lacks ${ch}`);
    rows.forEach((row, y) => {
      for (let x = 0; x < GLYPH_W; x++) if (row[x] === '#') m[(y + 1) * maskW + 1 + gi * (GLYPH_W + 1) + x] = 2;
    });
  });
  for (let y = 0; y < maskH; y++)
    for (let x = 0; x < maskW; x++) {
      if (m[y * maskW + x] !== 0) continue;
      let near = false;
      for (let dy = -1; dy <= 1 && !near; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          const yy = y + dy;
          const xx = x + dx;
          if (yy >= 0 && yy < maskH && xx >= 0 && xx < maskW && m[yy * maskW + xx] === 2) near = true;
        }
      if (near) m[y * maskW + x] = 1;
    }
  return m;
})();

export interface MarkBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Where applyMark draws on an image of this size, or null when it leaves the image alone. */
export function markBox(width: number, height: number): MarkBox | null {
  if (width < MARK_MIN_SIZE || height < MARK_MIN_SIZE) return null;
  // 1 font pixel per 256 image pixels of the shorter side: 54×10 px at 256, 216×40 px at 1024
  const scale = Math.floor(Math.min(width, height) / MARK_MIN_SIZE);
  const margin = 2 * scale;
  const w = maskW * scale;
  const h = maskH * scale;
  return { x: width - margin - w, y: height - margin - h, width: w, height: h };
}

/** Draws the provenance mark into an RGB8 image in place (no-op below MARK_MIN_SIZE). */
export function applyMark(rgb: Uint8Array, width: number, height: number): void {
  if (rgb.length !== width * height * 3) throw new Error(`applyMark: rgb has ${rgb.length} bytes, expected width·height·3 = ${width * height * 3}`);
  const box = markBox(width, height);
  if (!box) return;
  const scale = box.width / maskW;
  for (let y = 0; y < box.height; y++) {
    const mrow = Math.floor(y / scale) * maskW;
    let p = ((box.y + y) * width + box.x) * 3;
    for (let x = 0; x < box.width; x++, p += 3) {
      const m = MASK[mrow + Math.floor(x / scale)];
      if (!m) continue;
      const a = m === 2 ? TEXT_ALPHA : OUTLINE_ALPHA;
      const v = (m === 2 ? TEXT_VALUE : OUTLINE_VALUE) * a;
      const keep = 255 - a;
      // round((src·(255−a) + v·a) / 255) in integers
      rgb[p] = Math.floor(((rgb[p] ?? 0) * keep + v + 127) / 255);
      rgb[p + 1] = Math.floor(((rgb[p + 1] ?? 0) * keep + v + 127) / 255);
      rgb[p + 2] = Math.floor(((rgb[p + 2] ?? 0) * keep + v + 127) / 255);
    }
  }
}
