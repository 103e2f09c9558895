// Float planar images in [-1, 1] ↔ RGB8 interleaved pixels.
// Rounding is spelled out (round half up on (x + 1)·127.5 in float64, NaN → 0)
// so every platform produces the same bytes.

/**
 * Planar [3, H, W] floats at src[offset…] → RGB8 row-major (HWC) into out. Values outside [-1, 1] and NaN give the
 * bytes their clampUnit() values give, so a final stage's output needs no clamping pass first.
 */
export function planarToRgb8(out: Uint8Array, src: Float32Array, offset: number, width: number, height: number): void {
  const plane = width * height;
  for (let c = 0; c < 3; c++) {
    const base = offset + c * plane;
    for (let i = 0; i < plane; i++) {
      const v = ((src[base + i] as number) + 1) * 127.5;
      out[i * 3 + c] = v >= 254.5 ? 255 : v > 0 ? Math.floor(v + 0.5) : 0;
    }
  }
}

/** RGB8 row-major (HWC) → planar [3, H, W] floats in [-1, 1] at out[offset…]. */
export function rgb8ToPlanar(out: Float32Array, offset: number, rgb: Uint8Array, width: number, height: number): void {
  const plane = width * height;
  for (let c = 0; c < 3; c++) {
    const base = offset + c * plane;
    for (let i = 0; i < plane; i++) out[base + i] = (rgb[i * 3 + c] as number) / 127.5 - 1;
  }
}

/** Clamps to [-1, 1] in place (a stage's output before the next stage or the PNG; NaN → -1). */
export function clampUnit(x: Float32Array): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i] as number;
    x[i] = v > 1 ? 1 : v >= -1 ? v : -1;
  }
}

/** clampUnit(src) written to out[offset…] in the same pass: a stage's output copied out of its workspace. */
export function clampInto(out: Float32Array, offset: number, src: Float32Array): void {
  for (let i = 0; i < src.length; i++) {
    const v = src[i] as number;
    out[offset + i] = v > 1 ? 1 : v >= -1 ? v : -1;
  }
}
