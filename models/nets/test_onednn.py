"""oneDNN training path = the generic path, to float rounding, forward and backward.

python3 -m unittest models.nets.test_onednn
"""
import copy
import unittest

import torch

from . import onednn
from .configs import EMBEDDED, TINY
from .t5_encoder import T5Encoder
from .unet import EfficientUNet


def _grads(model, *inputs):
    model.zero_grad(set_to_none=True)
    out = model(*inputs)
    (out * torch.linspace(-1, 1, out.numel()).reshape(out.shape)).sum().backward()
    return out.detach(), [p.grad.clone() for p in model.parameters()]


@unittest.skipUnless(onednn.available(), "torch built without oneDNN")
class OneDnnTest(unittest.TestCase):
    def test_linear_and_matmul_nt_match_torch(self):
        torch.manual_seed(0)
        x = torch.randn(3, 5, 7, requires_grad=True)
        w = torch.randn(4, 7, requires_grad=True)
        b = torch.randn(4, requires_grad=True)
        y = onednn.linear(x, w, b)
        y_ref = torch.nn.functional.linear(x, w, b)
        self.assertLess((y - y_ref).abs().max().item(), 1e-5)
        g = torch.randn_like(y)
        got = torch.autograd.grad(y, (x, w, b), g)
        want = torch.autograd.grad(y_ref, (x, w, b), g)
        for a, e in zip(got, want):
            self.assertEqual(a.shape, e.shape)
            self.assertLess((a - e).abs().max().item(), 1e-4)
        q = torch.randn(2, 3, 6, 8, requires_grad=True)
        k = torch.randn(2, 3, 5, 8, requires_grad=True)
        z = onednn.matmul_nt(q, k)
        z_ref = torch.matmul(q, k.transpose(-1, -2))
        self.assertLess((z - z_ref).abs().max().item(), 1e-5)
        g = torch.randn_like(z)
        for a, e in zip(torch.autograd.grad(z, (q, k), g), torch.autograd.grad(z_ref, (q, k), g)):
            self.assertLess((a - e).abs().max().item(), 1e-4)

    def test_unet_forward_and_grads_match_and_state_is_unchanged(self):
        for cfg, res in ((TINY["stages"]["base64"]["unet"], 16), (EMBEDDED["stages"]["base64"]["unet"], 32)):
            torch.manual_seed(0)
            net = EfficientUNet(cfg)
            for p in net.parameters():  # zero-initialised outputs would hide the attention paths
                p.data.normal_(0, 0.05)
            fast = copy.deepcopy(net)
            self.assertGreater(onednn.route_matmuls(fast), 0)
            self.assertEqual(list(fast.state_dict()), list(net.state_dict()))
            b = 2
            x, t = torch.randn(b, cfg.in_channels, res, res), torch.tensor([10.0, 900.0])
            text, mask = torch.randn(b, 6, cfg.text_dim), torch.tensor([[1] * 6, [1] * 3 + [0] * 3])
            out, grads = _grads(net, x, t, text, mask)
            out_f, grads_f = _grads(fast, x, t, text, mask)
            self.assertLess((out - out_f).abs().max().item(), 1e-4)
            for g, gf in zip(grads, grads_f):
                self.assertLess((g - gf).abs().max().item(), 1e-4 * (1 + g.abs().max().item()))
            # the routing survives the deep copy the EMA makes
            self.assertIsInstance(copy.deepcopy(fast).time_mlp[0], onednn.OneDnnLinear)

    def test_encoder_matches(self):
        torch.manual_seed(0)
        enc = T5Encoder(TINY["encoder"])
        fast = copy.deepcopy(enc)
        onednn.route_matmuls(fast)
        ids, mask = torch.randint(0, 256, (2, 9)), torch.tensor([[1] * 9, [1] * 4 + [0] * 5])
        self.assertLess((enc(ids, mask) - fast(ids, mask)).abs().max().item(), 1e-4)


if __name__ == "__main__":
    unittest.main()
