import { describe, expect, it } from 'vitest';
import { IMAGEN_FORMAT, PIXEL_HASH_ALGORITHM, pixelSha256, readPngMetadata, type ImagenPngInfo } from '@imagen-ts/protocol';
import { createImageFile, pixelHashOf } from './image-file.ts';
import { decodePngRgb } from './png.ts';

const info = (size: number): ImagenPngInfo => ({
  format: IMAGEN_FORMAT,
  request: { prompt: 'a red circle', seed: 7, n: 1, size },
  image: { index: 0, seed: 7, width: size, height: size },
  stages: [{ name: 'base64', resolution: size, steps: 1, sampler: 'ddim', guidance: 1 }],
  fingerprint: {
    engineVersion: '0.1.0',
    ortVersion: '1.30.0',
    provider: 'cpu',
    modelId: 'imagen-tiny',
    textEncoderSha256: 'a'.repeat(64),
    stageSha256: { base64: 'b'.repeat(64) },
    prng: 'philox4x32-10+box-muller',
  },
});

describe('createImageFile', () => {
  it('hashes the marked pixels (golden) and records the hash in the PNG it writes', async () => {
    const file = createImageFile(new Uint8Array(256 * 256 * 3), info(256), true);
    // Python: hashlib.sha256(struct.pack('>II', 256, 256) + marked).hexdigest(), where the marked
    // black image is mark.test.ts's GOLDEN_256_BLACK bytes
    expect(file.sha256).toBe('535da5b7193e7ce7b2f97fb90e09887b0fe15c3acd79dd2c7afd1fc33e0a08a7');
    expect(await pixelSha256(file.rgb, 256, 256)).toBe(file.sha256);
    const meta = await readPngMetadata(file.png);
    expect(meta.imagen?.image.pixels).toEqual({ algorithm: PIXEL_HASH_ALGORITHM, sha256: file.sha256 });
    // what a reader decodes hashes the same
    const back = decodePngRgb(file.png);
    expect(pixelHashOf(back.rgb, back.width, back.height).sha256).toBe(file.sha256);
  });

  it('gives the same pixel hash when only the metadata differs, and another file hash', () => {
    const a = createImageFile(new Uint8Array(64 * 64 * 3).fill(9), info(64), false);
    const b = createImageFile(new Uint8Array(64 * 64 * 3).fill(9), { ...info(64), request: { ...info(64).request, prompt: 'a blue circle' } }, false);
    expect(a.sha256).toBe(b.sha256);
    expect(Buffer.from(a.png).equals(Buffer.from(b.png))).toBe(false);
  });
});
