"""Which captions the trainer must never see: the ShapesBench prompt sets.

Rule: a caption is held out when
  (1) its whitespace-normalized text equals a prompt of any case in models/eval/*.jsonl, or
  (2) its meaning equals a case's `expect`: `parse_caption` gives a spec whose
      `signature` (background with white as default, the multiset of objects with
      shape/color/size/count/place, and the relations normalized to left-of/above)
      equals the case's signature. Word order, paraphrases, articles, digits vs words
      and stating the default white background do not matter.
So every paraphrase of a benchmark scene is excluded, while each attribute (and
each color+shape pair) still appears in other training scenes.
`sample_spec` re-draws held-out specs, so generated training data never contains them.
"""

import functools
import json
import pathlib

from .caption import parse_caption
from .spec import signature

EVAL_DIR = pathlib.Path(__file__).resolve().parent.parent / "eval"


def _norm_text(text):
    return " ".join(text.split())


@functools.lru_cache(maxsize=1)
def heldout_sets():
    """(prompt texts, spec signatures) from every models/eval/*.jsonl prompt set."""
    texts, sigs = set(), set()
    for path in sorted(EVAL_DIR.glob("*.jsonl")):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if not line.strip():
                continue
            case = json.loads(line)
            try:
                texts.add(_norm_text(case["prompt"]))
                sigs.add(signature(case["expect"]))
            except (KeyError, ValueError) as err:
                raise ValueError(f"{path.name}:{n}: bad case: {err}") from err
    return frozenset(texts), frozenset(sigs)


def is_heldout_spec(spec):
    return signature(spec) in heldout_sets()[1]


def is_heldout(caption):
    texts, sigs = heldout_sets()
    if _norm_text(caption) in texts:
        return True
    spec = parse_caption(caption)
    return spec is not None and signature(spec) in sigs
