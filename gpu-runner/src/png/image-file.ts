// The png module's step of a generation: one image's final RGB8 pixels become
// the file a user gets — the visible provenance mark drawn in, the pixel hash
// of the marked pixels (stable when only metadata changes) recorded in the
// image's own metadata, both metadata chunks (A1111 `parameters`, `imagen-ts`
// JSON), deterministic PNG encoding.
import { createHash } from 'node:crypto';
import { PIXEL_HASH_ALGORITHM, pixelHashHeader, type PixelHash } from '@imagen-ts/protocol';
import { applyMark, encodePng, pngText, type ImagenPngInfo } from './index.ts';

export interface ImageFile {
  /** the pixels as encoded: marked in place when the mark was asked for */
  rgb: Uint8Array;
  png: Uint8Array;
  /** hex pixel hash (PIXEL_HASH_ALGORITHM) of `rgb`, also in the PNG's `imagen-ts` chunk as image.pixels */
  sha256: string;
}

/** PIXEL_HASH_ALGORITHM on node:crypto: synchronous, and no copy of the pixels. */
export function pixelHashOf(rgb: Uint8Array, width: number, height: number): PixelHash {
  if (rgb.length !== width * height * 3) throw new RangeError(`pixel hash: expected ${width * height * 3} RGB bytes, got ${rgb.length}`);
  const sha256 = createHash('sha256').update(pixelHashHeader(width, height)).update(rgb).digest('hex');
  return { algorithm: PIXEL_HASH_ALGORITHM, sha256 };
}

/** Marks `rgb` in place (unless `mark` is false), then encodes it with `info`'s metadata and its pixel hash. */
export function createImageFile(rgb: Uint8Array, info: ImagenPngInfo, mark: boolean): ImageFile {
  const { width, height } = info.image;
  if (mark) applyMark(rgb, width, height);
  const pixels = pixelHashOf(rgb, width, height);
  const png = encodePng({ width, height, rgb, text: pngText({ ...info, image: { ...info.image, pixels } }) });
  return { rgb, png, sha256: pixels.sha256 };
}
