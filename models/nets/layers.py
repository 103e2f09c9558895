"""Building blocks of the Efficient U-Net (Imagen, Saharia et al. 2022, appendix B).

Every op here exports to ONNX opset 17 with a dynamic batch axis and dynamic
spatial size, so the SR stages stay fully convolutional after export.
"""
import math

import torch
import torch.nn.functional as F
from torch import nn

# Masked logits use a finite large negative: -inf turns a fully masked row into NaN.
MASK_VALUE = -1e9


def timestep_embedding(t: torch.Tensor, dim: int, max_period: float = 10000.0) -> torch.Tensor:
    """Transformer sinusoidal embedding of a float timestep [B] -> [B, dim]."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    args = t.float()[:, None] * freqs[None, :]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


def norm(channels: int, groups: int) -> nn.GroupNorm:
    g = math.gcd(channels, groups)
    return nn.GroupNorm(g, channels, eps=1e-5)


def zero_(module: nn.Module) -> nn.Module:
    for p in module.parameters():
        nn.init.zeros_(p)
    return module


class ResBlock(nn.Module):
    """GroupNorm-SiLU-conv twice; the conditioning embedding modulates the second norm (scale-shift, FiLM)."""

    def __init__(self, in_ch: int, out_ch: int, emb_dim: int, groups: int):
        super().__init__()
        self.norm1 = norm(in_ch, groups)
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, padding=1)
        self.emb = nn.Linear(emb_dim, 2 * out_ch)
        self.norm2 = norm(out_ch, groups)
        self.conv2 = zero_(nn.Conv2d(out_ch, out_ch, 3, padding=1))
        self.skip = nn.Conv2d(in_ch, out_ch, 1) if in_ch != out_ch else nn.Identity()

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        scale, shift = self.emb(F.silu(emb))[:, :, None, None].chunk(2, dim=1)
        h = self.norm2(h) * (1 + scale) + shift
        h = self.conv2(F.silu(h))
        return h + self.skip(x)


def _attend(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, bias: torch.Tensor = None,
            matmul_nt=None) -> torch.Tensor:
    """q [B, h, N, d], k/v [B, h, M, d], bias broadcastable to [B, h, N, M].
    `matmul_nt(a, b)` = a @ b^T, when given (onednn.route_matmuls sets it for CPU training)."""
    if matmul_nt is None:
        w = torch.matmul(q, k.transpose(-1, -2)) * (q.shape[-1] ** -0.5)
    else:
        w = matmul_nt(q, k) * (q.shape[-1] ** -0.5)
    if bias is not None:
        w = w + bias
    a = torch.softmax(w, dim=-1)
    return torch.matmul(a, v) if matmul_nt is None else matmul_nt(a, v.transpose(-1, -2))


class SelfAttention(nn.Module):
    def __init__(self, ch: int, head_dim: int, groups: int):
        super().__init__()
        self.heads = max(1, ch // head_dim)
        self.matmul_nt = None  # see _attend
        self.norm = norm(ch, groups)
        self.qkv = nn.Conv2d(ch, 3 * ch, 1)
        self.proj = zero_(nn.Conv2d(ch, ch, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, hgt, wid = x.shape
        qkv = self.qkv(self.norm(x)).reshape(b, 3, self.heads, c // self.heads, hgt * wid)
        q, k, v = (qkv[:, i].transpose(-1, -2) for i in range(3))
        out = _attend(q, k, v, None, self.matmul_nt).transpose(-1, -2).reshape(b, c, hgt, wid)
        return x + self.proj(out)


class CrossAttention(nn.Module):
    """Image queries attend to text tokens; a learned null key/value keeps every row attendable."""

    def __init__(self, ch: int, text_dim: int, head_dim: int, groups: int):
        super().__init__()
        self.heads = max(1, ch // head_dim)
        self.matmul_nt = None  # see _attend
        self.norm = norm(ch, groups)
        self.text_norm = nn.LayerNorm(text_dim)
        self.q = nn.Conv2d(ch, ch, 1)
        self.kv = nn.Linear(text_dim, 2 * ch)
        self.null_kv = nn.Parameter(torch.randn(2, ch) * 0.02)
        self.proj = zero_(nn.Conv2d(ch, ch, 1))

    def forward(self, x: torch.Tensor, text: torch.Tensor, text_bias: torch.Tensor) -> torch.Tensor:
        """text [B, L, D]; text_bias [B, 1, 1, L+1] additive mask (null token first)."""
        b, c, hgt, wid = x.shape
        hd = c // self.heads
        q = self.q(self.norm(x)).reshape(b, self.heads, hd, hgt * wid).transpose(-1, -2)
        kv = self.kv(self.text_norm(text))  # [B, L, 2C]
        null = self.null_kv.reshape(1, 1, 2 * c).expand(b, 1, 2 * c)
        kv = torch.cat([null, kv], dim=1)
        k, v = kv.chunk(2, dim=-1)
        k = k.reshape(b, -1, self.heads, hd).transpose(1, 2)
        v = v.reshape(b, -1, self.heads, hd).transpose(1, 2)
        out = _attend(q, k, v, text_bias, self.matmul_nt).transpose(-1, -2).reshape(b, c, hgt, wid)
        return x + self.proj(out)


def text_bias_from_mask(mask: torch.Tensor) -> torch.Tensor:
    """int64 [B, L] -> additive bias [B, 1, 1, L+1] with an always-visible null slot first."""
    keep = mask.to(torch.float32)
    keep = torch.cat([torch.ones_like(keep[:, :1]), keep], dim=1)
    return ((1.0 - keep) * MASK_VALUE)[:, None, None, :]


def masked_mean(text: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    m = mask.to(text.dtype)[:, :, None]
    return (text * m).sum(dim=1) / m.sum(dim=1).clamp(min=1.0)


class Downsample(nn.Module):
    """Strided conv; in the Efficient U-Net it comes first in a down block, before the ResNet blocks."""

    def __init__(self, in_ch: int, out_ch: int):
        super().__init__()
        self.conv = nn.Conv2d(in_ch, out_ch, 3, stride=2, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


class Upsample(nn.Module):
    def __init__(self, in_ch: int, out_ch: int):
        super().__init__()
        self.conv = nn.Conv2d(in_ch, out_ch, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))
