// PNG encode/decode: pixels go through fast-png; our text chunks are framed in
// @imagen-ts/protocol's png-text.ts and placed before IDAT.
import { convertIndexedToRgb, decode, encode } from 'fast-png';
import { insertAfterIhdr, textChunk } from '@imagen-ts/protocol';

export interface RgbImage {
  width: number;
  height: number;
  /** RGB8, row-major */
  rgb: Uint8Array;
}

export interface EncodePngInput extends RgbImage {
  /** keyword → value; Latin-1 values become tEXt chunks, others iTXt */
  text?: Record<string, string>;
}

function checkSize(width: number, height: number): void {
  for (const [name, v] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (!Number.isInteger(v) || v < 1 || v > 65_535) throw new Error(`PNG ${name}: must be an integer in 1..65535 (got ${v})`);
  }
}

/** RGB8 → PNG bytes, deterministic (fixed zlib level, no timestamps). */
export function encodePng({ width, height, rgb, text = {} }: EncodePngInput): Uint8Array {
  checkSize(width, height);
  if (rgb.length !== width * height * 3) throw new Error(`PNG rgb: expected width·height·3 = ${width * height * 3} bytes, got ${rgb.length}`);
  const pixels = encode({ width, height, data: rgb, channels: 3, depth: 8 });
  const chunks = Object.entries(text).map(([k, v]) => textChunk(k, v));
  return chunks.length ? insertAfterIhdr(pixels, chunks) : pixels;
}

/** Any PNG fast-png reads (gray, gray+alpha, palette, RGB, RGBA; 8 or 16 bit) → RGB8; alpha is dropped. */
export function decodePngRgb(bytes: Uint8Array): RgbImage {
  const png = decode(bytes);
  const { width, height } = png;
  const n = width * height;
  const rgb = new Uint8Array(n * 3);
  if (png.palette) {
    const expanded = convertIndexedToRgb(png);
    const ch = expanded.length / n;
    for (let i = 0; i < n; i++) {
      rgb[i * 3] = expanded[i * ch] ?? 0;
      rgb[i * 3 + 1] = expanded[i * ch + 1] ?? 0;
      rgb[i * 3 + 2] = expanded[i * ch + 2] ?? 0;
    }
    return { width, height, rgb };
  }
  if (png.depth !== 8 && png.depth !== 16) throw new Error(`PNG: unsupported bit depth ${png.depth} without a palette`);
  const shift = png.depth === 16 ? 8 : 0;
  const ch = png.channels;
  const data = png.data;
  for (let i = 0; i < n; i++) {
    if (ch >= 3) {
      rgb[i * 3] = (data[i * ch] ?? 0) >> shift;
      rgb[i * 3 + 1] = (data[i * ch + 1] ?? 0) >> shift;
      rgb[i * 3 + 2] = (data[i * ch + 2] ?? 0) >> shift;
    } else {
      const g = (data[i * ch] ?? 0) >> shift;
      rgb[i * 3] = g;
      rgb[i * 3 + 1] = g;
      rgb[i * 3 + 2] = g;
    }
  }
  return { width, height, rgb };
}
