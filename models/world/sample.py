"""Random scene specs for training data, with ShapesBench's held-out meanings re-drawn.

Apart from spec.py so that spec.py need not import holdout.py (which imports
spec.py and caption.py): the world's modules form no import cycle.
"""

from .holdout import is_heldout_spec
from .spec import normalize_spec
from .vocab import BASIC_SHAPES, COLOR_NAMES, DEFAULT_BACKGROUND, LETTER_SHAPES, MAX_OBJECTS, PLACES, RELATIONS, SIZES

CATEGORY_WEIGHTS = (("single", 0.3), ("binding", 0.25), ("relation", 0.2), ("count", 0.25))
# Scene mixes, versioned: a training stream is (seed, index, mix), so a mix once used is never changed.
# "v1" is the shipped model's stream. "bench" moves the share of objects per scene towards what
# ShapesBench asks (45/33/15/7% for 1/2/3/4 objects; v1 draws 30/33/15/22%): v1's busy scenes fit
# the shipped model's commonest failure, one object more than asked. Weights are for n = 2, 3, 4.
MIXES = {
    "v1": {"categories": CATEGORY_WEIGHTS, "binding_n": (1 / 3, 1 / 3, 1 / 3), "count_n": (1 / 3, 1 / 3, 1 / 3)},
    "bench": {"categories": (("single", 0.45), ("binding", 0.22), ("relation", 0.2), ("count", 0.13)),
              "binding_n": (0.5, 0.35, 0.15), "count_n": (0.5, 0.35, 0.15)},
}
DEFAULT_MIX = "v1"
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


def _n_objects(rng, weights):
    """2, 3 or 4 (MAX_OBJECTS) by the mix's weights; v1's uniform draw kept bit for bit."""
    if weights[0] == weights[1] == weights[2]:
        return int(rng.integers(2, MAX_OBJECTS + 1))
    return 2 + int(rng.choice(3, p=weights))


def _sample_category(rng, category, mix):
    background = _sample_background(rng)
    taken = set()
    relations = []
    if category == "single":
        objects = [_sample_object(rng, background, taken)]
        if rng.random() < PLACE_PROB_SINGLE:
            objects[0]["place"] = _choice(rng, PLACES)
    elif category == "binding":
        n = _n_objects(rng, mix["binding_n"])
        objects = [_sample_object(rng, background, taken) for _ in range(n)]
        free = list(PLACES)
        for o in objects:
            if rng.random() < PLACE_PROB_MULTI:
                o["place"] = free.pop(int(rng.integers(len(free))))
    elif category == "relation":
        objects = [_sample_object(rng, background, taken) for _ in range(2)]
        relations = [{"a": 0, "rel": _choice(rng, RELATIONS), "b": 1}]
    else:  # count
        count = _n_objects(rng, mix["count_n"])
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


def sample_spec(rng, allow_heldout=False, mix=DEFAULT_MIX):
    """A random normalized spec of scene mix `mix`; held-out ShapesBench meanings are re-drawn unless allowed."""
    if mix not in MIXES:
        raise ValueError(f"unknown scene mix {mix!r}: one of {', '.join(MIXES)}")
    m = MIXES[mix]
    names = [c for c, _ in m["categories"]]
    weights = [w for _, w in m["categories"]]
    while True:
        category = names[int(rng.choice(len(names), p=weights))]
        spec = normalize_spec(_sample_category(rng, category, m))
        if allow_heldout or not is_heldout_spec(spec):
            return spec
