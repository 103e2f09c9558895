// Pixel identity: a hash of an image's decoded pixels, so the same picture has the
// same name whatever its PNG's metadata (or encoder) says. The file hash (sha256
// of the PNG bytes) names a file; this names what it shows.
// Web-standard only (Web Crypto): the notebook and the edge compute it as the
// runner does (the runner hashes the same preimage with node:crypto, synchronously).

/**
 * The pixel hash's name and version, recorded beside every value of it: SHA-256 over
 * width and height (uint32, big-endian) followed by the RGB8 pixels, row-major.
 * A different preimage (another channel order, alpha, 16-bit) gets a new name.
 */
export const PIXEL_HASH_ALGORITHM = 'rgb8-sha256/1';

/** The 8 bytes before the pixels: width and height as big-endian uint32. */
export function pixelHashHeader(width: number, height: number): Uint8Array {
  for (const [name, v] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (!Number.isInteger(v) || v < 1 || v > 0xffff_ffff) throw new RangeError(`pixel hash: ${name} must be a positive uint32, got ${v}`);
  }
  const out = new Uint8Array(8);
  const view = new DataView(out.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  return out;
}

function checkLength(rgb: Uint8Array, width: number, height: number): void {
  if (rgb.length !== width * height * 3) throw new RangeError(`pixel hash: expected width·height·3 = ${width * height * 3} RGB bytes, got ${rgb.length}`);
}

/** The pixel hash's exact preimage (header + pixels), for hashers that take one buffer. */
export function pixelHashPreimage(rgb: Uint8Array, width: number, height: number): Uint8Array {
  const header = pixelHashHeader(width, height);
  checkLength(rgb, width, height);
  const out = new Uint8Array(8 + rgb.length);
  out.set(header, 0);
  out.set(rgb, 8);
  return out;
}

/** Hex SHA-256 of the pixels, as PIXEL_HASH_ALGORITHM defines it (Web Crypto). */
export async function pixelSha256(rgb: Uint8Array, width: number, height: number): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', pixelHashPreimage(rgb, width, height) as Uint8Array<ArrayBuffer>);
  let s = '';
  for (const b of new Uint8Array(digest)) s += b.toString(16).padStart(2, '0');
  return s;
}
