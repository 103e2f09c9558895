"""Scene specifications: the ShapesBench `expect` schema and its validation (sampling: sample.py).

A spec says what a caption claims; `layout.py` turns it into geometry.
"""

from .vocab import (
    COLOR_NAMES,
    DEFAULT_BACKGROUND,
    DEFAULT_SIZE,
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


def has_letter(spec):
    return any(is_letter(o["shape"]) for o in spec["objects"])
