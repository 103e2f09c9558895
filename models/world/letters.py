"""Capital letters A-Z as stroke skeletons (polylines) in a local box, y down.

A letter is drawn as the union of round-capped strokes of half-width STROKE around
these polylines. Coordinates are in [-0.65, 0.65] x [-0.95, 0.95] before SCALE.
"""

import math

STROKE = 0.14
SCALE = 0.86  # keeps skeleton + stroke inside [-1, 1]^2

L, R, T, B = -0.65, 0.65, -0.95, 0.95


def arc(cx, cy, rx, ry, deg0, deg1, n=None):
    """Points on an elliptical arc; angles in degrees, 0 = +x, 90 = +y (down)."""
    if n is None:
        n = max(4, int(abs(deg1 - deg0) / 12))
    out = []
    for k in range(n + 1):
        t = math.radians(deg0 + (deg1 - deg0) * k / n)
        out.append((cx + rx * math.cos(t), cy + ry * math.sin(t)))
    return out


def _p_bowl(top, bottom, cx=0.12, rx=0.53):
    ry = (bottom - top) / 2
    return [(L, top), (cx, top)] + arc(cx, top + ry, rx, ry, -90, 90) + [(cx, bottom), (L, bottom)]


_RAW = {
    "A": [[(L, B), (0, T), (R, B)], [(-0.38, 0.3), (0.38, 0.3)]],
    "B": [[(L, B), (L, T)], _p_bowl(T, 0.0, 0.1, 0.45), _p_bowl(0.0, B, 0.12, 0.53)],
    "C": [arc(0.05, 0, 0.7, 0.95, 45, 315)],
    "D": [[(L, T), (L, B)], [(L, T), (-0.05, T)] + arc(-0.05, 0, 0.7, 0.95, -90, 90) + [(-0.05, B), (L, B)]],
    "E": [[(R, T), (L, T), (L, B), (R, B)], [(L, 0), (0.4, 0)]],
    "F": [[(R, T), (L, T), (L, B)], [(L, 0), (0.35, 0)]],
    "G": [arc(0.05, 0, 0.65, 0.95, 310, 0) + [(0.1, 0.0)]],
    "H": [[(L, T), (L, B)], [(R, T), (R, B)], [(L, 0), (R, 0)]],
    "I": [[(0, T), (0, B)], [(-0.38, T), (0.38, T)], [(-0.38, B), (0.38, B)]],
    "J": [[(-0.1, T), (0.55, T)], [(0.3, T), (0.3, 0.5)] + arc(-0.12, 0.5, 0.42, 0.45, 0, 180)],
    "K": [[(L, T), (L, B)], [(0.6, T), (L, 0.15)], [(-0.15, -0.29), (R, B)]],
    "L": [[(L, T), (L, B), (R, B)]],
    "M": [[(L, B), (L, T), (0, 0.35), (R, T), (R, B)]],
    "N": [[(L, B), (L, T), (R, B), (R, T)]],
    "O": [arc(0, 0, 0.65, 0.95, 0, 360, 40)],
    "P": [[(L, B), (L, T)], _p_bowl(T, 0.05)[:-1] + [(L, 0.05)]],
    "Q": [arc(0, 0, 0.65, 0.95, 0, 360, 40), [(0.15, 0.45), (0.72, 1.0)]],
    "R": [[(L, B), (L, T)], _p_bowl(T, 0.05)[:-1] + [(L, 0.05)], [(0.0, 0.05), (R, B)]],
    "S": [arc(0, -0.475, 0.55, 0.475, 330, 90) + arc(0, 0.475, 0.6, 0.475, 270, 510)],
    "T": [[(-0.72, T), (0.72, T)], [(0, T), (0, B)]],
    "U": [[(L, T), (L, 0.3)] + arc(0, 0.3, 0.65, 0.65, 180, 0) + [(R, T)]],
    "V": [[(L, T), (0, B), (R, T)]],
    "W": [[(-0.78, T), (-0.4, B), (0, -0.2), (0.4, B), (0.78, T)]],
    "X": [[(L, T), (R, B)], [(R, T), (L, B)]],
    "Y": [[(L, T), (0, 0)], [(R, T), (0, 0)], [(0, 0), (0, B)]],
    "Z": [[(L, T), (R, T), (L, B), (R, B)]],
}


def letter_segments(letter):
    """Segments [(x0, y0, x1, y1), ...] of one letter, scaled into [-1, 1]^2."""
    segs = []
    for line in _RAW[letter]:
        for (x0, y0), (x1, y1) in zip(line, line[1:]):
            segs.append((x0 * SCALE, y0 * SCALE, x1 * SCALE, y1 * SCALE))
    return segs
