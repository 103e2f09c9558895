"""Writes the PRNG and numeric-kernel golden fixtures the TypeScript tests compare against.

    /usr/bin/python3 -m models.reference.make_numerics_goldens

Outputs:
- gpu-runner/src/random/__fixtures__/philox.json: Random123 known answers (checked here first) and Box-Muller
  normals of a few (seed, stream, offset) windows;
- gpu-runner/src/numerics/__fixtures__/numerics.json: numpy quantiles, dynamic thresholding, guidance, noise
  augmentation and axpby results. Large inputs are Philox normals (the TypeScript test regenerates them from the
  same stream, which philox.json pins down), small ones are written out.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from . import philox
from .make_scheduler_goldens import short32
from .noise_schedule import alphas_cumprod
from .numerics import cfg_combine, dynamic_threshold, noise_augment, quantile

ROOT = Path(__file__).resolve().parents[2]
GENERATOR = "models/reference/make_numerics_goldens.py"
QS = [0.0, 0.25, 0.5, 0.9, 0.95, 0.995, 0.999, 1.0]


def f64(a) -> list:
    return [float(v) for v in np.asarray(a, dtype=np.float64).ravel()]


def philox_fixture() -> dict:
    philox.check_kat()
    windows = [(42, 0, 0, 8), (42, 1, 0, 8), (43, 0, 0, 8), (0xFFFFFFFF, philox.stream_id(2, 2), 0, 8), (7, 17, 1_000_001, 6)]
    return {
        "generator": GENERATOR,
        "prngId": philox.PRNG_ID,
        "kat": [{"ctr": list(c), "key": list(k), "out": list(o)} for c, k, o in philox.KAT],
        "normals": [{"seed": s, "streamId": sid, "offset": off, "values": short32(philox.normals(s, sid, n, off))} for s, sid, off, n in windows],
    }


def quantile_cases() -> list:
    explicit = [
        [3.0],
        [2.0, 1.0],
        [0.5, 0.25, 1.0, 0.75, 0.0],
        [1.0, 1.0, 1.0, 2.0, 2.0, 0.0, 0.0, 3.0, 1.0],  # ties
        [0.1, 0.7, 0.3, 0.3, 0.9, 0.2, 0.8, 0.4, 0.6, 0.5, 0.05, 0.95, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.15, 0.25],
    ]
    cases = [{"values": short32(v), "q": QS, "expected": [quantile(np.float32(v), q) for q in QS]} for v in explicit]
    for seed, stream, n in [(5, 3, 17), (5, 4, 1000), (6, 3, 12288), (6, 4, 3 * 256 * 256)]:
        x = np.abs(philox.normals(seed, stream, n))
        cases.append({"normals": {"seed": seed, "streamId": stream, "count": n}, "abs": True, "q": QS, "expected": [quantile(x, q) for q in QS]})
    # heavy ties: values clipped to ±1 (what static thresholding leaves behind)
    x = np.clip(np.abs(philox.normals(9, 1, 4096) * 2), 0, 1)
    cases.append({"normals": {"seed": 9, "streamId": 1, "count": 4096}, "abs": True, "scale": 2, "clipTo": 1, "q": QS, "expected": [quantile(x.astype(np.float32), q) for q in QS]})
    return cases


def threshold_cases() -> list:
    out = []
    for batch, per, scale, pct, max_scale in [(3, 1000, 1.5, 0.995, None), (3, 1000, 1.5, 0.9, 1.5), (2, 3 * 8 * 8, 0.5, 0.995, None), (1, 4, 3.0, 0.5, 2.0)]:
        x = (philox.normals(11, batch, batch * per) * np.float32(scale)).astype(np.float32)
        y, s = dynamic_threshold(x.astype(np.float64), batch, pct, max_scale)
        y32 = y.astype(np.float32)
        case = {
            "normals": {"seed": 11, "streamId": batch, "count": batch * per},
            "scale": scale,
            "batch": batch,
            "percentile": pct,
            "scales": f64(s),
            "head": short32(y32[:8]),
            "sum": float(np.sum(y32.astype(np.float64))),
            "sumSquares": float(np.sum(y32.astype(np.float64) ** 2)),
        }
        if max_scale is not None:
            case["maxScale"] = max_scale
        out.append(case)
    return out


def numerics_fixture() -> dict:
    u = np.float32([0.5, -1.25, 3.0, 0.0, -0.001, 2.5])
    c = np.float32([0.25, -1.0, -3.0, 0.0, 0.002, 2.5])
    ac = alphas_cumprod({"type": "cosine", "trainSteps": 1000, "offset": 0.008})
    x = np.float32([1.0, -1.0, 0.5, 0.0, -0.25])
    eps = np.float32([0.3, 0.1, -2.0, 1.5, 0.0])
    return {
        "generator": GENERATOR,
        "quantile": quantile_cases(),
        "dynamicThreshold": threshold_cases(),
        "cfg": {"uncond": short32(u), "cond": short32(c), "cases": [{"scale": s, "out": short32(cfg_combine(u.astype(np.float64), c.astype(np.float64), s))} for s in (0.0, 1.0, 4.0, 7.5)]},
        "noiseAugment": {
            "x": short32(x),
            "noise": short32(eps),
            "cases": [{"cosineT1000Level": t, "alphaBar": float(ac[t]), "out": short32(noise_augment(x.astype(np.float64), eps.astype(np.float64), ac[t]))} for t in (0, 100, 250, 999)],
        },
        "axpby": {"x": short32(u), "y": short32(c), "a": 0.7, "b": -1.3, "out": short32(0.7 * u.astype(np.float64) - 1.3 * c.astype(np.float64))},
    }


def main() -> None:
    files = {
        ROOT / "gpu-runner/src/random/__fixtures__/philox.json": philox_fixture(),
        ROOT / "gpu-runner/src/numerics/__fixtures__/numerics.json": numerics_fixture(),
    }
    for path, data in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, separators=(",", ":")) + "\n")
        print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
