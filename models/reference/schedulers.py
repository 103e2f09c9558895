"""diffusers' DDPMScheduler, DDIMScheduler and DPMSolverMultistepScheduler step math, in numpy float64.

Transcribed from huggingface/diffusers src/diffusers/schedulers/scheduling_ddpm.py (variance_type
'fixed_small', clip_sample off), scheduling_ddim.py (set_alpha_to_one=True, steps_offset=0) and
scheduling_dpmsolver_multistep.py (algorithm_type='dpmsolver++', solver_order=2, solver_type='midpoint',
lower_order_final=True, final_sigmas_type='zero'). Differences, all deliberate:
- float64 throughout (diffusers keeps betas/alphas_cumprod/sigmas in float32);
- `boundary` is applied where the TypeScript engine stores float32 arrays (x0, the next sample), so the goldens
  describe exactly the data flow of the engine;
- thresholding is a callable on x0 (numpy's quantile, see numerics.py) instead of torch.quantile.
"""
from __future__ import annotations

from typing import Callable, Optional

import numpy as np

from .noise_schedule import alphas_cumprod, ddpm_timesteps, dpm_solver_timesteps

Array = np.ndarray
Threshold = Optional[Callable[[Array], Array]]


def f32(a: Array) -> Array:
    """Round to float32 and back: the engine's Float32Array storage."""
    return np.asarray(a, dtype=np.float64).astype(np.float32).astype(np.float64)


def _x0(sample: Array, model_output: Array, alpha_prod_t: float, prediction: str) -> Array:
    beta_prod_t = 1 - alpha_prod_t
    if prediction == "eps":
        return (sample - beta_prod_t ** (0.5) * model_output) / alpha_prod_t ** (0.5)
    if prediction == "v":
        return (alpha_prod_t**0.5) * sample - (beta_prod_t**0.5) * model_output
    raise ValueError(prediction)


class DDPM:
    def __init__(self, schedule: dict, prediction: str, spacing: str = "leading"):
        self.ac = alphas_cumprod(schedule)
        self.train_steps = schedule["trainSteps"]
        self.prediction = prediction
        self.spacing = spacing

    def set_timesteps(self, steps: int) -> None:
        self.timesteps = ddpm_timesteps(self.train_steps, steps, self.spacing)

    def previous_timestep(self, index: int) -> int:
        return int(self.timesteps[index + 1]) if index + 1 < len(self.timesteps) else -1

    def step(self, model_output: Array, index: int, sample: Array, noise: Array, threshold: Threshold = None) -> Array:
        t = int(self.timesteps[index])
        prev_t = self.previous_timestep(index)
        # 1. compute alphas, betas
        alpha_prod_t = self.ac[t]
        alpha_prod_t_prev = self.ac[prev_t] if prev_t >= 0 else 1.0
        beta_prod_t = 1 - alpha_prod_t
        beta_prod_t_prev = 1 - alpha_prod_t_prev
        current_alpha_t = alpha_prod_t / alpha_prod_t_prev
        current_beta_t = 1 - current_alpha_t
        # 2. predicted x_0 (formula 15 of Ho et al.)
        pred_original_sample = f32(_x0(sample, model_output, alpha_prod_t, self.prediction))
        # 3. threshold
        if threshold is not None:
            pred_original_sample = f32(threshold(pred_original_sample))
        # 4./5. posterior mean, formula (7)
        pred_original_sample_coeff = (alpha_prod_t_prev ** (0.5) * current_beta_t) / beta_prod_t
        current_sample_coeff = current_alpha_t ** (0.5) * beta_prod_t_prev / beta_prod_t
        pred_prev_sample = pred_original_sample_coeff * pred_original_sample + current_sample_coeff * sample
        # 6. add noise (fixed_small)
        if t > 0:
            variance = (1 - alpha_prod_t_prev) / (1 - alpha_prod_t) * current_beta_t
            variance = max(variance, 1e-20)
            pred_prev_sample = pred_prev_sample + (variance**0.5) * noise
        return f32(pred_prev_sample)


class DDIM:
    def __init__(self, schedule: dict, prediction: str, eta: float = 0.0, spacing: str = "leading", use_clipped_model_output: bool = False):
        self.ac = alphas_cumprod(schedule)
        self.final_alpha_cumprod = 1.0  # set_alpha_to_one=True
        self.train_steps = schedule["trainSteps"]
        self.prediction = prediction
        self.eta = eta
        self.spacing = spacing
        self.use_clipped_model_output = use_clipped_model_output

    def set_timesteps(self, steps: int) -> None:
        self.num_inference_steps = steps
        self.timesteps = ddpm_timesteps(self.train_steps, steps, self.spacing)

    def step(self, model_output: Array, index: int, sample: Array, noise: Array, threshold: Threshold = None) -> Array:
        timestep = int(self.timesteps[index])
        eta = self.eta
        # 1. previous step value
        prev_timestep = timestep - self.train_steps // self.num_inference_steps
        # 2. alphas, betas
        alpha_prod_t = self.ac[timestep]
        alpha_prod_t_prev = self.ac[prev_timestep] if prev_timestep >= 0 else self.final_alpha_cumprod
        beta_prod_t = 1 - alpha_prod_t
        # 3. predicted x_0 (formula 12 of Song et al.)
        pred_original_sample = f32(_x0(sample, model_output, alpha_prod_t, self.prediction))
        if self.prediction == "eps":
            pred_epsilon = model_output
        else:
            pred_epsilon = (alpha_prod_t**0.5) * model_output + (beta_prod_t**0.5) * sample
        # 4. threshold
        if threshold is not None:
            pred_original_sample = f32(threshold(pred_original_sample))
        # 5. variance sigma_t(eta), formula (16)
        beta_prod_t_prev = 1 - alpha_prod_t_prev
        variance = (beta_prod_t_prev / beta_prod_t) * (1 - alpha_prod_t / alpha_prod_t_prev)
        std_dev_t = eta * variance ** (0.5)
        if self.use_clipped_model_output:
            pred_epsilon = (sample - alpha_prod_t ** (0.5) * pred_original_sample) / beta_prod_t ** (0.5)
        # 6. direction pointing to x_t, 7. x_{t-1}
        pred_sample_direction = (1 - alpha_prod_t_prev - std_dev_t**2) ** (0.5) * pred_epsilon
        prev_sample = alpha_prod_t_prev ** (0.5) * pred_original_sample + pred_sample_direction
        if eta > 0:
            prev_sample = prev_sample + std_dev_t * noise
        return f32(prev_sample)


class DPMSolverPP2M:
    def __init__(self, schedule: dict, prediction: str, spacing: str = "linspace"):
        self.ac = alphas_cumprod(schedule)
        self.train_steps = schedule["trainSteps"]
        self.prediction = prediction
        self.spacing = spacing

    def set_timesteps(self, steps: int) -> None:
        self.timesteps = dpm_solver_timesteps(self.train_steps, steps, self.spacing)
        all_sigmas = ((1 - self.ac) / self.ac) ** 0.5
        sigmas = np.interp(self.timesteps, np.arange(0, len(all_sigmas)), all_sigmas)
        self.sigmas = np.concatenate([sigmas, [0.0]])  # final_sigmas_type='zero'
        self.model_outputs: list = [None, None]
        self.lower_order_nums = 0

    @staticmethod
    def _sigma_to_alpha_sigma_t(sigma: float) -> tuple[float, float]:
        alpha_t = 1 / ((sigma**2 + 1) ** 0.5)
        return alpha_t, sigma * alpha_t

    def convert_model_output(self, model_output: Array, index: int, sample: Array, threshold: Threshold) -> Array:
        alpha_t, sigma_t = self._sigma_to_alpha_sigma_t(self.sigmas[index])
        if self.prediction == "eps":
            x0_pred = (sample - sigma_t * model_output) / alpha_t
        else:
            x0_pred = alpha_t * sample - sigma_t * model_output
        x0_pred = f32(x0_pred)
        if threshold is not None:
            x0_pred = f32(threshold(x0_pred))
        return x0_pred

    def _lambdas(self, *sigmas: float) -> list[tuple[float, float, float]]:
        out = []
        with np.errstate(divide="ignore"):
            for s in sigmas:
                alpha, sigma = self._sigma_to_alpha_sigma_t(s)
                out.append((alpha, sigma, np.log(alpha) - np.log(sigma)))
        return out

    def first_order_update(self, model_output: Array, index: int, sample: Array) -> Array:
        (alpha_t, sigma_t, lambda_t), (alpha_s, sigma_s, lambda_s) = self._lambdas(self.sigmas[index + 1], self.sigmas[index])
        h = lambda_t - lambda_s
        return (sigma_t / sigma_s) * sample - (alpha_t * (np.exp(-h) - 1.0)) * model_output

    def second_order_update(self, index: int, sample: Array) -> Array:
        (alpha_t, sigma_t, lambda_t), (alpha_s0, sigma_s0, lambda_s0), (_, _, lambda_s1) = self._lambdas(
            self.sigmas[index + 1], self.sigmas[index], self.sigmas[index - 1]
        )
        m0, m1 = self.model_outputs[-1], self.model_outputs[-2]
        h, h_0 = lambda_t - lambda_s0, lambda_s0 - lambda_s1
        r0 = h_0 / h
        D0, D1 = m0, (1.0 / r0) * (m0 - m1)
        return (sigma_t / sigma_s0) * sample - (alpha_t * (np.exp(-h) - 1.0)) * D0 - 0.5 * (alpha_t * (np.exp(-h) - 1.0)) * D1

    def step(self, model_output: Array, index: int, sample: Array, noise: Array, threshold: Threshold = None) -> Array:
        n = len(self.timesteps)
        lower_order_final = index == n - 1  # final_sigmas_type == 'zero'
        model_output = self.convert_model_output(model_output, index, sample, threshold)
        self.model_outputs[0] = self.model_outputs[1]
        self.model_outputs[1] = model_output
        if self.lower_order_nums < 1 or lower_order_final:
            prev_sample = self.first_order_update(model_output, index, sample)
        else:
            prev_sample = self.second_order_update(index, sample)
        if self.lower_order_nums < 2:
            self.lower_order_nums += 1
        return f32(prev_sample)


def create(name: str, schedule: dict, prediction: str, **kwargs):
    if name == "ddpm":
        return DDPM(schedule, prediction, **kwargs)
    if name == "ddim":
        return DDIM(schedule, prediction, **kwargs)
    if name == "dpmpp-2m":
        return DPMSolverPP2M(schedule, prediction, **kwargs)
    raise ValueError(name)
