"""Regenerate the ShapesBench development set: python3 -m models.world.make_dev

Writes models/eval/dev.jsonl (deterministic). 20 cases in each of the categories
single, binding, position, count, letters. Prompts use the training grammar
(so the parser understands them) but their meanings are held out from training
(see holdout.py), because holdout reads this very file.
"""

import json
import pathlib

import numpy as np

from .caption import caption
from .layout import LayoutError, layout
from .spec import normalize_spec, signature
from .vocab import BASIC_SHAPES, COLOR_NAMES, LETTER_SHAPES, PLACES, RELATIONS

OUT = pathlib.Path(__file__).resolve().parent.parent / "eval" / "dev.jsonl"
PER_CATEGORY = 20
PREFIX = {"single": "s", "binding": "b", "position": "p", "count": "c", "letters": "l"}


def _pick(rng, seq):
    return seq[int(rng.integers(len(seq)))]


def _bg(rng, p_color=0.4):
    return _pick(rng, [c for c in COLOR_NAMES if c != "white"]) if rng.random() < p_color else "white"


def _obj(rng, bg, taken, shapes=BASIC_SHAPES, size_prob=0.4):
    while True:
        shape, color = _pick(rng, shapes), _pick(rng, [c for c in COLOR_NAMES if c != bg])
        if (shape, color) not in taken:
            taken.add((shape, color))
            o = {"shape": shape, "color": color}
            if rng.random() < size_prob:
                o["size"] = _pick(rng, ("small", "large"))
            return o


def _case(category, rng):
    bg = _bg(rng)
    taken = set()
    rels = []
    if category == "single":
        objs = [_obj(rng, bg, taken, size_prob=0.5)]
    elif category == "binding":
        objs = [_obj(rng, bg, taken, size_prob=0.15) for _ in range(2 if rng.random() < 0.6 else 3)]
    elif category == "position":
        if rng.random() < 0.5:
            objs = [_obj(rng, bg, taken, size_prob=0.2)]
            objs[0]["place"] = _pick(rng, PLACES)
        else:
            objs = [_obj(rng, bg, taken, size_prob=0.0) for _ in range(2)]
            rels = [{"a": 0, "rel": _pick(rng, RELATIONS), "b": 1}]
    elif category == "count":
        n = int(rng.integers(2, 5))
        objs = [_obj(rng, bg, taken, size_prob=0.0)]
        objs[0]["count"] = n
        if n < 4 and rng.random() < 0.4:
            objs.append(_obj(rng, bg, taken, size_prob=0.0))
    else:  # letters
        objs = [_obj(rng, bg, taken, shapes=LETTER_SHAPES, size_prob=0.2)]
        if rng.random() < 0.3:
            objs.append(_obj(rng, bg, taken, shapes=BASIC_SHAPES + LETTER_SHAPES, size_prob=0.0))
    return {"background": bg, "objects": objs, "relations": rels}


def _prompt(spec, rng):
    """A plain paraphrase: no 'a picture of' prefix and no 'one' for a single object."""
    while True:
        text = caption(spec, rng)
        if not text.startswith(("a picture of", "an image of", "a drawing of")) and not text.startswith("one ") \
                and " one " not in text and " against " not in text:
            return text


def build(seed=20240601):
    rng = np.random.default_rng(seed)
    seen = set()
    cases = []
    for category, prefix in PREFIX.items():
        k = 0
        while k < PER_CATEGORY:
            expect = _case(category, rng)
            sig = signature(expect)
            if sig in seen:
                continue
            try:
                for s in range(8):
                    layout(expect, np.random.default_rng(s), max_tries=200)
            except LayoutError:
                continue
            seen.add(sig)
            k += 1
            compact = {"background": expect["background"], "objects": expect["objects"]}
            if expect["relations"]:
                compact["relations"] = expect["relations"]
            normalize_spec(compact)
            cases.append({"id": f"{prefix}{k:02d}", "category": category,
                          "prompt": _prompt(compact, rng), "expect": compact})
    return cases


def main():
    cases = build()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("".join(json.dumps(c) + "\n" for c in cases))
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
