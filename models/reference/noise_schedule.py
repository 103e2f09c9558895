"""diffusers' noise schedules and timestep spacings, reimplemented in numpy float64.

Formulas follow huggingface/diffusers src/diffusers/schedulers/scheduling_ddpm.py,
scheduling_ddim.py and scheduling_dpmsolver_multistep.py (betas_for_alpha_bar,
beta_schedule 'linear' / 'squaredcos_cap_v2', set_timesteps). diffusers keeps
betas in float32; here everything stays float64 (the TypeScript engine does the same).
"""
from __future__ import annotations

import math

import numpy as np


def cosine_betas(train_steps: int, offset: float = 0.008, max_beta: float = 0.999) -> np.ndarray:
    """betas_for_alpha_bar(alpha_transform_type='cosine'), with the offset s as a parameter (diffusers: 0.008)."""

    def alpha_bar_fn(t: float) -> float:
        return math.cos((t + offset) / (1 + offset) * math.pi / 2) ** 2

    betas = []
    for i in range(train_steps):
        t1 = i / train_steps
        t2 = (i + 1) / train_steps
        betas.append(min(1 - alpha_bar_fn(t2) / alpha_bar_fn(t1), max_beta))
    return np.array(betas, dtype=np.float64)


def linear_betas(train_steps: int, beta_start: float = 0.0001, beta_end: float = 0.02) -> np.ndarray:
    return np.linspace(beta_start, beta_end, train_steps, dtype=np.float64)


def betas_for(schedule: dict) -> np.ndarray:
    if schedule["type"] == "cosine":
        return cosine_betas(schedule["trainSteps"], schedule.get("offset", 0.008))
    if schedule["type"] == "linear":
        return linear_betas(schedule["trainSteps"], schedule.get("betaStart", 0.0001), schedule.get("betaEnd", 0.02))
    raise ValueError(schedule["type"])


def alphas_cumprod(schedule: dict) -> np.ndarray:
    return np.cumprod(1.0 - betas_for(schedule))


def _dedupe(ts: np.ndarray) -> np.ndarray:
    # keep the first of equal neighbours (older diffusers' DPMSolver did np.unique for steps == trainSteps)
    keep = np.ones(ts.size, dtype=bool)
    keep[1:] = ts[1:] != ts[:-1]
    return ts[keep]


def ddpm_timesteps(train_steps: int, steps: int, spacing: str) -> np.ndarray:
    """DDPMScheduler / DDIMScheduler.set_timesteps (steps_offset = 0)."""
    if spacing == "linspace":
        ts = np.linspace(0, train_steps - 1, steps).round()[::-1].copy().astype(np.int64)
    elif spacing == "leading":
        step_ratio = train_steps // steps
        ts = (np.arange(0, steps) * step_ratio).round()[::-1].copy().astype(np.int64)
    elif spacing == "trailing":
        step_ratio = train_steps / steps
        # [:steps]: np.arange's float length can come out one too long (e.g. 103 of 1000 steps), which in diffusers
        # appends a spurious timestep -1
        ts = np.round(np.arange(train_steps, 0, -step_ratio)[:steps]).astype(np.int64) - 1
    else:
        raise ValueError(spacing)
    return _dedupe(ts)


def dpm_solver_timesteps(train_steps: int, steps: int, spacing: str) -> np.ndarray:
    """DPMSolverMultistepScheduler.set_timesteps (lambda_min_clipped = -inf, so last_timestep = train_steps)."""
    last_timestep = train_steps
    if spacing == "linspace":
        ts = np.linspace(0, last_timestep - 1, steps + 1).round()[::-1][:-1].copy().astype(np.int64)
    elif spacing == "leading":
        if steps >= train_steps:
            raise ValueError("dpm-solver 'leading' needs steps < train_steps (diffusers returns all zeros)")
        step_ratio = last_timestep // (steps + 1)
        ts = (np.arange(0, steps + 1) * step_ratio).round()[::-1][:-1].copy().astype(np.int64)
    elif spacing == "trailing":
        step_ratio = train_steps / steps
        ts = np.arange(last_timestep, 0, -step_ratio)[:steps].round().copy().astype(np.int64) - 1
    else:
        raise ValueError(spacing)
    return _dedupe(ts)
