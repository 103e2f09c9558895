"""Noise schedules and the forward process, matching gpu-runner's manifest schema exactly.

alphaBar[t] = prod_{i<=t} (1 - beta_i) for integer t in [0, T) (the diffusers
convention the engine's schedulers use); alpha = sqrt(alphaBar), sigma = sqrt(1 - alphaBar).
"""
import math

import torch


def cosine_alpha_bar(train_steps: int, offset: float = 0.008) -> torch.Tensor:
    """Nichol & Dhariwal 2021 'squaredcos_cap_v2': betas capped at 0.999, float64."""

    def f(u: float) -> float:
        return math.cos((u + offset) / (1 + offset) * math.pi / 2) ** 2

    betas = torch.tensor([min(1 - f((i + 1) / train_steps) / f(i / train_steps), 0.999) for i in range(train_steps)],
                         dtype=torch.float64)
    return torch.cumprod(1.0 - betas, dim=0)


def linear_alpha_bar(train_steps: int, beta_start: float = 1e-4, beta_end: float = 0.02) -> torch.Tensor:
    betas = torch.linspace(beta_start, beta_end, train_steps, dtype=torch.float64)
    return torch.cumprod(1.0 - betas, dim=0)


def alpha_bar_for(schedule: dict) -> torch.Tensor:
    if schedule["type"] == "cosine":
        return cosine_alpha_bar(schedule["trainSteps"], schedule.get("offset", 0.008))
    if schedule["type"] == "linear":
        return linear_alpha_bar(schedule["trainSteps"], schedule.get("betaStart", 1e-4), schedule.get("betaEnd", 0.02))
    raise ValueError(f"schedule.type must be 'cosine' or 'linear', got {schedule['type']!r}")


class Diffusion:
    def __init__(self, schedule: dict, device: str = "cpu"):
        self.schedule = schedule
        self.alpha_bar = alpha_bar_for(schedule).to(torch.float32).to(device)
        self.train_steps = len(self.alpha_bar)

    def alpha_sigma(self, t: torch.Tensor):
        ab = self.alpha_bar[t.long()][:, None, None, None]
        return ab.sqrt(), (1 - ab).sqrt()

    def q_sample(self, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        alpha, sigma = self.alpha_sigma(t)
        return alpha * x0 + sigma * noise

    def target(self, prediction: str, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        if prediction == "v":
            alpha, sigma = self.alpha_sigma(t)
            return alpha * noise - sigma * x0
        if prediction in ("eps", "eps-learned-range"):
            return noise
        raise ValueError(f"prediction must be 'eps', 'v' or 'eps-learned-range', got {prediction!r}")

    def pred_x0(self, prediction: str, x_t: torch.Tensor, t: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        alpha, sigma = self.alpha_sigma(t)
        if prediction == "v":
            return alpha * x_t - sigma * out
        return (x_t - sigma * out[:, :3]) / alpha


if __name__ == "__main__":
    import json
    import sys
    # Prints the alphaBar table of a schedule given as JSON (the engine parity test reads it).
    print(json.dumps(alpha_bar_for(json.loads(sys.argv[1])).tolist()))
