"""The embedded cascade's committed EMA checkpoints, loaded as torch modules.

Shared by the exporter (__main__.py) and the ONNX check (check_onnx.py), so
neither imports the other.
"""
import os

import torch

from models.nets.configs import EMBEDDED
from models.nets.t5_encoder import T5Config, T5Encoder
from models.nets.unet import EfficientUNet, UNetConfig
from models.train.checkpoint import read as read_checkpoint

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EMBEDDED_DIR = os.path.join(ROOT, "models", "embedded")
CHECKPOINTS = os.path.join(ROOT, "models", "checkpoints")
STAGES = tuple(EMBEDDED["stages"])


def _load(stage: str) -> dict:
    path = os.path.join(CHECKPOINTS, stage, "ema.pt")
    if not os.path.exists(path):
        raise SystemExit(f"{path} is missing: train it with `python3 -m models.train --stage {stage} --minutes N`")
    return read_checkpoint(path)


def _weights(module: torch.nn.Module, state: dict) -> torch.nn.Module:
    ref = module.state_dict()
    module.load_state_dict({k: v.to(ref[k].dtype) for k, v in state["weights"].items()})
    return module.eval()


def load_embedded():
    """(encoder, {stage: unet}) in fp32 from the committed fp16 EMA checkpoints."""
    enc_state = _load("encoder")
    enc = _weights(T5Encoder(T5Config(**enc_state["config"]["encoder"])), enc_state)
    stages = {}
    for name in STAGES:
        st = _load(name)
        stages[name] = _weights(EfficientUNet(UNetConfig.from_dict(st["config"]["unet"])), st)
    return enc, stages


def training_summary() -> dict:
    out = {}
    for name in ("encoder",) + STAGES:
        p = _load(name)["progress"]
        out[name] = {k: p.get(k) for k in ("step", "images", "seconds")}
    return out
