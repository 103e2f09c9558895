// SR fidelity: a super-resolution stage should add detail without changing what
// it was given. Its output, box-downsampled back to its input's size, is compared
// with that input by PSNR (the paper's cascade relies on this consistency).
import type { GeneratedImage } from '../../gpu-runner/src/engine/types.ts';

/** area (box) filter by an integer factor, as the world's canonical 1024 → 256 → 64 reduction; float64 sums */
export function boxDownsample(out: Uint8Array, rgb: Uint8Array, size: number, factor: number): void {
  const n = size / factor;
  if (!Number.isInteger(n)) throw new Error(`factor: ${factor} does not divide ${size}`);
  const area = factor * factor;
  for (let y = 0; y < n; y++)
    for (let x = 0; x < n; x++)
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (let dy = 0; dy < factor; dy++) {
          const row = ((y * factor + dy) * size + x * factor) * 3 + c;
          for (let dx = 0; dx < factor; dx++) sum += rgb[row + dx * 3]!;
        }
        out[(y * n + x) * 3 + c] = Math.round(sum / area);
      }
}

/** PSNR in dB between two RGB8 images of equal length (Infinity when identical) */
export function psnr(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new Error(`psnr: lengths differ (${a.length} vs ${b.length})`);
  let se = 0;
  for (let i = 0; i < a.length; i++) se += (a[i]! - b[i]!) ** 2;
  return se === 0 ? Infinity : 10 * Math.log10((255 * 255) / (se / a.length));
}

/** PSNR of `output` (size s·k) box-downsampled by k against `input` (size s) */
export function srFidelity(input: GeneratedImage, output: GeneratedImage): number {
  const factor = output.width / input.width;
  const down = new Uint8Array(input.rgb.length);
  boxDownsample(down, output.rgb, output.width, factor);
  return psnr(down, input.rgb);
}
