"""Pre-train candidate text encoders (same T5Encoder design and size as the shipped one) for the probe.

    nice -n 19 python3 -m models.probe.pretrain --objective span --cpu-minutes 12 --out models/.cache/encoders/span.pt

A run ends after --steps, or else when its CPU-time budget (--cpu-minutes) or wall-clock budget
(--wall-minutes) is spent; the cosine learning-rate schedule follows the same fraction, so a run cut
by its budget still ends annealed. The checkpoint's "progress" records the steps and captions seen.

Objectives: `mlm` (as models/train/encoder.py: 15% of tokens replaced by <unk>, tied output head) and
`span` (T5's span corruption: ~15% of tokens in spans of mean length 3, each span replaced by one
sentinel in the encoder input; a 2-layer decoder, used only here and then dropped, generates
"<s> span1 <s> span2 ... </s>"). The vocabulary has no sentinel ids, and adding some would change the
encoder's embedding size, so every span uses <unk> as its sentinel; the decoder reads the order from
its positions. Captions come straight from the world (spec + caption, no render), held-out meanings
skipped, batched by length so little is padding. Linears run through oneDNN (onednn.py).
The output has the committed checkpoint's format ({"config", "weights" fp16, "progress"}), so
`cp OUT models/checkpoints/encoder/ema.pt` makes it the encoder the diffusion stages train against.
"""
import argparse
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from models.nets.t5_encoder import RMSNorm, T5Encoder
from models.train.checkpoint import atomic_save, half_state
from models.train.common import encoder_config, load_tokenizer
from models.train.encoder import encoder_checkpoint_config

from .data import WordTokenizer, world_captions
from models.nets.onednn import linear, use_onednn

PRETRAIN_SEED = 31  # world dataset seed of the pre-training captions (the probe uses 101/102)


class CaptionBatches:
    """Token id lists of consecutive world captions, grouped by length into batches."""

    def __init__(self, wtok: WordTokenizer, seed: int, batch: int, pool: int = 32):
        self.wtok, self.seed, self.batch, self.pool = wtok, seed, batch, pool
        self.chunk = 0
        self.queue = []

    def next(self):
        if not self.queue:
            n = self.batch * self.pool
            # world_captions(seed, n) restarts at index 0, so each chunk is its own dataset seed.
            texts = world_captions(self.seed * 100_000 + self.chunk, n)
            self.chunk += 1
            seqs = sorted((self.wtok.encode(t)[0] for t in texts), key=len)
            batches = [seqs[i:i + self.batch] for i in range(0, n, self.batch)]
            order = np.random.default_rng(self.chunk).permutation(len(batches))
            self.queue = [batches[i] for i in order]
        return self.queue.pop()


def mlm_loss(enc: T5Encoder, ids, mask, mask_id: int, eos_id: int, gen: torch.Generator, rate: float = 0.15):
    maskable = (mask == 1) & (ids != eos_id)
    chosen = (torch.rand(ids.shape, generator=gen) < rate) & maskable
    first = torch.zeros_like(chosen)
    first[:, 0] = True
    chosen = chosen | (first & maskable & ~chosen.any(dim=1, keepdim=True))
    h = enc(torch.where(chosen, torch.full_like(ids, mask_id), ids), mask)
    logits = linear(h[chosen], enc.embed.weight) / enc.cfg.d_model ** 0.5
    return F.cross_entropy(logits, ids[chosen])


def span_corrupt(seq, rng: np.random.Generator, sentinel: int, eos: int, density: float, mean_span: float):
    """(encoder input, decoder target) for one id list ending in </s>."""
    body = seq[:-1]
    n = len(body)
    noise = min(max(1, round(n * density)), n - 1) if n > 1 else 0
    if noise == 0:
        return list(seq), [sentinel, eos]
    spans = max(1, min(noise, round(noise / mean_span), n - noise + 1))
    # noise lengths: a random composition of `noise` into `spans` positive parts
    cuts = np.sort(rng.choice(np.arange(1, noise), spans - 1, replace=False)) if spans > 1 else np.array([], int)
    noise_len = np.diff(np.concatenate([[0], cuts, [noise]]))
    # gaps: `n - noise` clean tokens into spans + 1 parts, interior parts >= 1
    free = n - noise - (spans - 1)
    gap = np.bincount(rng.integers(0, spans + 1, size=free), minlength=spans + 1)
    gap[1:-1] += 1
    inp, tgt, pos = [], [], 0
    for k in range(spans):
        inp += body[pos:pos + gap[k]]
        pos += gap[k]
        inp.append(sentinel)
        tgt += [sentinel] + body[pos:pos + noise_len[k]]
        pos += noise_len[k]
    inp += body[pos:]
    return inp + [eos], tgt + [eos]


class _DecoderLayer(nn.Module):
    def __init__(self, d: int, heads: int, d_ff: int):
        super().__init__()
        self.heads = heads
        self.n1, self.qkv, self.o1 = RMSNorm(d), nn.Linear(d, 3 * d, bias=False), nn.Linear(d, d, bias=False)
        self.n2, self.q, self.kv = RMSNorm(d), nn.Linear(d, d, bias=False), nn.Linear(d, 2 * d, bias=False)
        self.o2 = nn.Linear(d, d, bias=False)
        self.n3, self.wi, self.wo = RMSNorm(d), nn.Linear(d, 2 * d_ff, bias=False), nn.Linear(d_ff, d, bias=False)

    def _attn(self, q, k, v, bias):
        b, lq, d = q.shape
        h, hd = self.heads, d // self.heads
        q, k, v = (t.reshape(b, -1, h, hd).transpose(1, 2) for t in (q, k, v))
        w = torch.matmul(q, k.transpose(-1, -2)) * hd ** -0.5 + bias
        return torch.matmul(torch.softmax(w, -1), v).transpose(1, 2).reshape(b, lq, d)

    def forward(self, x, self_bias, mem, mem_bias):
        q, k, v = self.qkv(self.n1(x)).chunk(3, -1)
        x = x + self.o1(self._attn(q, k, v, self_bias))
        k, v = self.kv(mem).chunk(2, -1)
        x = x + self.o2(self._attn(self.q(self.n2(x)), k, v, mem_bias))
        gate, lin = self.wi(self.n3(x)).chunk(2, -1)
        return x + self.wo(F.gelu(gate) * lin)


class SpanDecoder(nn.Module):
    """Small causal decoder for span corruption; shares (and ties its output to) the encoder embedding."""

    def __init__(self, d: int, heads: int, d_ff: int, layers: int = 2, max_len: int = 48):
        super().__init__()
        self.pos = nn.Embedding(max_len, d)
        self.layers = nn.ModuleList([_DecoderLayer(d, heads, d_ff) for _ in range(layers)])
        self.norm = RMSNorm(d)

    def forward(self, embed: nn.Embedding, dec_in, mem, mem_mask):
        lq = dec_in.shape[1]
        x = embed(dec_in) + self.pos(torch.arange(lq))[None]
        causal = torch.full((lq, lq), -1e9).triu(1)[None, None]
        mem_bias = ((1.0 - mem_mask.float()) * -1e9)[:, None, None, :]
        for layer in self.layers:
            x = layer(x, causal, mem, mem_bias)
        return linear(self.norm(x), embed.weight) / embed.weight.shape[1] ** 0.5


def span_loss(enc, dec, wtok, seqs, rng, density, mean_span):
    tok = wtok.tok
    pairs = [span_corrupt(s, rng, tok.unk_id, tok.eos_id, density, mean_span) for s in seqs]
    ids, mask = wtok.pad([p[0] for p in pairs], enc.cfg.max_tokens)
    tgt, tmask = wtok.pad([p[1] for p in pairs], 48)
    dec_in = torch.cat([torch.full_like(tgt[:, :1], tok.pad_id), tgt[:, :-1]], 1)
    logits = dec(enc.embed, dec_in, enc(ids, mask), mask)
    return F.cross_entropy(logits[tmask == 1], tgt[tmask == 1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="pre-train a candidate text encoder for the probe")
    ap.add_argument("--objective", choices=("mlm", "span"), required=True)
    ap.add_argument("--out", required=True, help="checkpoint path, e.g. models/.cache/encoders/span.pt")
    ap.add_argument("--steps", type=int, default=0, help="optimizer steps (0: until --cpu-minutes)")
    ap.add_argument("--cpu-minutes", type=float, default=10.0, help="CPU-time budget (the schedule follows it)")
    ap.add_argument("--wall-minutes", type=float, default=0.0,
                    help="also end by this wall-clock budget (0: none); the schedule follows whichever is nearer")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--density", type=float, default=0.15, help="span: fraction of tokens corrupted")
    ap.add_argument("--mean-span", type=float, default=3.0)
    ap.add_argument("--mask-rate", type=float, default=0.15, help="mlm: fraction of tokens masked")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    tok = load_tokenizer()
    wtok = WordTokenizer(tok)
    cfg = encoder_config(tok)
    enc = use_onednn(T5Encoder(cfg))
    params = list(enc.parameters())
    dec = None
    if args.objective == "span":
        dec = use_onednn(SpanDecoder(cfg.d_model, cfg.num_heads, cfg.d_ff))
        params += list(dec.parameters())
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    batches = CaptionBatches(wtok, PRETRAIN_SEED + args.seed, args.batch)
    gen = torch.Generator().manual_seed(1000 + args.seed)
    rng = np.random.default_rng(args.seed)
    cpu0, wall0, last_save, step, losses = time.process_time(), time.time(), time.time(), 0, []

    def done_fraction():
        if args.steps:
            return step / args.steps
        frac = (time.process_time() - cpu0) / (args.cpu_minutes * 60)
        if args.wall_minutes:
            frac = max(frac, (time.time() - wall0) / (args.wall_minutes * 60))
        return frac

    def save(final=False):
        progress = {"step": step, "captions": step * args.batch, "cpu_seconds": round(time.process_time() - cpu0, 1),
                    "wall_seconds": round(time.time() - wall0, 1), "objective": args.objective,
                    "args": vars(args), "final": final}
        atomic_save({"config": encoder_checkpoint_config(cfg), "weights": half_state(enc), "progress": progress},
                    args.out)

    while done_fraction() < 1.0:
        frac = done_fraction()
        for g in opt.param_groups:
            g["lr"] = args.lr * min(1.0, (step + 1) / args.warmup) * 0.5 * (1 + math.cos(math.pi * frac))
        seqs = batches.next()
        if dec is None:
            ids, mask = wtok.pad(seqs, cfg.max_tokens)
            loss = mlm_loss(enc, ids, mask, tok.unk_id, tok.eos_id, gen, args.mask_rate)
        else:
            loss = span_loss(enc, dec, wtok, seqs, rng, args.density, args.mean_span)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        step += 1
        losses.append(loss.item())
        if step % 10 == 0:
            print(f"{time.strftime('%H:%M:%S', time.gmtime())} step {step} {args.objective}_loss "
                  f"{np.mean(losses):.4f} cpu {time.process_time() - cpu0:.0f}s", flush=True)
            losses = []
        if time.time() - last_save > 120:
            save()
            last_save = time.time()
    save(final=True)
    print(f"done: {step} steps, {step * args.batch} captions, {time.process_time() - cpu0:.0f} s CPU -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
