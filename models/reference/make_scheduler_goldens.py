"""Writes the scheduler golden fixtures the TypeScript tests compare against.

    /usr/bin/python3 -m models.reference.make_scheduler_goldens

Outputs (gpu-runner/src/schedulers/__fixtures__/):
- noise-schedules.json: betas / alphaBar of diffusers' 'squaredcos_cap_v2' and 'linear' schedules at sample indices;
- timesteps.json: set_timesteps results of the DDPM/DDIM and DPM-Solver families for every spacing;
- scheduler-goldens.json: whole sampling runs of a toy model (below) through the reference DDPM, DDIM and
  DPM-Solver++(2M) of schedulers.py, with fixed x_T and per-step noise written into the fixture.

Toy model (implemented identically in gpu-runner/src/schedulers/golden.case.ts): for flat element j at timestep t,
    g_j = 1.5·tanh(x_j) + 0.3·cos(0.7·j + t/150)      (the model's "x0" guess)
    eps = (x − α_t·g)/σ_t,   v = α_t·eps − σ_t·g      (float64, stored as float32)
A model that is consistent with some x0 keeps x0 = O(1), so float32 storage is not amplified by 1/α_t.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from . import schedulers
from .noise_schedule import alphas_cumprod, betas_for, ddpm_timesteps, dpm_solver_timesteps
from .numerics import dynamic_threshold

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "gpu-runner" / "src" / "schedulers" / "__fixtures__"
GENERATOR = "models/reference/make_scheduler_goldens.py"

SCHEDULES = {
    "cosine": {"type": "cosine", "trainSteps": 1000, "offset": 0.008},
    "linear": {"type": "linear", "trainSteps": 1000, "betaStart": 0.0001, "betaEnd": 0.02},
}
SHAPE = (2, 8)  # [batch, values per image]
NOISE_STEPS = 20


def short32(values) -> list:
    """float32 values as the shortest decimal that rounds back to the same float32."""
    return [float(repr(np.float32(v)).replace("np.float32(", "").rstrip(")")) for v in np.asarray(values, dtype=np.float32).ravel()]


def toy_model(x: np.ndarray, t: int, ac: np.ndarray, prediction: str) -> np.ndarray:
    j = np.arange(x.size, dtype=np.float64)
    g = 1.5 * np.tanh(x) + 0.3 * np.cos(0.7 * j + t / 150)
    alpha, sigma = np.sqrt(ac[t]), np.sqrt(1 - ac[t])
    eps = (x - alpha * g) / sigma
    out = eps if prediction == "eps" else alpha * eps - sigma * g
    return schedulers.f32(out)


def run_case(case: dict, x_t: np.ndarray, noise: np.ndarray) -> dict:
    schedule = SCHEDULES[case["schedule"]]
    kwargs = {}
    if "spacing" in case:
        kwargs["spacing"] = case["spacing"]
    if case["sampler"] == "ddim":
        kwargs["eta"] = case.get("eta", 0.0)
        # the engine re-derives eps from the thresholded x0 (GLIDE); unthresholded cases use diffusers' default
        kwargs["use_clipped_model_output"] = "thresholding" in case
    sched = schedulers.create(case["sampler"], schedule, case["prediction"], **kwargs)
    sched.set_timesteps(case["steps"])
    ac = alphas_cumprod(schedule)
    threshold = None
    if "thresholding" in case:
        th = case["thresholding"]
        threshold = lambda x0: dynamic_threshold(x0.reshape(SHAPE), SHAPE[0], th["percentile"], th.get("maxScale"))[0].ravel()  # noqa: E731
    x = x_t.copy()
    sums = []
    for i, t in enumerate(sched.timesteps):
        out = toy_model(x, int(t), ac, case["prediction"])
        x = sched.step(out, i, x, noise[i], threshold)
        sums.append(float(np.sum(x)))
    return {**case, "timesteps": [int(t) for t in sched.timesteps], "stepSums": sums, "final": short32(x)}


CASES = [
    *[
        {"name": f"{s}-{sch}-{p}", "sampler": s, "schedule": sch, "prediction": p, "steps": 10}
        for s in ("ddpm", "ddim", "dpmpp-2m")
        for sch in ("cosine", "linear")
        for p in ("eps", "v")
    ],
    *[
        {"name": f"{s}-cosine-eps-dynamic", "sampler": s, "schedule": "cosine", "prediction": "eps", "steps": 10, "thresholding": {"percentile": 0.9, "maxScale": 1.5}}
        for s in ("ddpm", "ddim", "dpmpp-2m")
    ],
    {"name": "ddim-eta1-linear-v", "sampler": "ddim", "schedule": "linear", "prediction": "v", "steps": 10, "eta": 1.0},
    {"name": "dpmpp-2m-linear-eps-20", "sampler": "dpmpp-2m", "schedule": "linear", "prediction": "eps", "steps": 20},
    {"name": "ddpm-trailing-cosine-v", "sampler": "ddpm", "schedule": "cosine", "prediction": "v", "steps": 7, "spacing": "trailing"},
    {"name": "dpmpp-2m-trailing-cosine-eps", "sampler": "dpmpp-2m", "schedule": "cosine", "prediction": "eps", "steps": 7, "spacing": "trailing"},
    {"name": "ddim-1-step-cosine-eps", "sampler": "ddim", "schedule": "cosine", "prediction": "eps", "steps": 1},
]


def noise_schedule_fixture() -> dict:
    idx = [0, 1, 2, 10, 100, 500, 900, 997, 998, 999]
    variants = {
        **SCHEDULES,
        "cosine-small": {"type": "cosine", "trainSteps": 10, "offset": 0.1},
        "linear-custom": {"type": "linear", "trainSteps": 50, "betaStart": 0.00085, "betaEnd": 0.012},
    }
    out = {}
    for name, s in variants.items():
        betas = betas_for(s)
        ac = np.cumprod(1.0 - betas)
        ii = [i for i in idx if i < s["trainSteps"]] if s["trainSteps"] > 50 else list(range(s["trainSteps"]))
        out[name] = {"schedule": s, "indices": ii, "betas": [float(betas[i]) for i in ii], "alphaBar": [float(ac[i]) for i in ii]}
    return out


def timesteps_fixture() -> dict:
    families = {"ddpm": ddpm_timesteps, "dpm-solver": dpm_solver_timesteps}
    listed = [1, 2, 3, 7, 10, 20, 50, 103]
    out: dict = {"listed": {}, "checksums": {}}
    for fam, fn in families.items():
        for spacing in ("leading", "trailing", "linspace"):
            key = f"{fam}/{spacing}"
            out["listed"][key] = {str(s): [int(t) for t in fn(1000, s, spacing)] for s in listed}
            # every valid steps in [1, T] for a few T: total length and Σ_steps Σ_i (i + 1)·(t_i + 1), exact in float64
            for T in (10, 1000, 1024):
                total_len, weighted = 0, 0
                max_steps = T - 1 if (fam, spacing) == ("dpm-solver", "leading") else T
                for s in range(1, max_steps + 1):
                    ts = fn(T, s, spacing)
                    total_len += len(ts)
                    weighted += int(np.sum((np.arange(len(ts)) + 1) * (ts + 1)))
                out["checksums"][f"{key}/{T}"] = {"totalLength": total_len, "weighted": weighted}
    return out


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20240611)
    x_t = schedulers.f32(rng.standard_normal(SHAPE[0] * SHAPE[1]))
    noise = schedulers.f32(rng.standard_normal((NOISE_STEPS, SHAPE[0] * SHAPE[1])))
    goldens = {
        "generator": GENERATOR,
        "shape": list(SHAPE),
        "schedules": SCHEDULES,
        "xT": short32(x_t),
        "noise": [short32(row) for row in noise],
        "cases": [run_case(c, x_t, noise) for c in CASES],
    }
    files = {
        "scheduler-goldens.json": goldens,
        "noise-schedules.json": {"generator": GENERATOR, **noise_schedule_fixture()},
        "timesteps.json": {"generator": GENERATOR, **timesteps_fixture()},
    }
    for name, data in files.items():
        path = OUT / name
        path.write_text(json.dumps(data, separators=(",", ":")) + "\n")
        print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
