"""Geometry that makes a spec true. Coordinates are normalized: x right, y down, [0, 1].

Every instance is a box [cx-r, cx+r] x [cy-r, cy+r] (the shape is drawn inside it).
The rules below are the contract the ShapesBench judge reads (README.md).
"""

from .spec import normalize_spec

THIRD = 1.0 / 3.0
PLACE_MARGIN = 0.03   # centers stay this far inside their region when generated
EDGE_MARGIN = 0.02    # boxes stay this far from the image border
GAP = 0.02            # minimum empty space between two boxes
REL_SLOPE = 0.5       # a relation's off-axis offset is at most this times its main-axis offset

RADIUS = {"small": (0.06, 0.075), "medium": (0.1, 0.12), "large": (0.15, 0.18)}

# Allowed center ranges per place, as (x_lo, x_hi, y_lo, y_hi) before the edge margin.
_LO, _HI = 0.0, 1.0
_L = (_LO, THIRD - PLACE_MARGIN)
_R = (2 * THIRD + PLACE_MARGIN, _HI)
_M = (THIRD + PLACE_MARGIN, 2 * THIRD - PLACE_MARGIN)
_ANY = (_LO, _HI)
PLACE_REGIONS = {
    None: _ANY + _ANY,
    "left": _L + _ANY,
    "right": _R + _ANY,
    "top": _ANY + _L,
    "bottom": _ANY + _R,
    "center": _M + _M,
    "top-left": _L + _L,
    "top-right": _R + _L,
    "bottom-left": _L + _R,
    "bottom-right": _R + _R,
}


class LayoutError(RuntimeError):
    pass


def boxes_separated(a, b, gap=GAP):
    reach = a["r"] + b["r"] + gap
    return abs(a["cx"] - b["cx"]) >= reach or abs(a["cy"] - b["cy"]) >= reach


def relation_holds(a, rel, b, gap=GAP, slope=REL_SLOPE):
    """Generation rule (strict): disjoint along the axis, and mostly along that axis."""
    dx, dy = b["cx"] - a["cx"], b["cy"] - a["cy"]
    if rel == "right-of":
        return relation_holds(b, "left-of", a, gap, slope)
    if rel == "below":
        return relation_holds(b, "above", a, gap, slope)
    if rel == "left-of":
        return (b["cx"] - b["r"]) - (a["cx"] + a["r"]) >= gap and abs(dy) <= slope * dx
    if rel == "above":
        return (b["cy"] - b["r"]) - (a["cy"] + a["r"]) >= gap and abs(dx) <= slope * dy
    raise ValueError(f"rel: {rel!r}")


def place_holds(o, place):
    x_lo, x_hi, y_lo, y_hi = PLACE_REGIONS[place]
    return x_lo <= o["cx"] <= x_hi and y_lo <= o["cy"] <= y_hi


def _center_range(lo, hi, r):
    return max(lo, r + EDGE_MARGIN), min(hi, 1.0 - r - EDGE_MARGIN)


def layout(spec, rng, max_tries=60, tries_per_object=80):
    """Return a Scene (see README) whose geometry satisfies `spec`, or raise LayoutError."""
    spec = normalize_spec(spec)
    items = spec["objects"]
    for _ in range(max_tries):
        placed = []
        ok = True
        for idx, item in enumerate(items):
            for _k in range(item["count"]):
                r_lo, r_hi = RADIUS[item["size"]]
                obj = None
                for _t in range(tries_per_object):
                    r = float(rng.uniform(r_lo, r_hi))
                    x_lo, x_hi, y_lo, y_hi = PLACE_REGIONS[item["place"]]
                    x_lo, x_hi = _center_range(x_lo, x_hi, r)
                    y_lo, y_hi = _center_range(y_lo, y_hi, r)
                    if x_lo > x_hi or y_lo > y_hi:
                        continue
                    cand = {
                        "item": idx,
                        "shape": item["shape"],
                        "color": item["color"],
                        "size": item["size"],
                        "cx": float(rng.uniform(x_lo, x_hi)),
                        "cy": float(rng.uniform(y_lo, y_hi)),
                        "r": r,
                        "stripe": int(rng.integers(2)),
                    }
                    if all(boxes_separated(cand, p) for p in placed) and _relations_ok(spec, placed, cand):
                        obj = cand
                        break
                if obj is None:
                    ok = False
                    break
                placed.append(obj)
            if not ok:
                break
        if ok:
            return {"spec": spec, "background": spec["background"], "objects": placed}
    raise LayoutError(f"could not lay out spec after {max_tries} tries: {spec}")


def _relations_ok(spec, placed, cand):
    by_item = {p["item"]: p for p in placed}
    by_item[cand["item"]] = cand
    for rel in spec["relations"]:
        a, b = by_item.get(rel["a"]), by_item.get(rel["b"])
        if a is not None and b is not None and (a is cand or b is cand):
            if not relation_holds(a, rel["rel"], b):
                return False
    return True


def check_scene(scene):
    """List of violated constraints (empty when the scene is true to its spec)."""
    spec = scene["spec"]
    objs = scene["objects"]
    errors = []
    for i, o in enumerate(objs):
        item = spec["objects"][o["item"]]
        if not place_holds(o, item["place"]):
            errors.append(f"object {i} not in place {item['place']}")
        r_lo, r_hi = RADIUS[item["size"]]
        if not r_lo <= o["r"] <= r_hi:
            errors.append(f"object {i} radius {o['r']:.3f} not {item['size']}")
        for j in range(i):
            if not boxes_separated(o, objs[j]):
                errors.append(f"objects {j} and {i} overlap")
    counts = [0] * len(spec["objects"])
    for o in objs:
        counts[o["item"]] += 1
    for idx, item in enumerate(spec["objects"]):
        if counts[idx] != item["count"]:
            errors.append(f"item {idx} has {counts[idx]} instances, expected {item['count']}")
    first = {}
    for o in objs:
        first.setdefault(o["item"], o)
    for rel in spec["relations"]:
        if not relation_holds(first[rel["a"]], rel["rel"], first[rel["b"]]):
            errors.append(f"relation {rel} does not hold")
    return errors
