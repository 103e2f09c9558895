"""Pre-train the T5-style text encoder with a masked-token objective, then it is frozen.

Imagen conditions on a frozen, separately pre-trained T5. Our stand-in learns
the caption language of the shapes world by BERT-style masked-token prediction
(15% of tokens; the tokenizer's <unk> id serves as the mask token), with an
output head tied to the input embedding. The diffusion stages load the result
from models/checkpoints/encoder/ema.pt (fp16-rounded weights, the exact values the
exported ONNX holds) and never update it, except the base stage under
`--joint-encoder`, the measured alternative (MODEL_CARD.md, "Frozen vs joint").
"""
import time

import numpy as np
import torch
import torch.nn.functional as F

from models.nets.configs import EMBEDDED
from models.nets.t5_encoder import T5Encoder

from . import checkpoint
from .common import Logger, encoder_config, load_tokenizer, tokenizer_sha256

MASK_RATE = 0.15


def mlm_loss(encoder: T5Encoder, ids: torch.Tensor, mask: torch.Tensor, mask_id: int, eos_id: int,
             rng: torch.Generator) -> torch.Tensor:
    maskable = (mask == 1) & (ids != eos_id)
    chosen = (torch.rand(ids.shape, generator=rng) < MASK_RATE).to(ids.device) & maskable
    # Guarantee at least one target per row so the loss is never empty.
    first = torch.zeros_like(chosen)
    first[:, 0] = True
    chosen = chosen | (first & maskable & ~chosen.any(dim=1, keepdim=True))
    inp = torch.where(chosen, torch.full_like(ids, mask_id), ids)
    h = encoder(inp, mask)
    logits = h[chosen] @ encoder.embed.weight.t() / encoder.cfg.d_model ** 0.5
    return F.cross_entropy(logits, ids[chosen])


def train_encoder(minutes: float, device: str, batch: int = 64, lr: float = 5e-4, log=None) -> None:
    from .data import WorldStream  # the world is imported only when training

    log = log or Logger("encoder")
    tok = load_tokenizer()
    cfg = encoder_config(tok)
    enc = T5Encoder(cfg).to(device)
    opt = torch.optim.AdamW(enc.parameters(), lr=lr, weight_decay=0.01)
    state = checkpoint.load("encoder")
    progress = {"step": 0, "index": 0, "seconds": 0.0}
    if state is not None:
        if state["full"]:
            enc.load_state_dict(state["model"])
            opt.load_state_dict(state["optimizer"])
        else:
            checkpoint.load_half_state(enc, state["weights"])
        progress = state["progress"]
        log(f"resumed encoder at step {progress['step']}")
    stream = WorldStream("encoder", progress["index"])
    rng = torch.Generator().manual_seed(1000 + progress["step"])
    start, last_save, losses = time.time(), time.time(), []
    step = progress["step"]
    while time.time() - start < minutes * 60:
        ids, mask = tok.batch_trimmed(stream.captions(batch), cfg.max_tokens)
        for g in opt.param_groups:
            g["lr"] = lr * min(1.0, (step + 1) / 100)
        loss = mlm_loss(enc, ids.to(device), mask.to(device), tok.unk_id, tok.eos_id, rng)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(enc.parameters(), 1.0)
        opt.step()
        step += 1
        losses.append(loss.item())
        if step % 10 == 0:
            log(f"step {step} mlm_loss {np.mean(losses):.4f} index {stream.index}")
            losses = []
        if time.time() - last_save > 120:
            _save(enc, opt, cfg, progress, step, stream, start)
            last_save = time.time()
    _save(enc, opt, cfg, progress, step, stream, start)
    log(f"encoder done at step {step}")


def encoder_checkpoint_config(cfg) -> dict:
    return {"encoder": cfg.to_dict(), "tokenizer_sha256": tokenizer_sha256()}


def _save(enc, opt, cfg, progress, step, stream, start):
    progress = {"step": step, "index": stream.index, "seconds": progress["seconds"] + time.time() - start}
    checkpoint.save("encoder", encoder_checkpoint_config(cfg), enc, None, opt, progress)


def load_frozen_encoder(device: str) -> T5Encoder:
    state = checkpoint.load("encoder")
    if state is None:
        raise SystemExit("no text encoder checkpoint: run `python3 -m models.train --stage encoder` first")
    from models.nets.t5_encoder import T5Config
    if state["config"].get("tokenizer_sha256") != tokenizer_sha256():
        raise SystemExit("models/embedded/tokenizer.json changed since the encoder was trained on it: "
                         "the token ids no longer match; restore it or retrain the encoder (--force)")
    cfg = T5Config(**state["config"]["encoder"])
    enc = T5Encoder(cfg)
    # Always the committed fp16 weights: they are what the exported ONNX holds.
    checkpoint.load_half_state(enc, checkpoint.read(checkpoint.committed_path("encoder"))["weights"])
    enc = enc.to(device).eval()
    for p in enc.parameters():
        p.requires_grad_(False)
    return enc


__all__ = ["train_encoder", "load_frozen_encoder", "EMBEDDED"]
