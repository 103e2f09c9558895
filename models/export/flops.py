"""Multiply-accumulates per model call, counted with forward hooks (for the model card).

Counts Conv2d, Linear and the attention matmuls (QK^T and AV); norms, activations
and elementwise ops are left out (a few percent at most).

usage: python3 -m models.export.flops [--model embedded|tiny]
"""
import argparse
import json

import torch
from torch import nn

from models.nets.layers import CrossAttention, SelfAttention
from models.nets.t5_encoder import _Layer


def count_macs(model: nn.Module, *inputs) -> int:
    total = [0]

    def conv(m: nn.Conv2d, inp, out):
        total[0] += out.numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]

    def linear(m: nn.Linear, inp, out):
        total[0] += out.numel() * m.in_features

    def self_attn(m: SelfAttention, inp, out):
        b, c, h, w = inp[0].shape
        total[0] += 2 * b * (h * w) ** 2 * c

    def cross_attn(m: CrossAttention, inp, out):
        b, c, h, w = inp[0].shape
        total[0] += 2 * b * h * w * (inp[1].shape[1] + 1) * c

    def t5_layer(m: _Layer, inp, out):
        b, l, d = inp[0].shape
        total[0] += 2 * b * l * l * d

    hooks = []
    for mod in model.modules():
        for kind, fn in ((nn.Conv2d, conv), (nn.Linear, linear), (SelfAttention, self_attn),
                         (CrossAttention, cross_attn), (_Layer, t5_layer)):
            if isinstance(mod, kind):
                hooks.append(mod.register_forward_hook(fn))
    with torch.no_grad():
        model.eval()(*inputs)
    for h in hooks:
        h.remove()
    return total[0]


def cascade_macs(encoder, stages: dict, resolutions: dict) -> dict:
    """MACs for one call at batch 1: the encoder on maxTokens, each stage at its resolution."""
    L, D = encoder.cfg.max_tokens, encoder.cfg.d_model
    ids = torch.ones(1, L, dtype=torch.long)
    mask = torch.ones(1, L, dtype=torch.long)
    out = {"encoder": count_macs(encoder, ids, mask)}
    for name, unet in stages.items():
        r = resolutions[name]
        args = [torch.zeros(1, unet.cfg.in_channels, r, r), torch.zeros(1), torch.zeros(1, L, D), mask]
        if unet.cfg.noise_cond:
            args.append(torch.zeros(1, dtype=torch.long))
        out[name] = count_macs(unet, *args)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="embedded", choices=["embedded", "tiny"])
    args = ap.parse_args(argv)
    from models.nets.configs import CASCADES
    from models.nets.t5_encoder import T5Encoder
    from models.nets.unet import EfficientUNet, count_params
    cascade = CASCADES[args.model]
    enc = T5Encoder(cascade["encoder"])
    stages = {n: EfficientUNet(s["unet"]) for n, s in cascade["stages"].items()}
    macs = cascade_macs(enc, stages, {n: s["resolution"] for n, s in cascade["stages"].items()})
    params = {"encoder": count_params(enc), **{n: count_params(u) for n, u in stages.items()}}
    print(json.dumps({n: {"params": params[n], "gmacs": round(macs[n] / 1e9, 3), "gflops": round(2 * macs[n] / 1e9, 3)}
                      for n in macs}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
