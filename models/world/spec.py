"""Scene specifications: the ShapesBench `expect` schema, validation and sampling.

A spec says what a caption claims; `layout.py` turns it into geometry.
"""

from .vocab import (
    BASIC_SHAPES,
    COLOR_NAMES,
    DEFAULT_BACKGROUND,
    DEFAULT_SIZE,
    LETTER_SHAPES,
    MAX_OBJECTS,
    PLACES,
    RELATIONS,
    INVERSE_RELATION,
    SHAPES,
    SIZES,
    is_letter,
)


class SpecError(ValueError):
    pass


def _check(value, allowed, field):
    if value not in allowed:
        raise SpecError(f"{field}: {value!r} is not one of {', '.join(map(str, allowed))}")
    return value


def normalize_spec(spec):
    """Validate a spec-like dict and return a new dict with every default filled in."""
    if not isinstance(spec, dict):
        raise SpecError("spec: expected an object")
    background = _check(spec.get("background") or DEFAULT_BACKGROUND, COLOR_NAMES, "background")
    raw_objects = spec.get("objects")
    if not isinstance(raw_objects, list) or not raw_objects:
        raise SpecError("objects: expected a non-empty list")
    objects = []
    total = 0
    for i, o in enumerate(raw_objects):
        if not isinstance(o, dict):
            raise SpecError(f"objects[{i}]: expected an object")
        shape = _check(o.get("shape"), SHAPES, f"objects[{i}].shape")
        color = _check(o.get("color"), COLOR_NAMES, f"objects[{i}].color")
        if color == background:
            raise SpecError(f"objects[{i}].color: {color!r} equals the background color")
        size = _check(o.get("size") or DEFAULT_SIZE, SIZES, f"objects[{i}].size")
        count = o.get("count", 1)
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_OBJECTS:
            raise SpecError(f"objects[{i}].count: {count!r} is not an integer in 1..{MAX_OBJECTS}")
        place = o.get("place")
        if place is not None:
            _check(place, PLACES, f"objects[{i}].place")
        total += count
        objects.append({"shape": shape, "color": color, "size": size, "count": count, "place": place})
    if total > MAX_OBJECTS:
        raise SpecError(f"objects: {total} instances in total, at most {MAX_OBJECTS} allowed")
    relations = []
    for i, r in enumerate(spec.get("relations") or []):
        if not isinstance(r, dict):
            raise SpecError(f"relations[{i}]: expected an object")
        rel = _check(r.get("rel"), RELATIONS, f"relations[{i}].rel")
        for key in ("a", "b"):
            idx = r.get(key)
            if not isinstance(idx, int) or isinstance(idx, bool) or not 0 <= idx < len(objects):
                raise SpecError(f"relations[{i}].{key}: {idx!r} is not an object index in 0..{len(objects) - 1}")
            if objects[idx]["count"] != 1:
                raise SpecError(f"relations[{i}].{key}: object {idx} has count {objects[idx]['count']}, relations need count 1")
        if r["a"] == r["b"]:
            raise SpecError(f"relations[{i}]: a and b must differ")
        relations.append({"a": r["a"], "rel": rel, "b": r["b"]})
    return {"background": background, "objects": objects, "relations": relations}


def object_key(o):
    return (o["shape"], o["color"], o["size"], o["count"], o["place"] or "")


def signature(spec):
    """Order-independent meaning of a spec: equal for all paraphrases of one caption."""
    spec = normalize_spec(spec)
    objs = spec["objects"]
    keys = tuple(sorted(object_key(o) for o in objs))
    rels = []
    for r in spec["relations"]:
        a, rel, b = object_key(objs[r["a"]]), r["rel"], object_key(objs[r["b"]])
        if rel in ("right-of", "below"):
            a, rel, b = b, INVERSE_RELATION[rel], a
        rels.append((a, rel, b))
    return (spec["background"], keys, tuple(sorted(rels)))


# ---- sampling -------------------------------------------------------------

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
    from .holdout import is_heldout_spec

    names = [c for c, _ in CATEGORY_WEIGHTS]
    weights = [w for _, w in CATEGORY_WEIGHTS]
    while True:
        category = names[int(rng.choice(len(names), p=weights))]
        spec = normalize_spec(_sample_category(rng, category))
        if allow_heldout or not is_heldout_spec(spec):
            return spec


def has_letter(spec):
    return any(is_letter(o["shape"]) for o in spec["objects"])
