"""A small T5-style text encoder (Raffel et al. 2020; T5 v1.1 details).

Pre-norm Transformer encoder with RMSNorm (no bias, no mean subtraction),
bucketed relative position bias computed once and shared by all layers, and a
gated-GELU feed-forward. Imagen freezes its T5; we pre-train this one with a
masked-token objective on the caption corpus and then freeze it.
"""
import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .layers import MASK_VALUE


@dataclass
class T5Config:
    vocab_size: int = 2048
    d_model: int = 256
    num_layers: int = 4
    num_heads: int = 4
    d_ff: int = 512
    max_tokens: int = 32
    num_buckets: int = 32
    max_distance: int = 64

    def to_dict(self) -> dict:
        return asdict(self)


def relative_position_bucket(rel: torch.Tensor, num_buckets: int, max_distance: int) -> torch.Tensor:
    """T5's bidirectional bucketing: exact for small offsets, logarithmic up to max_distance."""
    half = num_buckets // 2
    ret = (rel > 0).long() * half
    n = rel.abs()
    max_exact = half // 2
    large = max_exact + (torch.log(n.float().clamp(min=1) / max_exact) / math.log(max_distance / max_exact)
                         * (half - max_exact)).long()
    large = large.clamp(max=half - 1)
    return ret + torch.where(n < max_exact, n, large)


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float = 1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class _Layer(nn.Module):
    def __init__(self, cfg: T5Config):
        super().__init__()
        d = cfg.d_model
        self.heads = cfg.num_heads
        self.matmul_nt = None  # a @ b^T through oneDNN when set (models/nets/onednn.py), else torch.matmul
        self.norm1 = RMSNorm(d)
        self.qkv = nn.Linear(d, 3 * d, bias=False)
        self.o = nn.Linear(d, d, bias=False)
        self.norm2 = RMSNorm(d)
        self.wi = nn.Linear(d, 2 * cfg.d_ff, bias=False)
        self.wo = nn.Linear(cfg.d_ff, d, bias=False)

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        b, l, d = x.shape
        hd = d // self.heads
        qkv = self.qkv(self.norm1(x)).reshape(b, l, 3, self.heads, hd).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        if self.matmul_nt is None:
            w = torch.matmul(q, k.transpose(-1, -2)) * (hd ** -0.5) + bias
            a = torch.matmul(torch.softmax(w, dim=-1), v)
        else:
            w = self.matmul_nt(q, k) * (hd ** -0.5) + bias
            a = self.matmul_nt(torch.softmax(w, dim=-1), v.transpose(-1, -2))
        a = a.transpose(1, 2).reshape(b, l, d)
        x = x + self.o(a)
        gate, lin = self.wi(self.norm2(x)).chunk(2, dim=-1)
        return x + self.wo(F.gelu(gate) * lin)


class T5Encoder(nn.Module):
    def __init__(self, cfg: T5Config):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab_size, cfg.d_model)
        nn.init.normal_(self.embed.weight, std=1.0)
        self.rel_bias = nn.Embedding(cfg.num_buckets, cfg.num_heads)
        self.layers = nn.ModuleList([_Layer(cfg) for _ in range(cfg.num_layers)])
        self.final_norm = RMSNorm(cfg.d_model)
        pos = torch.arange(cfg.max_tokens)
        buckets = relative_position_bucket(pos[None, :] - pos[:, None], cfg.num_buckets, cfg.max_distance)
        # Precomputed: the exported graph then holds a constant [L, L] index table, not the log/bucket math.
        self.register_buffer("buckets", buckets, persistent=False)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        l = input_ids.shape[1]
        x = self.embed(input_ids)
        pos_bias = self.rel_bias(self.buckets[:l, :l]).permute(2, 0, 1)[None]  # [1, H, L, L]
        key_bias = ((1.0 - attention_mask.to(torch.float32)) * MASK_VALUE)[:, None, None, :]
        bias = pos_bias + key_bias
        for layer in self.layers:
            x = layer(x, bias)
        return self.final_norm(x)
