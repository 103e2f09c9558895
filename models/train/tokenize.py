"""Python reader of our `tokenizer.json` (HF tokenizers, SentencePiece Unigram), for training.

There is no `tokenizers` package on this machine, so this re-implements the
subset our tokenizer uses, identically to @huggingface/transformers in the engine:
simple normalizers, Metaspace pre-tokenization, Viterbi segmentation by piece
score, `</s>` appended, then padding with `<pad>`=0 to maxTokens (T5 layout).
tokenize-parity.test.ts checks it against @huggingface/transformers on world captions.
"""
import json
import re
import unicodedata
from typing import List, Tuple

import torch

META = "\u2581"


class UnigramTokenizer:
    def __init__(self, path: str):
        with open(path) as f:
            spec = json.load(f)
        model = spec["model"]
        if model.get("type") != "Unigram":
            raise ValueError(f"{path}: model.type must be 'Unigram', got {model.get('type')!r}")
        self.pieces = {p: (i, float(s)) for i, (p, s) in enumerate(model["vocab"])}
        self.unk_id = int(model.get("unk_id") or 0)
        self.max_len = max(len(p) for p in self.pieces)
        self.normalizers = _flatten(spec.get("normalizer"))
        added = {t["content"]: t["id"] for t in spec.get("added_tokens", [])}
        self.pad_id = added.get("<pad>", 0)
        self.eos_id = added.get("</s>", 1)
        self.vocab_size = max(len(model["vocab"]), 1 + max(added.values(), default=0))
        # Unseen characters cost less than any real piece, as in SentencePiece (min score - 10).
        self.unk_score = min(s for _, s in self.pieces.values()) - 10.0

    def normalize(self, text: str) -> str:
        for n in self.normalizers:
            kind = n.get("type")
            if kind == "Lowercase":
                text = text.lower()
            elif kind in ("NFKC", "NFC", "NFKD", "NFD"):
                text = unicodedata.normalize(kind, text)
            elif kind == "Strip":
                text = text.strip()
            elif kind == "Replace":
                pat = n["pattern"]
                text = re.sub(pat["Regex"], n["content"], text) if "Regex" in pat else text.replace(pat["String"],
                                                                                                     n["content"])
            # Precompiled (SentencePiece nmt_nfkc charsmap) is the identity on ASCII captions.
        return text

    def _viterbi(self, word: str) -> List[int]:
        n = len(word)
        best: List[Tuple[float, int, int]] = [(0.0, 0, -1)] + [(-1e18, 0, -1)] * n  # (score, start, id)
        for end in range(1, n + 1):
            for start in range(max(0, end - self.max_len), end):
                if best[start][0] <= -1e18:
                    continue
                piece = self.pieces.get(word[start:end])
                if piece is not None:
                    cand = best[start][0] + piece[1]
                    if cand > best[end][0]:
                        best[end] = (cand, start, piece[0])
            if best[end][0] <= -1e18:
                best[end] = (best[end - 1][0] + self.unk_score, end - 1, self.unk_id)
        ids = []
        end = n
        while end > 0:
            _, start, pid = best[end]
            ids.append(pid)
            end = start
        ids.reverse()
        # SentencePiece merges consecutive unknowns into one <unk>.
        merged = []
        for i in ids:
            if not (i == self.unk_id and merged and merged[-1] == self.unk_id):
                merged.append(i)
        return merged

    def encode(self, text: str) -> List[int]:
        text = self.normalize(text)
        ids: List[int] = []
        for word in text.split():
            ids.extend(self._viterbi(META + word))
        return ids + [self.eos_id]

    def batch(self, texts: List[str], max_tokens: int) -> Tuple[torch.Tensor, torch.Tensor]:
        ids = torch.full((len(texts), max_tokens), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(texts), max_tokens), dtype=torch.long)
        for b, t in enumerate(texts):
            seq = self.encode(t)
            if len(seq) > max_tokens:
                seq = seq[: max_tokens - 1] + [self.eos_id]
            ids[b, : len(seq)] = torch.tensor(seq)
            mask[b, : len(seq)] = 1
        return ids, mask

    def batch_trimmed(self, texts: List[str], max_tokens: int) -> Tuple[torch.Tensor, torch.Tensor]:
        """Like batch() but cut to the longest sequence: masked padding changes no unmasked output."""
        ids, mask = self.batch(texts, max_tokens)
        n = int(mask.sum(dim=1).max())
        return ids[:, :n].contiguous(), mask[:, :n].contiguous()


def _flatten(normalizer) -> list:
    if not normalizer:
        return []
    if normalizer.get("type") == "Sequence":
        out = []
        for n in normalizer["normalizers"]:
            out.extend(_flatten(n))
        return out
    return [normalizer]


def main(argv=None) -> int:
    """Print {"captions": [...], "ids": [[...]]} for world captions (the JS parity test reads it)."""
    import argparse
    import os
    ap = argparse.ArgumentParser(description="tokenize world captions with the Python Unigram reader")
    ap.add_argument("--tokenizer", default=os.path.join(os.path.dirname(__file__), "..", "embedded", "tokenizer.json"))
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--seed", type=int, default=5)
    args = ap.parse_args(argv)
    from models.world import make_example
    tok = UnigramTokenizer(args.tokenizer)
    caps = [make_example(args.seed, i)[1] for i in range(args.count)]
    caps += ["", "  A Red   circle ", "a zebra-striped qux!"]
    print(json.dumps({"captions": caps, "ids": [tok.encode(c) for c in caps]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
