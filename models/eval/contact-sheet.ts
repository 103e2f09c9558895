// A contact sheet of judged images: one row per case, one column per seed, each
// tile framed green (pass) or red (fail).
export interface Tile {
  rgb: Uint8Array;
  size: number;
  pass: boolean;
}

const FRAME = 2;
const GAP = 2;

export function contactSheet(rows: Tile[][]): { rgb: Uint8Array; width: number; height: number } {
  const cols = Math.max(1, ...rows.map((r) => r.length));
  const tile = Math.max(1, ...rows.flat().map((t) => t.size));
  const cell = tile + 2 * FRAME + GAP;
  const width = cols * cell + GAP, height = rows.length * cell + GAP;
  const rgb = new Uint8Array(width * height * 3).fill(40);
  rows.forEach((row, j) =>
    row.forEach((t, i) => {
      const ox = GAP + i * cell, oy = GAP + j * cell;
      const frame = t.pass ? [40, 200, 80] : [230, 50, 50];
      for (let y = 0; y < tile + 2 * FRAME; y++)
        for (let x = 0; x < tile + 2 * FRAME; x++) {
          const o = ((oy + y) * width + ox + x) * 3;
          const ix = x - FRAME, iy = y - FRAME;
          if (ix >= 0 && iy >= 0 && ix < t.size && iy < t.size) rgb.set(t.rgb.subarray((iy * t.size + ix) * 3, (iy * t.size + ix) * 3 + 3), o);
          else rgb.set(frame, o);
        }
    }),
  );
  return { rgb, width, height };
}
