// Planar (CHW) float image resizing with PyTorch's F.interpolate semantics
// (antialias off): what the SR stages were trained with, so the low-res
// conditioning we feed matches. Separable: one pass along x into a scratch
// image, one along y. Deterministic: fixed tap order, float64 accumulation.
export type ResizeMode = 'nearest' | 'bilinear' | 'bicubic';

/** Per output index: the first source tap and the weights of `taps` consecutive (clamped) taps. */
interface AxisPlan {
  taps: number;
  /** [outSize * taps] source indices, already clamped to [0, inSize) */
  index: Int32Array;
  weight: Float64Array;
}

// Keys' cubic convolution with A = -0.75, as PyTorch (PIL uses -0.5).
const CUBIC_A = -0.75;
const cubicNear = (x: number) => ((CUBIC_A + 2) * x - (CUBIC_A + 3)) * x * x + 1; // |x| <= 1
const cubicFar = (x: number) => ((CUBIC_A * x - 5 * CUBIC_A) * x + 8 * CUBIC_A) * x - 4 * CUBIC_A; // 1 < |x| < 2

function planAxis(inSize: number, outSize: number, mode: ResizeMode, alignCorners: boolean): AxisPlan {
  const taps = mode === 'nearest' ? 1 : mode === 'bilinear' ? 2 : 4;
  const index = new Int32Array(outSize * taps);
  const weight = new Float64Array(outSize * taps);
  const clamp = (i: number) => (i < 0 ? 0 : i >= inSize ? inSize - 1 : i);
  const scale = alignCorners ? (outSize > 1 ? (inSize - 1) / (outSize - 1) : 0) : inSize / outSize;
  for (let o = 0; o < outSize; o++) {
    const k = o * taps;
    if (mode === 'nearest') {
      // PyTorch 'nearest' (legacy): floor(o · in/out)
      index[k] = clamp(Math.floor(o * (inSize / outSize)));
      weight[k] = 1;
      continue;
    }
    let src = alignCorners ? o * scale : (o + 0.5) * scale - 0.5;
    if (mode === 'bilinear') {
      if (!alignCorners && src < 0) src = 0;
      const i0 = Math.floor(src);
      const t = src - i0;
      index[k] = clamp(i0);
      index[k + 1] = clamp(i0 + 1);
      weight[k] = 1 - t;
      weight[k + 1] = t;
    } else {
      const i0 = Math.floor(src);
      const t = src - i0;
      index[k] = clamp(i0 - 1);
      index[k + 1] = clamp(i0);
      index[k + 2] = clamp(i0 + 1);
      index[k + 3] = clamp(i0 + 2);
      weight[k] = cubicFar(t + 1);
      weight[k + 1] = cubicNear(t);
      weight[k + 2] = cubicNear(1 - t);
      weight[k + 3] = cubicFar(2 - t);
    }
  }
  return { taps, index, weight };
}

export interface ResizeShape {
  /** images × channels: planes resized independently */
  planes: number;
  inHeight: number;
  inWidth: number;
  outHeight: number;
  outWidth: number;
}

/**
 * Resizes `planes` planes of in H×W in `src` into out H×W in `out` (both planar, row-major).
 * `scratch` (planes · inHeight · outWidth floats) may be passed to avoid an allocation.
 */
export function resizePlanes(
  out: Float32Array,
  src: Float32Array,
  shape: ResizeShape,
  mode: ResizeMode,
  alignCorners = false,
  scratch?: Float32Array,
): void {
  const { planes, inHeight: ih, inWidth: iw, outHeight: oh, outWidth: ow } = shape;
  if (src.length < planes * ih * iw) throw new Error(`resize: src has ${src.length} values, needs ${planes}·${ih}·${iw}`);
  if (out.length < planes * oh * ow) throw new Error(`resize: out has ${out.length} values, needs ${planes}·${oh}·${ow}`);
  const tmp = scratch && scratch.length >= planes * ih * ow ? scratch : new Float32Array(planes * ih * ow);
  const px = planAxis(iw, ow, mode, alignCorners);
  const py = planAxis(ih, oh, mode, alignCorners);

  for (let p = 0; p < planes; p++) {
    horizontalPass(tmp, p * ih * ow, src, p * ih * iw, ih, iw, ow, px);
    verticalPass(out, p * oh * ow, tmp, p * ih * ow, oh, ow, py);
  }
}

// The passes are written out per tap count (1, 2, 4) so the inner loops carry no tap loop and no bounds fallbacks;
// each output still sums acc = 0 + w0·a0 + w1·a1 + … in float64 in tap order, the same arithmetic as a tap loop.

/** tmp[t0 + y·ow + x] = Σ_j weight · src[s0 + y·iw + index], per source row. */
function horizontalPass(tmp: Float32Array, t0: number, src: Float32Array, s0: number, ih: number, iw: number, ow: number, plan: AxisPlan): void {
  const { taps, index, weight } = plan;
  for (let y = 0; y < ih; y++) {
    const row = s0 + y * iw;
    const trow = t0 + y * ow;
    if (taps === 4) {
      for (let x = 0, k = 0; x < ow; x++, k += 4) {
        let acc = 0;
        acc += (weight[k] as number) * (src[row + (index[k] as number)] as number);
        acc += (weight[k + 1] as number) * (src[row + (index[k + 1] as number)] as number);
        acc += (weight[k + 2] as number) * (src[row + (index[k + 2] as number)] as number);
        acc += (weight[k + 3] as number) * (src[row + (index[k + 3] as number)] as number);
        tmp[trow + x] = acc;
      }
    } else if (taps === 2) {
      for (let x = 0, k = 0; x < ow; x++, k += 2) {
        let acc = 0;
        acc += (weight[k] as number) * (src[row + (index[k] as number)] as number);
        acc += (weight[k + 1] as number) * (src[row + (index[k + 1] as number)] as number);
        tmp[trow + x] = acc;
      }
    } else {
      for (let x = 0; x < ow; x++) {
        let acc = 0;
        acc += (weight[x] as number) * (src[row + (index[x] as number)] as number);
        tmp[trow + x] = acc;
      }
    }
  }
}

/** out[o0 + y·ow + x] = Σ_j weight · tmp[t0 + index·ow + x]: per output row the taps are fixed, so they are hoisted. */
function verticalPass(out: Float32Array, o0: number, tmp: Float32Array, t0: number, oh: number, ow: number, plan: AxisPlan): void {
  const { taps, index, weight } = plan;
  for (let y = 0; y < oh; y++) {
    const k = y * taps;
    const orow = o0 + y * ow;
    const r0 = t0 + (index[k] as number) * ow;
    const w0 = weight[k] as number;
    if (taps === 4) {
      const r1 = t0 + (index[k + 1] as number) * ow;
      const r2 = t0 + (index[k + 2] as number) * ow;
      const r3 = t0 + (index[k + 3] as number) * ow;
      const w1 = weight[k + 1] as number;
      const w2 = weight[k + 2] as number;
      const w3 = weight[k + 3] as number;
      for (let x = 0; x < ow; x++) {
        let acc = 0;
        acc += w0 * (tmp[r0 + x] as number);
        acc += w1 * (tmp[r1 + x] as number);
        acc += w2 * (tmp[r2 + x] as number);
        acc += w3 * (tmp[r3 + x] as number);
        out[orow + x] = acc;
      }
    } else if (taps === 2) {
      const r1 = t0 + (index[k + 1] as number) * ow;
      const w1 = weight[k + 1] as number;
      for (let x = 0; x < ow; x++) {
        let acc = 0;
        acc += w0 * (tmp[r0 + x] as number);
        acc += w1 * (tmp[r1 + x] as number);
        out[orow + x] = acc;
      }
    } else {
      for (let x = 0; x < ow; x++) {
        let acc = 0;
        acc += w0 * (tmp[r0 + x] as number);
        out[orow + x] = acc;
      }
    }
  }
}

/** Box-filter downsample by an integer factor (previews); falls back to nearest when the factor is not whole. */
export function downsamplePlanes(out: Float32Array, src: Float32Array, planes: number, inSize: number, outSize: number): void {
  const f = inSize / outSize;
  if (!Number.isInteger(f)) {
    resizePlanes(out, src, { planes, inHeight: inSize, inWidth: inSize, outHeight: outSize, outWidth: outSize }, 'nearest');
    return;
  }
  const inv = 1 / (f * f);
  for (let p = 0; p < planes; p++) {
    const s0 = p * inSize * inSize;
    const o0 = p * outSize * outSize;
    for (let y = 0; y < outSize; y++)
      for (let x = 0; x < outSize; x++) {
        let acc = 0;
        for (let dy = 0; dy < f; dy++) {
          const row = s0 + (y * f + dy) * inSize + x * f;
          for (let dx = 0; dx < f; dx++) acc += src[row + dx] ?? 0;
        }
        out[o0 + y * outSize + x] = acc * inv;
      }
  }
}
