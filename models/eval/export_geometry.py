"""Writes the world's shape geometry (polygons, letter strokes, layout rules) as JSON
for the TypeScript ShapesBench judge, so judge templates are rendered from the very
geometry the world draws with. Run: /usr/bin/python3 -m models.eval.export_geometry
"""

import json
import os
import sys

import importlib

from models.world import vocab
from models.world.letters import STROKE
from models.world.shapes import LETTER_SEGS, POLYGONS

# models.world re-exports the function layout(), which shadows the submodule name.
layout = importlib.import_module("models.world.layout")

OUT = os.path.join(os.path.dirname(__file__), "judge", "geometry.json")


def main():
    geo = {
        "version": 1,
        "colors": {k: list(v) for k, v in vocab.COLORS.items()},
        "defaultBackground": vocab.DEFAULT_BACKGROUND,
        "polygons": {k: [[round(x, 6), round(y, 6)] for x, y in v] for k, v in POLYGONS.items()},
        "letterStroke": STROKE,
        "letters": {k: [[round(float(v), 6) for v in seg] for seg in segs] for k, segs in LETTER_SEGS.items()},
        "radius": {k: list(v) for k, v in layout.RADIUS.items()},
        "placeRegions": {str(k): list(v) for k, v in layout.PLACE_REGIONS.items() if k is not None},
    }
    text = json.dumps(geo, separators=(",", ":")) + "\n"
    if "--check" in sys.argv:
        with open(OUT) as f:
            if f.read() != text:
                sys.exit(f"{OUT} is out of date with models/world: run python3 -m models.eval.export_geometry")
        print("geometry.json is up to date")
        return
    with open(OUT, "w") as f:
        f.write(text)
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
