"""Captions from the world, their token ids, and per-object labels located at token positions.

The scene spec is the label. `parse_caption` returns the objects in the order the caption states
them (a relation as stated, `a` first), so the k-th shape noun of the text is object k: its colour,
shape, size, count and place come from the parse, and the relation role from the stated relation.
"""
from typing import Dict, List, Tuple

import torch

from models.world import caption, example_rng, parse_caption, sample_spec
from models.world.holdout import is_heldout
from models.world.spec import signature
from models.world.vocab import BASIC_SHAPES, COLOR_NAMES, PLACES, PLURALS, SHAPES, SIZES

NOUNS = set(BASIC_SHAPES) | set(PLURALS.values())
PLACE_CLASSES = ("none",) + PLACES
# Canonical relation: the subject of `left-of` / `above` is the left / upper object.
SUBJECT_FIRST = {"left-of": True, "above": True, "right-of": False, "below": False}


def world_captions(seed: int, n: int, exclude=frozenset()) -> List[str]:
    """n captions of dataset `seed` (spec sampling + caption only, no layout or render), skipping
    held-out ShapesBench meanings and any caption whose meaning (`signature`) is in `exclude`."""
    out, i = [], 0
    while len(out) < n:
        rng = example_rng(seed, i)
        i += 1
        text = caption(sample_spec(rng), rng)
        if is_heldout(text) or signature(parse_caption(text)) in exclude:
            continue
        out.append(text)
    return out


def train_test_captions(n_train: int, n_test: int, seed: int = 101) -> Tuple[List[str], List[str]]:
    """Disjoint sets: no test caption means the same scene as any training caption."""
    train = world_captions(seed, n_train)
    seen = frozenset(signature(parse_caption(t)) for t in train)
    return train, world_captions(seed + 1, n_test, exclude=seen)


class WordTokenizer:
    """The embedded Unigram tokenizer, memoized per word (the caption vocabulary is closed), that also
    says where each whitespace word starts in the token sequence."""

    def __init__(self, tok):
        self.tok = tok
        self.cache: Dict[str, List[int]] = {}

    def encode(self, text: str) -> Tuple[List[int], List[int]]:
        ids, starts = [], []
        for word in self.tok.normalize(text).split():
            pieces = self.cache.get(word)
            if pieces is None:
                pieces = self.cache[word] = self.tok._viterbi("\u2581" + word)
            starts.append(len(ids))
            ids.extend(pieces)
        return ids + [self.tok.eos_id], starts

    def pad(self, seqs: List[List[int]], max_tokens: int) -> Tuple[torch.Tensor, torch.Tensor]:
        """Pad to the longest sequence (≤ max_tokens; longer ones keep their head and end in </s>)."""
        seqs = [s if len(s) <= max_tokens else s[: max_tokens - 1] + [self.tok.eos_id] for s in seqs]
        n = max(len(s) for s in seqs)
        ids = torch.full((len(seqs), n), self.tok.pad_id, dtype=torch.long)
        mask = torch.zeros((len(seqs), n), dtype=torch.long)
        for b, s in enumerate(seqs):
            ids[b, : len(s)] = torch.tensor(s)
            mask[b, : len(s)] = 1
        return ids, mask


def noun_words(text: str) -> List[int]:
    """Word index of each object's shape noun, in caption order (for letters: the letter itself)."""
    words = [w.rstrip(",") for w in text.split()]
    return [i for i, w in enumerate(words) if w in NOUNS or (i > 0 and words[i - 1] == "letter")]


def object_labels(text: str) -> List[dict]:
    """Per stated object: noun word index and class labels (colour, shape, size, count, place, role).
    role is 1 for the canonical subject of a relation (the left / upper object), 0 for its object,
    -1 when the caption states no relation."""
    spec = parse_caption(text)
    if spec is None:
        raise ValueError(f"not a world caption: {text!r}")
    nouns = noun_words(text)
    objs = spec["objects"]
    if len(nouns) != len(objs):
        raise ValueError(f"{text!r}: found {len(nouns)} shape nouns for {len(objs)} objects")
    roles = [-1] * len(objs)
    for r in spec["relations"]:
        first = SUBJECT_FIRST[r["rel"]]
        roles[r["a"]], roles[r["b"]] = int(first), int(not first)
    return [{"word": w, "color": COLOR_NAMES.index(o["color"]), "shape": SHAPES.index(o["shape"]),
             "size": SIZES.index(o["size"]), "count": o["count"] - 1,
             "place": PLACE_CLASSES.index(o["place"] or "none"), "role": roles[k]}
            for k, (w, o) in enumerate(zip(nouns, objs))]


def caption_labels(text: str) -> dict:
    """Whole-caption labels: total instances (0-based class) and the objects."""
    objs = object_labels(text)
    return {"total": sum(o["count"] + 1 for o in objs) - 1, "objects": objs}
