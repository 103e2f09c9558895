// Shape classification by template fitting: each detected component is compared
// with every shape of the world, drawn from the same geometry at the pose that
// fits the component's bounding box, by soft IoU of coverage.
import { renderCoverage, shapeExtent, shapeNames } from './geometry.ts';
import type { Component } from './segment.ts';

export interface Fit {
  shape: string;
  /** shape-box centre and radius in pixels (the world's cx, cy, r scaled by image size) */
  cx: number;
  cy: number;
  r: number;
  iou: number;
  /** best IoU among the other shapes: how clear the decision was */
  runnerUp: number;
}

const PAD = 2;
const SCALES = [0.94, 1, 1.06];
const SHIFTS = [-0.5, 0, 0.5];
const REFINE = 4;

export function fitShape(c: Component, alpha: Float32Array, width: number, height: number, candidates: readonly string[] = shapeNames): Fit {
  const x0 = Math.max(0, c.x0 - PAD), y0 = Math.max(0, c.y0 - PAD);
  const w = Math.min(width - 1, c.x1 + PAD) - x0 + 1;
  const h = Math.min(height - 1, c.y1 + PAD) - y0 + 1;
  // the component's own soft mask: α where the pixel belongs to it or is an unclaimed edge next to it
  const own = new Uint8Array(width * height);
  for (const p of c.pixels) own[p] = 1;
  const target = new Float32Array(w * h);
  for (let j = 0; j < h; j++)
    for (let i = 0; i < w; i++) {
      const p = (y0 + j) * width + (x0 + i);
      const a = alpha[p]!;
      target[j * w + i] = own[p] ? a : a < 0.5 ? a : 0;
    }
  // bbox of pixels with α ≥ 0.5 spans the shape's extent to within ±½ pixel
  const bw = c.x1 - c.x0 + 1, bh = c.y1 - c.y0 + 1;
  const bcx = (c.x0 + c.x1 + 1) / 2, bcy = (c.y0 + c.y1 + 1) / 2;
  const cov = new Float32Array(w * h);
  const score = (shape: string, scale: number, dx: number, dy: number): Fit => {
    const [ex0, ex1, ey0, ey1] = shapeExtent(shape);
    const r = Math.max(bw / (ex1 - ex0), bh / (ey1 - ey0)) * scale;
    const cx = bcx - (r * (ex0 + ex1)) / 2 + dx;
    const cy = bcy - (r * (ey0 + ey1)) / 2 + dy;
    renderCoverage(cov, x0, y0, w, h, shape, cx, cy, r);
    let inter = 0, union = 0;
    for (let k = 0; k < cov.length; k++) {
      const a = target[k]!, b = cov[k]!;
      inter += Math.min(a, b);
      union += Math.max(a, b);
    }
    return { shape, cx, cy, r, iou: union > 0 ? inter / union : 0, runnerUp: -1 };
  };
  // coarse pass at the bbox pose, then refine the most likely shapes over small pose changes
  const coarse = candidates.map((shape) => score(shape, 1, 0, 0)).sort((a, b) => b.iou - a.iou);
  const perShape = new Map<string, number>(coarse.map((f) => [f.shape, f.iou]));
  let best = coarse[0]!;
  for (const { shape } of coarse.slice(0, REFINE)) {
    for (const s of SCALES)
      for (const dx of SHIFTS)
        for (const dy of SHIFTS) {
          const f = score(shape, s, dx, dy);
          if (f.iou > perShape.get(shape)!) perShape.set(shape, f.iou);
          if (f.iou > best.iou) best = f;
        }
  }
  for (const [shape, iou] of perShape) if (shape !== best.shape) best.runnerUp = Math.max(best.runnerUp, iou);
  return best;
}
