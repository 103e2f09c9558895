"""Efficient U-Net (Imagen appendix B), one class for the base and both SR stages.

Efficient U-Net traits kept here:
- more ResNet blocks at low resolution (num_res_blocks grows towards the bottom),
- skip connections scaled by 1/sqrt(2),
- in the down path the (strided-conv) downsampling comes BEFORE the ResNet blocks,
  in the up path the upsampling comes after them,
- text enters by cross-attention at the chosen (low) resolutions and by a pooled
  (masked mean) text embedding added to the timestep embedding,
- SR stages take concat(x_t, noise-augmented upsampled low-res) and the
  augmentation level `noise_level`, embedded and added to the timestep embedding.

`patch` > 1 folds patch x patch pixels into channels (space-to-depth) before the
first conv and unfolds them after the last one; the 1024 stage uses it so that no
convolution ever runs at 1024 x 1024, which keeps a model call within a few CPU
seconds. The network stays fully convolutional either way.

`x0_as_v` (a noise schedule): the network body predicts the clean image x0 and
the model outputs the v it implies, v = (alpha_t * x_t - x0) / sigma_t, with
alpha/sigma looked up (linearly interpolated) from the schedule. The output
still means v to the engine, exactly. The 1024 stage uses it: with 4x4 folding
a v (or eps) target would require every folded position to pass 48 independent
noise values of x_t through the network, while x0 is smooth.
"""
import math
from dataclasses import asdict, dataclass, field
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from .layers import (CrossAttention, Downsample, ResBlock, SelfAttention, Upsample, masked_mean, norm,
                     text_bias_from_mask, timestep_embedding, zero_)

SKIP_SCALE = 1.0 / math.sqrt(2.0)


@dataclass
class UNetConfig:
    in_channels: int = 3
    out_channels: int = 3
    channels: Tuple[int, ...] = (64, 128, 256)
    num_res_blocks: Tuple[int, ...] = (1, 2, 3)
    self_attn: Tuple[bool, ...] = (False, True, True)
    cross_attn: Tuple[bool, ...] = (False, True, True)
    text_dim: int = 256
    emb_dim: int = 256
    head_dim: int = 32
    groups: int = 8
    noise_cond: bool = False
    patch: int = 1
    x0_as_v: Optional[dict] = None
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        d = asdict(self)
        for k in ("channels", "num_res_blocks", "self_attn", "cross_attn"):
            d[k] = list(d[k])
        return d

    @staticmethod
    def from_dict(d: dict) -> "UNetConfig":
        d = dict(d)
        for k in ("channels", "num_res_blocks", "self_attn", "cross_attn"):
            d[k] = tuple(d[k])
        return UNetConfig(**d)


class _Level(nn.Module):
    """ResNet blocks followed by optional self- and cross-attention, at one resolution."""

    def __init__(self, cfg: UNetConfig, in_ch: int, ch: int, n_blocks: int, self_attn: bool, cross_attn: bool):
        super().__init__()
        self.blocks = nn.ModuleList(
            [ResBlock(in_ch if i == 0 else ch, ch, cfg.emb_dim, cfg.groups) for i in range(n_blocks)])
        self.self_attn = SelfAttention(ch, cfg.head_dim, cfg.groups) if self_attn else None
        self.cross_attn = CrossAttention(ch, cfg.text_dim, cfg.head_dim, cfg.groups) if cross_attn else None

    def forward(self, h, emb, text, text_bias):
        for blk in self.blocks:
            h = blk(h, emb)
        if self.self_attn is not None:
            h = self.self_attn(h)
        if self.cross_attn is not None:
            h = self.cross_attn(h, text, text_bias)
        return h


class EfficientUNet(nn.Module):
    def __init__(self, cfg: UNetConfig):
        super().__init__()
        n = len(cfg.channels)
        assert len(cfg.num_res_blocks) == n and len(cfg.self_attn) == n and len(cfg.cross_attn) == n
        assert all(b >= 1 for b in cfg.num_res_blocks), "every level needs at least one ResNet block"
        self.cfg = cfg
        ch0, p2 = cfg.channels[0], cfg.patch * cfg.patch
        self.time_mlp = nn.Sequential(nn.Linear(ch0, cfg.emb_dim), nn.SiLU(), nn.Linear(cfg.emb_dim, cfg.emb_dim))
        self.text_pool = nn.Sequential(nn.LayerNorm(cfg.text_dim), nn.Linear(cfg.text_dim, cfg.emb_dim))
        self.noise_mlp = (nn.Sequential(nn.Linear(ch0, cfg.emb_dim), nn.SiLU(), nn.Linear(cfg.emb_dim, cfg.emb_dim))
                          if cfg.noise_cond else None)
        self.conv_in = nn.Conv2d(cfg.in_channels * p2, ch0, 3, padding=1)

        self.downs = nn.ModuleList()
        self.down_levels = nn.ModuleList()
        prev = ch0
        for i, ch in enumerate(cfg.channels):
            self.downs.append(Downsample(prev, ch) if i > 0 else nn.Identity())
            self.down_levels.append(_Level(cfg, prev if i == 0 else ch, ch, cfg.num_res_blocks[i],
                                           cfg.self_attn[i], cfg.cross_attn[i]))
            prev = ch
        last = cfg.channels[-1]
        self.mid = _Level(cfg, last, last, 2, cfg.self_attn[-1], cfg.cross_attn[-1])

        self.up_levels = nn.ModuleList()
        self.ups = nn.ModuleList()
        for i in reversed(range(n)):
            ch = cfg.channels[i]
            self.up_levels.append(_Level(cfg, 2 * ch, ch, cfg.num_res_blocks[i], cfg.self_attn[i], cfg.cross_attn[i]))
            self.ups.append(Upsample(ch, cfg.channels[i - 1]) if i > 0 else nn.Identity())
        self.out_norm = norm(ch0, cfg.groups)
        self.conv_out = zero_(nn.Conv2d(ch0, cfg.out_channels * p2, 3, padding=1))
        if cfg.x0_as_v is not None:
            from .diffusion import alpha_bar_for
            ab = alpha_bar_for(cfg.x0_as_v).to(torch.float32)
            self.register_buffer("v_alpha", ab.sqrt(), persistent=False)
            self.register_buffer("v_sigma", (1 - ab).sqrt(), persistent=False)

    def forward(self, sample: torch.Tensor, timestep: torch.Tensor, encoder_hidden_states: torch.Tensor,
                encoder_attention_mask: torch.Tensor, noise_level: Optional[torch.Tensor] = None) -> torch.Tensor:
        cfg = self.cfg
        ch0 = cfg.channels[0]
        emb = self.time_mlp(timestep_embedding(timestep, ch0))
        emb = emb + self.text_pool(masked_mean(encoder_hidden_states, encoder_attention_mask))
        if self.noise_mlp is not None:
            assert noise_level is not None, "an SR stage needs noise_level"
            emb = emb + self.noise_mlp(timestep_embedding(noise_level.to(torch.float32), ch0))
        text_bias = text_bias_from_mask(encoder_attention_mask)
        text = encoder_hidden_states

        h = sample
        if cfg.patch > 1:
            h = F.pixel_unshuffle(h, cfg.patch)
        h = self.conv_in(h)
        skips = []
        for down, level in zip(self.downs, self.down_levels):
            h = level(down(h), emb, text, text_bias)
            skips.append(h)
        h = self.mid(h, emb, text, text_bias)
        for level, up in zip(self.up_levels, self.ups):
            h = torch.cat([h, skips.pop() * SKIP_SCALE], dim=1)
            h = up(level(h, emb, text, text_bias))
        h = self.conv_out(F.silu(self.out_norm(h)))
        if cfg.patch > 1:
            h = F.pixel_shuffle(h, cfg.patch)
        if cfg.x0_as_v is not None:
            h = self._x0_to_v(sample[:, :3], timestep, h)
        return h

    def _x0_to_v(self, x_t: torch.Tensor, timestep: torch.Tensor, x0: torch.Tensor) -> torch.Tensor:
        last = self.v_alpha.shape[0] - 1
        t = timestep.to(torch.float32).clamp(0, last)
        i0 = t.floor().long()
        i1 = (i0 + 1).clamp(max=last)
        w = (t - i0.to(torch.float32))[:, None, None, None]
        alpha = torch.lerp(self.v_alpha[i0][:, None, None, None], self.v_alpha[i1][:, None, None, None], w)
        sigma = torch.lerp(self.v_sigma[i0][:, None, None, None], self.v_sigma[i1][:, None, None, None], w)
        return (alpha * x_t - x0) / sigma


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
