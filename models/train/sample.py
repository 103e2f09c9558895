"""A small torch DDIM sampler for the training sample grids (the engine has its own samplers).

Classifier-free guidance on the model output, Imagen's dynamic thresholding of
predX0, deterministic DDIM (eta = 0) steps on evenly spaced timesteps.
"""
import numpy as np
import torch
from PIL import Image

from models.nets.diffusion import Diffusion


def threshold(x0: torch.Tensor, kind: str, percentile: float = 0.995) -> torch.Tensor:
    if kind == "dynamic":
        s = torch.quantile(x0.abs().reshape(x0.shape[0], -1), percentile, dim=1).clamp(min=1.0)[:, None, None, None]
        return x0.clamp(-s, s) / s
    if kind == "static":
        return x0.clamp(-1.0, 1.0)
    return x0


@torch.no_grad()
def ddim_sample(unet, diffusion: Diffusion, prediction: str, shape, text, mask, null_text, null_mask, *,
                steps: int, guidance: float, thresholding: str, lowres=None, noise_level: int = 0,
                generator: torch.Generator = None) -> torch.Tensor:
    b = shape[0]
    device = text.device
    x = torch.randn(shape, generator=generator).to(device)
    cond_in = None
    nl = None
    if lowres is not None:
        nl = torch.full((b,), noise_level, dtype=torch.long, device=device)
        cond_in = diffusion.q_sample(lowres, nl, torch.randn(lowres.shape, generator=generator).to(device))
    ts = np.linspace(diffusion.train_steps - 1, 0, steps).round().astype(np.int64)
    for i, t in enumerate(ts):
        tt = torch.full((b,), int(t), dtype=torch.long, device=device)
        inp = x if cond_in is None else torch.cat([x, cond_in], dim=1)
        out = unet(inp, tt.float(), text, mask, nl)
        if guidance != 1.0:
            uncond = unet(inp, tt.float(), null_text, null_mask, nl)
            out = uncond + guidance * (out - uncond)
        x0 = threshold(diffusion.pred_x0(prediction, x, tt, out), thresholding)
        if i == len(ts) - 1:
            x = x0
            break
        alpha, sigma = diffusion.alpha_sigma(tt)
        eps = (x - alpha * x0) / sigma
        alpha_next, sigma_next = diffusion.alpha_sigma(torch.full_like(tt, int(ts[i + 1])))
        x = alpha_next * x0 + sigma_next * eps
    return x


def save_grid(path: str, rows) -> None:
    """rows: list of tensors [N, 3, H, W] in [-1, 1] (same H, W), one grid row each."""
    tiles = []
    for row in rows:
        imgs = ((row.clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).cpu().numpy()
        tiles.append(np.concatenate(list(imgs), axis=1))
    Image.fromarray(np.concatenate(tiles, axis=0)).save(path)
