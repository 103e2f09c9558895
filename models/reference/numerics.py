"""Reference numerics: dynamic/static thresholding (numpy's linear quantile), guidance, noise augmentation."""
from __future__ import annotations

from typing import Optional

import numpy as np


def quantile(values: np.ndarray, q: float) -> float:
    """numpy's default ('linear') quantile, in float64."""
    return float(np.quantile(np.asarray(values, dtype=np.float64), q))


def dynamic_threshold(x0: np.ndarray, batch: int, percentile: float, max_scale: Optional[float] = None) -> tuple[np.ndarray, np.ndarray]:
    """Imagen §2.3 / diffusers _threshold_sample, per image: returns (thresholded x0, s per image)."""
    flat = np.asarray(x0, dtype=np.float64).reshape(batch, -1)
    s = np.array([quantile(np.abs(row), percentile) for row in flat])
    s = np.maximum(s, 1.0)
    if max_scale is not None:
        s = np.minimum(s, max_scale)
    out = np.clip(flat, -s[:, None], s[:, None]) / s[:, None]
    return out.reshape(np.shape(x0)), s


def cfg_combine(uncond: np.ndarray, cond: np.ndarray, scale: float) -> np.ndarray:
    return uncond + scale * (cond - uncond)


def noise_augment(x: np.ndarray, noise: np.ndarray, alpha_bar: float) -> np.ndarray:
    return np.sqrt(alpha_bar) * x + np.sqrt(1 - alpha_bar) * noise
