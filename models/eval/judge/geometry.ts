// The world's geometry (exported from models/world by export_geometry.py), and a
// rasterizer that draws a shape's anti-aliased coverage exactly as the world's
// renderer does: coverage = clamp(0.5 − signed distance in pixels, 0, 1).
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const Point = z.tuple([z.number(), z.number()]);
const Geometry = z.object({
  version: z.literal(1),
  colors: z.record(z.string(), z.tuple([z.number(), z.number(), z.number()])),
  defaultBackground: z.string(),
  polygons: z.record(z.string(), z.array(Point).min(3)),
  letterStroke: z.number().positive(),
  letters: z.record(z.string(), z.array(z.tuple([z.number(), z.number(), z.number(), z.number()]))),
  radius: z.record(z.string(), z.tuple([z.number(), z.number()])),
  placeRegions: z.record(z.string(), z.tuple([z.number(), z.number(), z.number(), z.number()])),
});
export type Geometry = z.infer<typeof Geometry>;

export const geometry: Geometry = Geometry.parse(JSON.parse(readFileSync(new URL('./geometry.json', import.meta.url), 'utf8')));

export const colorNames = Object.keys(geometry.colors);
export const shapeNames = ['circle', ...Object.keys(geometry.polygons), ...Object.keys(geometry.letters).map((l) => `letter-${l}`)];

/** segments [x0, y0, x1, y1] per shape; polygons are closed */
interface ShapeGeometry {
  segments: Float64Array;
  closed: boolean; // polygon (even-odd inside) vs stroked letter
  halfWidth: number; // letters: stroke half-width
  extent: [number, number, number, number]; // local bbox x0, x1, y0, y1 of the drawn shape
}

function polygonSegments(poly: [number, number][]): Float64Array {
  const out = new Float64Array(poly.length * 4);
  poly.forEach((p, i) => {
    const q = poly[(i + 1) % poly.length]!;
    out.set([p[0], p[1], q[0], q[1]], i * 4);
  });
  return out;
}

function buildShapes(): Map<string, ShapeGeometry> {
  const shapes = new Map<string, ShapeGeometry>();
  shapes.set('circle', { segments: new Float64Array(0), closed: true, halfWidth: 0, extent: [-1, 1, -1, 1] });
  for (const [name, poly] of Object.entries(geometry.polygons)) {
    const xs = poly.map((p) => p[0]);
    const ys = poly.map((p) => p[1]);
    shapes.set(name, { segments: polygonSegments(poly), closed: true, halfWidth: 0, extent: [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)] });
  }
  const w = geometry.letterStroke;
  for (const [letter, segs] of Object.entries(geometry.letters)) {
    const flat = new Float64Array(segs.flat());
    const xs = segs.flatMap((s) => [s[0], s[2]]);
    const ys = segs.flatMap((s) => [s[1], s[3]]);
    shapes.set(`letter-${letter}`, {
      segments: flat,
      closed: false,
      halfWidth: w,
      extent: [Math.min(...xs) - w, Math.max(...xs) + w, Math.min(...ys) - w, Math.max(...ys) + w],
    });
  }
  return shapes;
}

const shapes = buildShapes();

export function shapeExtent(shape: string): [number, number, number, number] {
  const g = shapes.get(shape);
  if (!g) throw new Error(`shape: unknown "${shape}"`);
  return g.extent;
}

/** signed distance in local units (negative inside) at local point (x, y) */
export function signedDistance(shape: string, x: number, y: number): number {
  const g = shapes.get(shape);
  if (!g) throw new Error(`shape: unknown "${shape}"`);
  if (shape === 'circle') return Math.hypot(x, y) - 1;
  const s = g.segments;
  let best = Infinity;
  let inside = false;
  for (let k = 0; k < s.length; k += 4) {
    const x0 = s[k]!, y0 = s[k + 1]!, x1 = s[k + 2]!, y1 = s[k + 3]!;
    const ex = x1 - x0, ey = y1 - y0;
    const wx = x - x0, wy = y - y0;
    const t = Math.min(1, Math.max(0, (wx * ex + wy * ey) / Math.max(ex * ex + ey * ey, 1e-12)));
    const dx = wx - t * ex, dy = wy - t * ey;
    best = Math.min(best, dx * dx + dy * dy);
    // even-odd rule, as the world's _inside_even_odd
    if (g.closed && (y0 <= y) !== (y1 <= y) && x < x0 + ((y - y0) * (x1 - x0)) / (y1 === y0 ? 1 : y1 - y0)) inside = !inside;
  }
  const d = Math.sqrt(best);
  return g.closed ? (inside ? -d : d) : d - g.halfWidth;
}

/**
 * Writes the coverage of `shape` centred at pixel (cx, cy) with radius r pixels into `out`
 * (a window of w×h pixels whose top-left pixel is (x0, y0) in image pixels).
 */
export function renderCoverage(out: Float32Array, x0: number, y0: number, w: number, h: number, shape: string, cx: number, cy: number, r: number): void {
  for (let j = 0; j < h; j++) {
    const py = (y0 + j + 0.5 - cy) / r;
    for (let i = 0; i < w; i++) {
      const px = (x0 + i + 0.5 - cx) / r;
      const d = signedDistance(shape, px, py) * r;
      out[j * w + i] = Math.min(1, Math.max(0, 0.5 - d));
    }
  }
}
