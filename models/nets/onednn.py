"""Training-time fast paths for Debian's torch 1.13 on the CPU.

That build's BLAS is the generic reference GEMM (`torch.__config__.show()`: BLAS_INFO=generic): every
`nn.Linear` and attention `matmul` runs ~25x below what the same CPU does through oneDNN, which the
convolutions already use. `route_matmuls(module)` sends a module's linears (forward and backward) and the
attention matmuls of our layers through oneDNN (`aten::mkldnn_linear` on oneDNN tensors). Parameters and
state dicts are untouched, so checkpoints and ONNX export see the same nn.Linear; export never calls this.

Gradients are the textbook ones (y = x W^T + b: dx = dy W, dW = dy^T x, db = sum dy), each product itself a
oneDNN inner product; tests compare them with autograd's through the generic path.
"""

import torch
from torch import nn

_mkldnn_linear = torch._C._nn.mkldnn_linear


def _inner(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """a [N, K] @ b[M, K]^T -> [N, M], dense in, dense out, computed by oneDNN."""
    return _mkldnn_linear(a.contiguous().to_mkldnn(), b.contiguous().to_mkldnn(), None).to_dense()


class _Linear(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        rows = x.reshape(-1, x.shape[-1])
        out = _mkldnn_linear(rows.contiguous().to_mkldnn(), weight.contiguous().to_mkldnn(),
                             bias.contiguous().to_mkldnn() if bias is not None else None).to_dense()
        return out.reshape(*x.shape[:-1], weight.shape[0])

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        g = grad.reshape(-1, grad.shape[-1])
        dx = dw = db = None
        if ctx.needs_input_grad[0]:
            dx = _inner(g, weight.t()).reshape(x.shape)
        if ctx.needs_input_grad[1]:
            dw = _inner(g.t(), x.reshape(-1, x.shape[-1]).t())
        if ctx.has_bias and ctx.needs_input_grad[2]:
            db = g.sum(0)
        return dx, dw, db


def linear(x: torch.Tensor, weight: torch.Tensor, bias=None) -> torch.Tensor:
    """F.linear for float32 CPU tensors of any leading shape, computed by oneDNN (other tensors: F.linear)."""
    if x.dtype != torch.float32 or x.device.type != "cpu" or x.numel() == 0:
        return nn.functional.linear(x, weight, bias)
    return _Linear.apply(x, weight, bias)


class _BatchedMatmulNT(torch.autograd.Function):
    """a [G, N, K] @ b [G, M, K]^T -> [G, N, M], one oneDNN inner product per group (G is batch x heads)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return torch.stack([_inner(a[i], b[i]) for i in range(a.shape[0])])

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        da = db = None
        if ctx.needs_input_grad[0]:  # dA = dY B
            da = torch.stack([_inner(grad[i], b[i].t()) for i in range(a.shape[0])])
        if ctx.needs_input_grad[1]:  # dB = dY^T A
            db = torch.stack([_inner(grad[i].t(), a[i].t()) for i in range(a.shape[0])])
        return da, db


def matmul_nt(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """a [..., N, K] @ b [..., M, K]^T through oneDNN; leading dims are flattened into groups."""
    lead = a.shape[:-2]
    out = _BatchedMatmulNT.apply(a.reshape(-1, *a.shape[-2:]), b.reshape(-1, *b.shape[-2:]))
    return out.reshape(*lead, a.shape[-2], b.shape[-2])


class OneDnnLinear(nn.Linear):
    """nn.Linear whose forward is `linear` above; same parameters and state dict keys."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return linear(x, self.weight, self.bias)


def available() -> bool:
    return torch.backends.mkldnn.is_available()


def route_matmuls(module: nn.Module) -> int:
    """Route every nn.Linear in `module` and the attention matmuls of its models.nets attention layers through
    oneDNN (CPU training only; the modules keep their parameters, so saving and export are unaffected).
    Returns the number of modules rerouted."""
    if not available():
        return 0
    n = 0
    for m in module.modules():
        if type(m) is nn.Linear:
            m.__class__ = OneDnnLinear  # survives deepcopy (the EMA's copy) and keeps isinstance(m, nn.Linear)
            n += 1
        elif hasattr(m, "matmul_nt"):  # attention layers: layers.SelfAttention, CrossAttention, t5_encoder._Layer
            m.matmul_nt = matmul_nt
            n += 1
    return n


def use_onednn(module: nn.Module) -> nn.Module:
    """route_matmuls, returning the module (for expressions like `net = use_onednn(nn.Sequential(...))`)."""
    route_matmuls(module)
    return module
