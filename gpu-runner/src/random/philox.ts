// Philox4x32-10, the counter-based generator of Salmon et al. 2011 ("Parallel
// random numbers: as easy as 1, 2, 3", SC'11), exactly as Random123's
// philox4x32_R(10, ctr, key). Counter-based: block n of a stream is a pure
// function of (key, n), so any image/step can be regenerated without replaying
// the stream, and the same numbers come out on every platform.

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
// M split into 16-bit halves so the 64-bit product's high word is exact in float64.
const M0_HI = M0 >>> 16;
const M0_LO = M0 & 0xffff;
const M1_HI = M1 >>> 16;
const M1_LO = M1 & 0xffff;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;
const TWO_16 = 65536;

/**
 * One Philox4x32-10 block: writes the 4 output words for counter (c0..c3) and key (k0, k1) into out[offset..offset+3].
 * All inputs are uint32 values (numbers in [0, 2^32)).
 */
export function philox4x32(out: Uint32Array, offset: number, c0: number, c1: number, c2: number, c3: number, k0: number, k1: number): void {
  let x0 = c0 >>> 0;
  let x1 = c1 >>> 0;
  let x2 = c2 >>> 0;
  let x3 = c3 >>> 0;
  let key0 = k0 >>> 0;
  let key1 = k1 >>> 0;
  for (let round = 0; round < 10; round++) {
    if (round > 0) {
      key0 = (key0 + W0) >>> 0;
      key1 = (key1 + W1) >>> 0;
    }
    // mulhilo32: a*M = u*2^16 + (t mod 2^16) with t = a*M_lo, u = a*M_hi + floor(t / 2^16) (both < 2^53, exact),
    // so hi = floor(u / 2^16) and lo is the wrapped 32-bit product.
    const hi0 = ((x0 * M0_HI + Math.floor((x0 * M0_LO) / TWO_16)) / TWO_16) >>> 0;
    const lo0 = Math.imul(x0, M0) >>> 0;
    const hi1 = ((x2 * M1_HI + Math.floor((x2 * M1_LO) / TWO_16)) / TWO_16) >>> 0;
    const lo1 = Math.imul(x2, M1) >>> 0;
    const y0 = (hi1 ^ x1 ^ key0) >>> 0;
    const y2 = (hi0 ^ x3 ^ key1) >>> 0;
    x0 = y0;
    x1 = lo1;
    x2 = y2;
    x3 = lo0;
  }
  out[offset] = x0;
  out[offset + 1] = x1;
  out[offset + 2] = x2;
  out[offset + 3] = x3;
}
