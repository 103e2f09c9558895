"""Checkpoints: a small committed one and a full local one, both written atomically.

models/checkpoints/<stage>/ema.pt            fp16 EMA weights + config + progress (committed, what export reads)
models/.cache/checkpoints/<stage>/state.pt   fp32 model + EMA + optimizer (git-ignored, exact resume)
Resuming prefers the full state; with only the committed file it restarts the
optimizer from the EMA weights.
"""
import copy
import os
from typing import Optional

import torch
from torch import nn

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COMMITTED = os.path.join(ROOT, "models", "checkpoints")
LOCAL = os.path.join(ROOT, "models", ".cache", "checkpoints")


def committed_path(stage: str) -> str:
    return os.path.join(COMMITTED, stage, "ema.pt")


def state_path(stage: str) -> str:
    return os.path.join(LOCAL, stage, "state.pt")


def read(path: str) -> dict:
    """Our own checkpoints, under any torch: 2.6+ defaults to weights_only=True, whose allow-list differs by
    version (1.13's rejects plain Python floats), so the choice is made here, once, for files this repo wrote."""
    return torch.load(path, map_location="cpu", weights_only=False)


def atomic_save(obj, path: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def half_state(module: nn.Module) -> dict:
    return {k: (v.detach().half() if v.is_floating_point() else v.detach()).cpu() for k, v in module.state_dict().items()}


def load_half_state(module: nn.Module, state: dict) -> None:
    ref = module.state_dict()
    module.load_state_dict({k: v.to(ref[k].dtype) for k, v in state.items()})


class EMA:
    """Exponential moving average of weights; decay warms up as min(decay, (1+n)/(10+n))."""

    def __init__(self, model: nn.Module, decay: float = 0.999):
        self.decay = decay
        self.model = copy.deepcopy(model).eval()
        for p in self.model.parameters():
            p.requires_grad_(False)
        self.updates = 0

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        self.updates += 1
        d = min(self.decay, (1 + self.updates) / (10 + self.updates))
        # One fused call over all tensors: a per-parameter loop is ~400 kernel launches per step on a GPU.
        ema_params = list(self.model.parameters())
        torch._foreach_mul_(ema_params, d)
        torch._foreach_add_(ema_params, [p.detach() for p in model.parameters()], alpha=1 - d)
        for e, b in zip(self.model.buffers(), model.buffers()):
            e.copy_(b)


def save(stage: str, config: dict, model: nn.Module, ema: Optional[EMA], optimizer, progress: dict) -> None:
    atomic_save({"config": config, "model": model.state_dict(), "ema": ema.model.state_dict() if ema else None,
                 "ema_updates": ema.updates if ema else 0, "optimizer": optimizer.state_dict() if optimizer else None,
                 "progress": progress}, state_path(stage))
    atomic_save({"config": config, "weights": half_state(ema.model if ema else model), "progress": progress},
                committed_path(stage))


def load(stage: str):
    """The full local state if present, else the committed fp16 one, else None."""
    if os.path.exists(state_path(stage)):
        return {"full": True, **read(state_path(stage))}
    if os.path.exists(committed_path(stage)):
        return {"full": False, **read(committed_path(stage))}
    return None
