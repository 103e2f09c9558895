// The png module's step of a generation: one image's final RGB8 pixels become
// the file a user gets — the visible provenance mark drawn in, both metadata
// chunks (A1111 `parameters`, `imagen-ts` JSON), deterministic PNG encoding,
// and the sha256 of the marked pixels (stable when only metadata changes).
import { createHash } from 'node:crypto';
import { applyMark, encodePng, pngText, type ImagenPngInfo } from './index.ts';

export interface ImageFile {
  /** the pixels as encoded: marked in place when the mark was asked for */
  rgb: Uint8Array;
  png: Uint8Array;
  /** hex sha256 of `rgb` */
  sha256: string;
}

/** Marks `rgb` in place (unless `mark` is false), then encodes it with `info`'s metadata. */
export function createImageFile(rgb: Uint8Array, info: ImagenPngInfo, mark: boolean): ImageFile {
  const { width, height } = info.image;
  if (mark) applyMark(rgb, width, height);
  const png = encodePng({ width, height, rgb, text: pngText(info) });
  return { rgb, png, sha256: createHash('sha256').update(rgb).digest('hex') };
}
