"""Frozen encoder outputs at the probe's read-out points, cached on disk.

Read-outs: the output vector at each object's shape-noun token, and the masked mean over all tokens
(</s> included), the pooled vector the U-Net adds to its timestep embedding (layers.masked_mean).
Encoders: `shipped` (models/checkpoints/encoder/ema.pt), `random` (same design, freshly initialised,
seed 0), `embedding` (the shipped encoder's token embedding alone: no context), or a checkpoint path.
"""
import hashlib
import os
from typing import List

import torch

from models.nets.t5_encoder import T5Config, T5Encoder
from models.train import checkpoint
from models.train.common import ROOT, encoder_config, load_tokenizer, tokenizer_sha256

from .data import WordTokenizer, object_labels
from models.nets.onednn import use_onednn

CACHE = os.path.join(ROOT, "models", ".cache", "probe")
BASELINES = ("shipped", "random", "embedding")


def load_encoder(name: str):
    """(module, contextual) for a name of BASELINES or a checkpoint path (the committed format)."""
    if name == "random":
        torch.manual_seed(0)
        return T5Encoder(encoder_config(load_tokenizer())).eval(), True
    path = checkpoint.committed_path("encoder") if name in ("shipped", "embedding") else name
    if not os.path.exists(path):
        raise SystemExit(f"--encoder: {path} does not exist (use shipped, random, embedding or a checkpoint path)")
    state = checkpoint.read(path)
    if state.get("config", {}).get("tokenizer_sha256") != tokenizer_sha256():
        raise SystemExit(f"--encoder: {path} was trained on another tokenizer.json than the current one")
    enc = T5Encoder(T5Config(**state["config"]["encoder"]))
    checkpoint.load_half_state(enc, state["weights"])
    return enc.eval(), name != "embedding"


def _key(enc: T5Encoder, contextual: bool, captions: List[str]) -> str:
    h = hashlib.sha256(b"probe-features-v1" + bytes([contextual]))
    for k, v in sorted(enc.state_dict().items()):
        h.update(k.encode())
        h.update(v.detach().float().numpy().tobytes())
    h.update("\n".join(captions).encode())
    return h.hexdigest()[:24]


@torch.no_grad()
def compute(enc: T5Encoder, contextual: bool, captions: List[str], batch: int = 256) -> dict:
    """{"noun": [objects, d] (caption order, objects in stated order), "pooled": [captions, d]}."""
    wtok = WordTokenizer(load_tokenizer())
    enc = use_onednn(enc)
    encoded = [wtok.encode(c) for c in captions]
    nouns = [[starts[o["word"]] for o in object_labels(c)] for c, (_, starts) in zip(captions, encoded)]
    order = sorted(range(len(captions)), key=lambda i: len(encoded[i][0]))  # length buckets: little padding
    pooled = torch.zeros(len(captions), enc.cfg.d_model)
    by_caption = [None] * len(captions)
    for s in range(0, len(order), batch):
        idx = order[s:s + batch]
        ids, mask = wtok.pad([encoded[i][0] for i in idx], enc.cfg.max_tokens)
        h = enc(ids, mask) if contextual else enc.embed(ids)
        m = mask.float()[:, :, None]
        pooled[idx] = (h * m).sum(1) / m.sum(1)
        for row, i in enumerate(idx):
            by_caption[i] = h[row, nouns[i]]
    return {"noun": torch.cat(by_caption), "pooled": pooled}


def features(name: str, captions: List[str], use_cache: bool = True) -> dict:
    enc, contextual = load_encoder(name)
    path = os.path.join(CACHE, _key(enc, contextual, captions) + ".pt")
    if use_cache and os.path.exists(path):
        return torch.load(path)
    out = compute(enc, contextual, captions)
    if use_cache:
        checkpoint.atomic_save(out, path)
    return out
