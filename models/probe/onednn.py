"""nn.Linear through oneDNN, forward and backward.

Debian's torch 1.13 is built with BLAS_INFO=generic: F.linear runs on a reference GEMM (measured
0.5 GFLOP/s on one loaded core of the 2-core EPYC), while `torch._C._nn.mkldnn_linear` (oneDNN)
ran the same 4096x256x1024 product at 5-19 GFLOP/s. `use_onednn(module)` switches every nn.Linear in a
module to this path in place; parameters and state_dict keys are unchanged, so checkpoints stay
interchangeable with the plain modules the trainer and exporter use.
"""
import torch
from torch import nn


def _mm(a: torch.Tensor, b_t: torch.Tensor) -> torch.Tensor:
    """a [M, K] @ b_t[N, K]^T through oneDNN (it takes the weight in nn.Linear's [out, in] layout)."""
    return torch._C._nn.mkldnn_linear(a.contiguous().to_mkldnn(), b_t.contiguous().to_mkldnn(), None).to_dense()


class _LinearFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        y = _mm(x, weight)
        return y + bias if bias is not None else y

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        grad = grad.contiguous()
        gx = _mm(grad, weight.t()) if ctx.needs_input_grad[0] else None
        gw = _mm(grad.t(), x.t()) if ctx.needs_input_grad[1] else None
        gb = grad.sum(0) if ctx.has_bias and ctx.needs_input_grad[2] else None
        return gx, gw, gb


def linear(x: torch.Tensor, weight: torch.Tensor, bias=None) -> torch.Tensor:
    """F.linear for float32 CPU tensors of any leading shape, computed by oneDNN."""
    if x.dtype != torch.float32 or x.device.type != "cpu" or x.numel() == 0:
        return nn.functional.linear(x, weight, bias)
    lead = x.shape[:-1]
    y = _LinearFn.apply(x.reshape(-1, x.shape[-1]), weight, bias)
    return y.reshape(*lead, weight.shape[0])


class OneDNNLinear(nn.Linear):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return linear(x, self.weight, self.bias)


def use_onednn(module: nn.Module) -> nn.Module:
    """Route every nn.Linear of `module` through oneDNN (in place; returns the module)."""
    for m in module.modules():
        if type(m) is nn.Linear:
            m.__class__ = OneDNNLinear
    return module
