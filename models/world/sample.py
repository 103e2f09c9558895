"""Random scene specs for training data, with ShapesBench's held-out meanings re-drawn.

Apart from spec.py so that spec.py need not import holdout.py (which imports
spec.py and caption.py): the world's modules form no import cycle.
"""

from .holdout import is_heldout_spec
from .spec import normalize_spec
from .vocab import BASIC_SHAPES, COLOR_NAMES, DEFAULT_BACKGROUND, LETTER_SHAPES, MAX_OBJECTS, PLACES, RELATIONS, SIZES

CATEGORY_WEIGHTS = (("single", 0.3), ("binding", 0.25), ("relation", 0.2), ("count", 0.25))
LETTER_PROB = 0.3
PLACE_PROB_SINGLE = 0.4
PLACE_PROB_MULTI = 0.2
SIZE_PROBS = (0.25, 0.5, 0.25)  # small, medium, large


def _choice(rng, seq):
    return seq[int(rng.integers(len(seq)))]


def _sample_background(rng):
    if rng.random() < 0.5:
        return DEFAULT_BACKGROUND
    return _choice(rng, [c for c in COLOR_NAMES if c != DEFAULT_BACKGROUND])


def _sample_object(rng, background, taken, allow_letter=True):
    while True:
        if allow_letter and rng.random() < LETTER_PROB:
            shape = _choice(rng, LETTER_SHAPES)
        else:
            shape = _choice(rng, BASIC_SHAPES)
        color = _choice(rng, [c for c in COLOR_NAMES if c != background])
        if (shape, color) not in taken:
            taken.add((shape, color))
            size = SIZES[int(rng.choice(3, p=SIZE_PROBS))]
            return {"shape": shape, "color": color, "size": size, "count": 1, "place": None}


def _sample_category(rng, category):
    background = _sample_background(rng)
    taken = set()
    relations = []
    if category == "single":
        objects = [_sample_object(rng, background, taken)]
        if rng.random() < PLACE_PROB_SINGLE:
            objects[0]["place"] = _choice(rng, PLACES)
    elif category == "binding":
        n = int(rng.integers(2, MAX_OBJECTS + 1))
        objects = [_sample_object(rng, background, taken) for _ in range(n)]
        free = list(PLACES)
        for o in objects:
            if rng.random() < PLACE_PROB_MULTI:
                o["place"] = free.pop(int(rng.integers(len(free))))
    elif category == "relation":
        objects = [_sample_object(rng, background, taken) for _ in range(2)]
        relations = [{"a": 0, "rel": _choice(rng, RELATIONS), "b": 1}]
    else:  # count
        count = int(rng.integers(2, MAX_OBJECTS + 1))
        first = _sample_object(rng, background, taken, allow_letter=False)
        first["count"] = count
        objects = [first]
        if count < MAX_OBJECTS and rng.random() < 0.5:
            second = _sample_object(rng, background, taken, allow_letter=False)
            second["count"] = int(rng.integers(1, MAX_OBJECTS - count + 1))
            objects.append(second)
        if count <= 2 and rng.random() < PLACE_PROB_MULTI:
            first["place"] = _choice(rng, ("left", "right", "top", "bottom"))
    return {"background": background, "objects": objects, "relations": relations}


def sample_spec(rng, allow_heldout=False):
    """A random normalized spec; held-out ShapesBench meanings are re-drawn unless allowed."""
    names = [c for c, _ in CATEGORY_WEIGHTS]
    weights = [w for _, w in CATEGORY_WEIGHTS]
    while True:
        category = names[int(rng.choice(len(names), p=weights))]
        spec = normalize_spec(_sample_category(rng, category))
        if allow_heldout or not is_heldout_spec(spec):
            return spec
