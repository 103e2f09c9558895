"""Signed distance fields of every shape, in local units (shape box = [-1, 1]^2, y down).

Negative inside. Polygons use exact segment distance with an even-odd inside test;
letters are unions of round-capped strokes.
"""

import math

import numpy as np

from .letters import STROKE, letter_segments
from .vocab import LETTERS


def _regular_star(points=5, outer=1.0, inner=0.45, dy=0.1):
    out = []
    for k in range(points * 2):
        rad = outer if k % 2 == 0 else inner
        t = -math.pi / 2 + k * math.pi / points
        out.append((rad * math.cos(t), rad * math.sin(t) + dy))
    return out


def _heart(n=48):
    pts = []
    for k in range(n):
        t = 2 * math.pi * k / n
        x = 16 * math.sin(t) ** 3
        y = 13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t) - math.cos(4 * t)
        pts.append((x, -y))
    xs = [p[0] for p in pts]
    ys = [p[1] for p in pts]
    cy = (max(ys) + min(ys)) / 2
    s = 2.0 / max(max(xs) - min(xs), max(ys) - min(ys))
    return [(x * s * 0.98, (y - cy) * s * 0.98) for x, y in pts]


_ARM = 0.32
POLYGONS = {
    "square": [(-0.88, -0.88), (0.88, -0.88), (0.88, 0.88), (-0.88, 0.88)],
    "triangle": [(0.0, -1.0), (1.0, 0.85), (-1.0, 0.85)],
    "star": _regular_star(),
    "heart": _heart(),
    "cross": [
        (-_ARM, -1), (_ARM, -1), (_ARM, -_ARM), (1, -_ARM), (1, _ARM), (_ARM, _ARM),
        (_ARM, 1), (-_ARM, 1), (-_ARM, _ARM), (-1, _ARM), (-1, -_ARM), (-_ARM, -_ARM),
    ],
}


def _edges(poly):
    a = np.asarray(poly, dtype=np.float64)
    b = np.roll(a, -1, axis=0)
    return np.concatenate([a, b], axis=1)  # [S, 4]: x0 y0 x1 y1


POLY_EDGES = {k: _edges(v) for k, v in POLYGONS.items()}
LETTER_SEGS = {c: np.asarray(letter_segments(c), dtype=np.float64) for c in LETTERS}


VECTOR_LIMIT = 1 << 20  # above this many point-segment pairs, loop over segments to bound memory


def _segment_dist2(px, py, segs):
    """Squared distance from grid points (px [1,W], py [H,1]) to the nearest segment."""
    x0, y0, x1, y1 = segs[:, 0], segs[:, 1], segs[:, 2], segs[:, 3]
    ex, ey = x1 - x0, y1 - y0
    inv = 1.0 / np.maximum(ex * ex + ey * ey, 1e-12)
    if py.shape[0] * px.shape[1] * segs.shape[0] <= VECTOR_LIMIT:
        wx = px[..., None] - x0
        wy = py[..., None] - y0
        t = np.clip((wx * ex + wy * ey) * inv, 0.0, 1.0)
        dx = wx - t * ex
        dy = wy - t * ey
        return (dx * dx + dy * dy).min(axis=-1)
    best = None
    for k in range(segs.shape[0]):
        wx = px - x0[k]
        wy = py - y0[k]
        t = np.clip((wx * ex[k] + wy * ey[k]) * inv[k], 0.0, 1.0)
        dx = wx - t * ex[k]
        dy = wy - t * ey[k]
        d2 = dx * dx + dy * dy
        best = d2 if best is None else np.minimum(best, d2)
    return best


def _inside_even_odd(px, py, edges):
    """Even-odd rule; horizontal edges never cross (their y-test is always False)."""
    x0, y0, x1, y1 = edges[:, 0], edges[:, 1], edges[:, 2], edges[:, 3]
    dy = np.where(y1 == y0, 1.0, y1 - y0)
    slope = (x1 - x0) / dy
    if py.shape[0] * px.shape[1] * edges.shape[0] <= VECTOR_LIMIT:
        crosses = (y0 <= py[..., None]) != (y1 <= py[..., None])  # [H,1,S]
        xint = x0 + (py[..., None] - y0) * slope
        return (crosses & (px[..., None] < xint)).sum(axis=-1) % 2 == 1
    inside = np.zeros((py.shape[0], px.shape[1]), dtype=bool)
    for k in range(edges.shape[0]):
        crosses = (y0[k] <= py) != (y1[k] <= py)
        xint = x0[k] + (py - y0[k]) * slope[k]
        inside ^= crosses & (px < xint)
    return inside


def sdf(shape, px, py):
    """Signed distance (local units) at local coordinates px [1,W], py [H,1] → [H,W]."""
    if shape == "circle":
        return np.sqrt(px * px + py * py) - 1.0
    if shape.startswith("letter-"):
        return np.sqrt(_segment_dist2(px, py, LETTER_SEGS[shape[7:]])) - STROKE
    edges = POLY_EDGES[shape]
    d = np.sqrt(_segment_dist2(px, py, edges))
    return np.where(_inside_even_odd(px, py, edges), -d, d)
