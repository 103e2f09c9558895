"""Philox4x32-10 (Salmon et al. 2011, Random123) and the Box-Muller normals of imagen-ts.

An independent numpy implementation (uint64 products of uint32 words) of what
gpu-runner/src/random/ implements in TypeScript; both are checked against
Random123's published known-answer vectors and against each other.
"""
from __future__ import annotations

import math

import numpy as np

PRNG_ID = "philox4x32-10/box-muller/v1"

PHILOX_M0 = np.uint64(0xD2511F53)
PHILOX_M1 = np.uint64(0xCD9E8D57)
PHILOX_W0 = 0x9E3779B9
PHILOX_W1 = 0xBB67AE85
MASK32 = np.uint64(0xFFFFFFFF)
TWO_POW_M32 = 2.0**-32
TWO_PI = 2.0 * math.pi


def philox4x32_10(ctr: np.ndarray, key: tuple[int, int]) -> np.ndarray:
    """ctr: uint32 [N, 4]; key: (k0, k1). Returns uint32 [N, 4]."""
    c = np.asarray(ctr, dtype=np.uint64).reshape(-1, 4).copy()
    k0, k1 = key[0] & 0xFFFFFFFF, key[1] & 0xFFFFFFFF
    for r in range(10):
        if r > 0:
            k0 = (k0 + PHILOX_W0) & 0xFFFFFFFF
            k1 = (k1 + PHILOX_W1) & 0xFFFFFFFF
        p0 = PHILOX_M0 * c[:, 0]  # < 2^64: exact in uint64
        p1 = PHILOX_M1 * c[:, 2]
        hi0, lo0 = p0 >> np.uint64(32), p0 & MASK32
        hi1, lo1 = p1 >> np.uint64(32), p1 & MASK32
        c = np.stack(
            [hi1 ^ c[:, 1] ^ np.uint64(k0), lo1, hi0 ^ c[:, 3] ^ np.uint64(k1), lo0],
            axis=1,
        )
    return c.astype(np.uint32)


def stream_id(stage_index: int, purpose: int) -> int:
    return stage_index * 16 + purpose


def normals(seed: int, stream: int, count: int, offset: int = 0) -> np.ndarray:
    """Standard normals `offset .. offset+count` of stream (seed, stream), float32.

    Block b (counter = (b mod 2^32, b >> 32, 0, 0), key = (seed, stream)) yields
    words x0..x3; the pair (x0, x1) gives normals 4b, 4b+1 and (x2, x3) gives 4b+2, 4b+3:
      u1 = (x_even + 1) * 2^-32 in (0, 1]   (never 0, so log is finite)
      u2 = x_odd * 2^-32         in [0, 1)
      r = sqrt(-2 ln u1), theta = 2 pi u2 -> (r cos theta, r sin theta), float64, then rounded to float32.
    """
    first = offset // 4
    last = (offset + count + 3) // 4
    b = np.arange(first, last, dtype=np.uint64)
    ctr = np.zeros((b.size, 4), dtype=np.uint64)
    ctr[:, 0] = b & MASK32
    ctr[:, 1] = b >> np.uint64(32)
    words = philox4x32_10(ctr, (seed, stream)).astype(np.float64).reshape(-1, 2, 2)
    u1 = (words[:, :, 0] + 1.0) * TWO_POW_M32
    u2 = words[:, :, 1] * TWO_POW_M32
    r = np.sqrt(-2.0 * np.log(u1))
    theta = TWO_PI * u2
    z = np.stack([r * np.cos(theta), r * np.sin(theta)], axis=2).reshape(-1)
    start = offset - first * 4
    return z[start : start + count].astype(np.float32)


# Random123 kat_vectors, philox4x32_10 lines (ctr words, key words, expected words).
KAT = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    (
        (0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344),
        (0xA4093822, 0x299F31D0),
        (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1),
    ),
]


def check_kat() -> None:
    for ctr, key, want in KAT:
        got = tuple(int(v) for v in philox4x32_10(np.array([ctr], dtype=np.uint64), key)[0])
        if got != want:
            raise AssertionError(f"philox4x32_10 KAT failed: ctr={ctr} key={key}: got {[hex(v) for v in got]}, want {[hex(v) for v in want]}")


if __name__ == "__main__":
    check_kat()
    print("philox4x32_10 KAT ok")
    print(normals(42, 0, 8))
