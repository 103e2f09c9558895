// Seeded standard-normal streams for the cascade: Philox4x32-10 blocks turned
// into normals by Box-Muller. The exact recipe is versioned (PRNG_ID goes into
// every image's fingerprint): changing any detail below changes every image, so
// it needs a new version string.
//
// Stream (seed, streamId): key = (seed, streamId); block b uses counter
// (b mod 2^32, floor(b / 2^32), 0, 0) and yields 4 words x0..x3. Each pair of
// words (x0, x1) and (x2, x3) gives two normals:
//   u1 = (x_even + 1) · 2^-32  ∈ (0, 1]   (never 0, so ln u1 is finite; |z| ≤ 6.67)
//   u2 = x_odd · 2^-32         ∈ [0, 1)
//   r = sqrt(-2 ln u1), θ = 2π·u2, normals (r cos θ, r sin θ)
// computed in float64 and rounded to float32. So normal k of a stream comes
// from block floor(k / 4); fill() continues where the previous call stopped.
// Math.log/cos/sin are V8's fdlibm ports, identical on every platform.
import { philox4x32 } from './philox.ts';

export const PRNG_ID = 'philox4x32-10/box-muller/v1';

/** What a stream's numbers are for; the low 4 bits of a stream id. */
export const NoisePurpose = {
  /** x_T of a stage */
  initial: 0,
  /** per-step noise of ancestral samplers (DDPM, DDIM with eta > 0), drawn step after step from one stream */
  ancestral: 1,
  /** ε of the low-res conditioning's noise augmentation (SR stages) */
  lowResAugmentation: 2,
} as const;
export type NoisePurpose = (typeof NoisePurpose)[keyof typeof NoisePurpose];

const MAX_STAGE_INDEX = 0x0fffffff;

/** stream id = stageIndex·16 + purpose (purpose in [0, 16)). */
export function streamId(stageIndex: number, purpose: number): number {
  if (!Number.isInteger(stageIndex) || stageIndex < 0 || stageIndex > MAX_STAGE_INDEX)
    throw new RangeError(`stageIndex must be an integer in [0, ${MAX_STAGE_INDEX}], got ${stageIndex}`);
  if (!Number.isInteger(purpose) || purpose < 0 || purpose > 15) throw new RangeError(`purpose must be an integer in [0, 15], got ${purpose}`);
  return stageIndex * 16 + purpose;
}

export interface NormalStream {
  readonly seed: number;
  readonly streamId: number;
  /** how many normals this stream has handed out so far */
  readonly position: number;
  /** writes the next out.length standard normals of the stream into out */
  fill(out: Float32Array): void;
}

const TWO_POW_M32 = 2 ** -32;
const TWO_PI = 2 * Math.PI;
const TWO_POW_32 = 2 ** 32;
// the 64-bit block counter stays exact in a double below 2^53
const MAX_POSITION = 2 ** 53;

function checkUint32(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`${name} must be an integer in [0, 4294967295], got ${v}`);
  return v;
}

/** Writes the 4 normals of block `block` of stream (k0, k1) into out[offset..offset+3]. */
function normalBlock(out: Float32Array, offset: number, words: Uint32Array, block: number, k0: number, k1: number): void {
  philox4x32(words, 0, block % TWO_POW_32, Math.floor(block / TWO_POW_32), 0, 0, k0, k1);
  const r0 = Math.sqrt(-2 * Math.log(((words[0] as number) + 1) * TWO_POW_M32));
  const t0 = TWO_PI * ((words[1] as number) * TWO_POW_M32);
  const r1 = Math.sqrt(-2 * Math.log(((words[2] as number) + 1) * TWO_POW_M32));
  const t1 = TWO_PI * ((words[3] as number) * TWO_POW_M32);
  out[offset] = r0 * Math.cos(t0);
  out[offset + 1] = r0 * Math.sin(t0);
  out[offset + 2] = r1 * Math.cos(t1);
  out[offset + 3] = r1 * Math.sin(t1);
}

/**
 * The standard-normal stream (seed, streamId), starting at normal number `offset` (default 0).
 * seed and streamId are uint32; image i of a request passes seed + i (mod 2^32).
 */
export function createNormalStream(seed: number, id: number, offset = 0): NormalStream {
  const k0 = checkUint32('seed', seed);
  const k1 = checkUint32('streamId', id);
  if (!Number.isInteger(offset) || offset < 0 || offset >= MAX_POSITION) throw new RangeError(`offset must be an integer in [0, 2^53), got ${offset}`);
  const words = new Uint32Array(4);
  // the current block's 4 normals; `used` of them already handed out
  const cache = new Float32Array(4);
  let block = Math.floor(offset / 4);
  let used = offset % 4;
  if (used > 0) {
    normalBlock(cache, 0, words, block, k0, k1);
    block++;
  } else {
    used = 4;
  }
  let position = offset;
  return {
    seed: k0,
    streamId: k1,
    get position() {
      return position;
    },
    fill(out: Float32Array): void {
      const n = out.length;
      if (position + n > MAX_POSITION) throw new RangeError('normal stream exhausted (2^53 values)');
      let i = 0;
      while (used < 4 && i < n) out[i++] = cache[used++] as number;
      const whole = n - ((n - i) % 4);
      for (; i < whole; i += 4) normalBlock(out, i, words, block++, k0, k1);
      if (i < n) {
        normalBlock(cache, 0, words, block++, k0, k1);
        used = 0;
        while (i < n) out[i++] = cache[used++] as number;
      }
      position += n;
    },
  };
}
