// Segmentation of a generated image into background and objects: each pixel is
// modelled as a mix α·c + (1−α)·bg of the background and one palette color c
// (anti-aliased edges are exactly such mixes), foreground where α ≥ 0.5.
import { colorNames, geometry } from './geometry.ts';

export interface Rgb {
  data: Uint8Array; // RGB8 row-major
  width: number;
  height: number;
}

export interface Component {
  color: string;
  /** pixel indices (y·width + x) */
  pixels: number[];
  x0: number;
  x1: number; // inclusive
  y0: number;
  y1: number;
}

export interface Segmentation {
  background: string;
  backgroundRgb: [number, number, number];
  components: Component[];
  /** α toward the component color, per pixel, for every component's color (Map color → α plane) */
  alpha: (color: string) => Float32Array;
}

const MIN_ALPHA = 0.5;
/** residual (RGB distance) above which a pixel is no mix of bg and any palette color */
const MAX_RESIDUAL = 70;
/** components smaller than this many pixels are noise */
const MIN_PIXELS = 3;

const dist2 = (a: readonly number[], b: readonly number[]) => (a[0]! - b[0]!) ** 2 + (a[1]! - b[1]!) ** 2 + (a[2]! - b[2]!) ** 2;

export function nearestColor(rgb: readonly number[]): string {
  let best = colorNames[0]!;
  let bestD = Infinity;
  for (const name of colorNames) {
    const d = dist2(rgb, geometry.colors[name]!);
    if (d < bestD) [best, bestD] = [name, d];
  }
  return best;
}

function estimateBackground(img: Rgb): { name: string; rgb: [number, number, number] } {
  const { data, width, height } = img;
  const votes = new Map<string, number[][]>();
  const vote = (x: number, y: number) => {
    const o = (y * width + x) * 3;
    const px = [data[o]!, data[o + 1]!, data[o + 2]!];
    const name = nearestColor(px);
    const list = votes.get(name) ?? [];
    list.push(px);
    votes.set(name, list);
  };
  for (let x = 0; x < width; x++) {
    vote(x, 0);
    vote(x, height - 1);
  }
  for (let y = 1; y < height - 1; y++) {
    vote(0, y);
    vote(width - 1, y);
  }
  let name = geometry.defaultBackground;
  let most: number[][] = [];
  for (const [k, v] of votes) if (v.length > most.length) [name, most] = [k, v];
  // median per channel: robust against objects touching the border
  const median = (c: number) => most.map((p) => p[c]!).sort((a, b) => a - b)[most.length >> 1]!;
  return { name, rgb: [median(0), median(1), median(2)] };
}

function alphaPlane(img: Rgb, bg: readonly number[], c: readonly number[]): Float32Array {
  const n = img.width * img.height;
  const out = new Float32Array(n);
  const dx = c[0]! - bg[0]!, dy = c[1]! - bg[1]!, dz = c[2]! - bg[2]!;
  const inv = 1 / Math.max(dx * dx + dy * dy + dz * dz, 1e-9);
  for (let i = 0; i < n; i++) {
    const o = i * 3;
    const a = ((img.data[o]! - bg[0]!) * dx + (img.data[o + 1]! - bg[1]!) * dy + (img.data[o + 2]! - bg[2]!) * dz) * inv;
    out[i] = Math.min(1, Math.max(0, a));
  }
  return out;
}

export function segment(img: Rgb): Segmentation {
  const { width, height, data } = img;
  const n = width * height;
  const bg = estimateBackground(img);
  const candidates = colorNames.filter((c) => c !== bg.name);
  const planes = new Map<string, Float32Array>(candidates.map((c) => [c, alphaPlane(img, bg.rgb, geometry.colors[c]!)]));

  // foreground: some palette color explains the pixel as a mix with α ≥ 0.5
  const fg = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * 3;
    for (const c of candidates) {
      const a = planes.get(c)![i]!;
      if (a < MIN_ALPHA) continue;
      const rgb = geometry.colors[c]!;
      const r2 = dist2([data[o]!, data[o + 1]!, data[o + 2]!], [bg.rgb[0] + a * (rgb[0] - bg.rgb[0]), bg.rgb[1] + a * (rgb[1] - bg.rgb[1]), bg.rgb[2] + a * (rgb[2] - bg.rgb[2])]);
      if (r2 <= MAX_RESIDUAL * MAX_RESIDUAL) {
        fg[i] = 1;
        break;
      }
    }
  }

  // 4-connected components of the foreground
  const label = new Int32Array(n).fill(-1);
  const components: Component[] = [];
  const stack: number[] = [];
  for (let start = 0; start < n; start++) {
    if (!fg[start] || label[start] !== -1) continue;
    const pixels: number[] = [];
    label[start] = components.length;
    stack.push(start);
    while (stack.length) {
      const p = stack.pop()!;
      pixels.push(p);
      const x = p % width, y = (p - x) / width;
      for (const q of [x > 0 ? p - 1 : -1, x < width - 1 ? p + 1 : -1, y > 0 ? p - width : -1, y < height - 1 ? p + width : -1]) {
        if (q >= 0 && fg[q] && label[q] === -1) {
          label[q] = components.length;
          stack.push(q);
        }
      }
    }
    if (pixels.length < MIN_PIXELS) {
      components.push({ color: '', pixels: [], x0: 0, x1: -1, y0: 0, y1: -1 }); // keeps label ids aligned
      continue;
    }
    components.push({ color: componentColor(img, bg.rgb, pixels), pixels, ...bounds(pixels, width) });
  }
  return { background: bg.name, backgroundRgb: bg.rgb, components: components.filter((c) => c.pixels.length > 0), alpha: (c) => planes.get(c) ?? new Float32Array(n) };
}

/** the palette color nearest to the median of the half of the pixels farthest from the background (the interior, free of edge mixing) */
function componentColor(img: Rgb, bg: readonly number[], pixels: number[]): string {
  const px = pixels.map((p) => [img.data[p * 3]!, img.data[p * 3 + 1]!, img.data[p * 3 + 2]!]);
  px.sort((a, b) => dist2(b, bg) - dist2(a, bg));
  const core = px.slice(0, Math.max(1, Math.ceil(px.length / 2)));
  const median = (c: number) => core.map((p) => p[c]!).sort((a, b) => a - b)[core.length >> 1]!;
  return nearestColor([median(0), median(1), median(2)]);
}

function bounds(pixels: number[], width: number) {
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const p of pixels) {
    const x = p % width, y = (p - x) / width;
    x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
  }
  return { x0, x1, y0, y1 };
}
