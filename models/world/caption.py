"""Captions for scenes (several paraphrases) and the matching strict parser.

`parse_caption(caption(spec, rng)) == normalize_spec(spec)` for every supported spec;
the tests rely on this to prove captions are true and grammatical.
"""

import re

from .spec import SpecError, normalize_spec
from .vocab import (
    BASIC_SHAPES,
    COLOR_NAMES,
    DEFAULT_BACKGROUND,
    INVERSE_RELATION,
    LETTERS,
    NUMBER_WORDS,
    PLURALS,
    SIZES,
)

CAPTION_DROP = 0.1

PLACE_PHRASES = {
    "left": ("on the left", "on the left side"),
    "right": ("on the right", "on the right side"),
    "top": ("at the top", "near the top"),
    "bottom": ("at the bottom", "near the bottom"),
    "center": ("in the center", "in the middle"),
    "top-left": ("in the top left corner", "in the upper left corner", "at the top left"),
    "top-right": ("in the top right corner", "in the upper right corner", "at the top right"),
    "bottom-left": ("in the bottom left corner", "in the lower left corner", "at the bottom left"),
    "bottom-right": ("in the bottom right corner", "in the lower right corner", "at the bottom right"),
}
RELATION_PHRASES = {
    "left-of": ("to the left of", "left of"),
    "right-of": ("to the right of", "right of"),
    "above": ("above",),
    "below": ("below",),
}
PREFIXES = ("", "", "", "", "", "a picture of ", "an image of ", "a drawing of ")
BACKGROUND_FORMS = (" on {art} {bg} background",) * 4 + (" against {art} {bg} background",)
STATE_DEFAULT_BACKGROUND = 0.5
DIGIT_PROB = 0.3
ONE_PROB = 0.1
OXFORD_COMMA_PROB = 0.3
SWAP_RELATION_PROB = 0.5


def article(next_word):
    return "an" if next_word[:1].lower() in "aeiou" else "a"


def _pick(rng, seq):
    return seq[int(rng.integers(len(seq)))]


def noun_phrase(obj, rng):
    words = []
    if obj["size"] != "medium":
        words.append(obj["size"])
    words.append(obj["color"])
    n = obj["count"]
    shape = obj["shape"]
    if shape.startswith("letter-"):
        words += ["letter", shape[7:] + ("s" if n > 1 else "")]
    else:
        words.append(shape if n == 1 else PLURALS[shape])
    if n == 1:
        det = "one" if rng.random() < ONE_PROB else article(words[0])
    else:
        det = str(n) if rng.random() < DIGIT_PROB else NUMBER_WORDS[n]
    text = det + " " + " ".join(words)
    if obj["place"]:
        text += " " + _pick(rng, PLACE_PHRASES[obj["place"]])
    return text


def _join(parts, rng):
    if len(parts) == 1:
        return parts[0]
    sep = ", and " if len(parts) > 2 and rng.random() < OXFORD_COMMA_PROB else " and "
    return ", ".join(parts[:-1]) + sep + parts[-1]


def caption(scene_or_spec, rng):
    """One random paraphrase describing every object, place, relation and the background."""
    spec = normalize_spec(scene_or_spec.get("spec", scene_or_spec))
    objs = spec["objects"]
    rels = spec["relations"]
    if rels:
        if len(objs) != 2 or len(rels) != 1:
            raise SpecError("relations: captions support exactly one relation between exactly two objects")
        a, rel, b = rels[0]["a"], rels[0]["rel"], rels[0]["b"]
        if rng.random() < SWAP_RELATION_PROB:
            a, rel, b = b, INVERSE_RELATION[rel], a
        body = f"{noun_phrase(objs[a], rng)} {_pick(rng, RELATION_PHRASES[rel])} {noun_phrase(objs[b], rng)}"
    else:
        order = rng.permutation(len(objs))
        body = _join([noun_phrase(objs[int(i)], rng) for i in order], rng)
    text = _pick(rng, PREFIXES) + body
    bg = spec["background"]
    if bg != DEFAULT_BACKGROUND or rng.random() < STATE_DEFAULT_BACKGROUND:
        text += _pick(rng, BACKGROUND_FORMS).format(art=article(bg), bg=bg)
    return text


# ---- parser ---------------------------------------------------------------

_COUNT_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_PLACE_BY_PHRASE = {p: k for k, v in PLACE_PHRASES.items() for p in v}
_SINGULAR = {s: s for s in BASIC_SHAPES}
_PLURAL = {v: k for k, v in PLURALS.items()}
_REL_ALT = "|".join(sorted((p for v in RELATION_PHRASES.values() for p in v), key=len, reverse=True))
_REL_RE = re.compile(rf" ({_REL_ALT}) ")
_REL_BY_PHRASE = {p: k for k, v in RELATION_PHRASES.items() for p in v}
_BG_RE = re.compile(rf"^(.*) (?:on|against) (an?) ({'|'.join(COLOR_NAMES)}) background$")
_PREFIX_RE = re.compile(r"^(?:a picture of|an image of|a drawing of) ")


def _parse_np(text):
    words = text.split(" ")
    if len(words) < 2 or words[0] not in _COUNT_WORDS:
        return None
    det, n = words[0], _COUNT_WORDS[words[0]]
    if det in ("a", "an") and det != article(words[1]):
        return None
    i = 1
    size = "medium"
    if words[i] in SIZES and words[i] != "medium":
        size = words[i]
        i += 1
    if i >= len(words):
        return None
    if words[i] not in COLOR_NAMES:
        return None
    color = words[i]
    i += 1
    if i >= len(words):
        return None
    if words[i] == "letter":
        if i + 1 >= len(words):
            return None
        tok = words[i + 1]
        letter = tok[:-1] if n > 1 and tok.endswith("s") else tok
        if letter not in LETTERS or (n == 1 and tok != letter):
            return None
        shape = "letter-" + letter
        i += 2
    else:
        table = _SINGULAR if n == 1 else _PLURAL
        if words[i] not in table:
            return None
        shape = table[words[i]]
        i += 1
    rest = " ".join(words[i:])
    place = None
    if rest:
        if rest not in _PLACE_BY_PHRASE:
            return None
        place = _PLACE_BY_PHRASE[rest]
    return {"shape": shape, "color": color, "size": size, "count": n, "place": place}


def _split_list(body):
    parts = body.split(", ")
    last = parts.pop()
    if last.startswith("and "):
        return parts + [last[4:]] if len(parts) >= 2 else None
    tail = last.split(" and ")
    if len(tail) > 2 or (parts and len(tail) != 2):
        return None
    return parts + tail


def parse_caption(text):
    """Spec meant by a caption produced by `caption`, or None if it is not in that grammar."""
    if not isinstance(text, str):
        return None
    text = " ".join(text.split())
    text = _PREFIX_RE.sub("", text, count=1)
    background = DEFAULT_BACKGROUND
    m = _BG_RE.match(text)
    if m:
        if m.group(2) != article(m.group(3)):
            return None
        text, background = m.group(1), m.group(3)
    relations = []
    rel_parts = _REL_RE.split(text)
    if len(rel_parts) == 3:
        a, b = _parse_np(rel_parts[0]), _parse_np(rel_parts[2])
        objects = [a, b]
        relations = [{"a": 0, "rel": _REL_BY_PHRASE[rel_parts[1]], "b": 1}]
    elif len(rel_parts) == 1:
        parts = _split_list(text)
        if parts is None:
            return None
        objects = [_parse_np(p) for p in parts]
    else:
        return None
    if any(o is None for o in objects):
        return None
    try:
        return normalize_spec({"background": background, "objects": objects, "relations": relations})
    except SpecError:
        return None
