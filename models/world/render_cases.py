"""Ground-truth renders of ShapesBench cases for the judge.

python3 -m models.world.render_cases --prompts models/eval/dev.jsonl --seeds 4 --size 64 --out DIR

For every case and seed s in 0..seeds-1, lays out a scene satisfying the case's
`expect` and writes DIR/<id>-s<s>.png plus DIR/index.jsonl lines
{"id", "seed", "file", "scene"} (file relative to DIR; scene = the laid-out Scene).
"""

import argparse
import json
import pathlib
import sys
import zlib

import numpy as np
from PIL import Image

from .layout import layout
from .render import render


def case_rng(case_id, seed):
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([zlib.crc32(case_id.encode()), int(seed)])))


def load_cases(path):
    cases = []
    for n, line in enumerate(pathlib.Path(path).read_text().splitlines(), 1):
        if line.strip():
            case = json.loads(line)
            if not isinstance(case.get("id"), str) or "expect" not in case:
                raise ValueError(f"{path}:{n}: a case needs a string 'id' and an 'expect' object")
            cases.append(case)
    return cases


def render_case(case, seed, size):
    scene = layout(case["expect"], case_rng(case["id"], seed), max_tries=400)
    return render(scene, size), scene


def main(argv=None):
    ap = argparse.ArgumentParser(description="Render ground-truth images for ShapesBench cases")
    ap.add_argument("--prompts", required=True, help="JSON-lines prompt set (e.g. models/eval/dev.jsonl)")
    ap.add_argument("--seeds", type=int, default=4, help="renders per case (default 4)")
    ap.add_argument("--size", type=int, default=64, help="image side in pixels (default 64)")
    ap.add_argument("--out", required=True, help="output directory")
    args = ap.parse_args(argv)
    if args.seeds < 1:
        ap.error(f"--seeds: {args.seeds} must be >= 1")
    if not 8 <= args.size <= 4096:
        ap.error(f"--size: {args.size} is not in 8..4096")
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    lines = []
    for case in load_cases(args.prompts):
        for s in range(args.seeds):
            img, scene = render_case(case, s, args.size)
            name = f"{case['id']}-s{s}.png"
            Image.fromarray(img).save(out / name)
            lines.append(json.dumps({"id": case["id"], "seed": s, "file": name, "scene": scene}))
    (out / "index.jsonl").write_text("\n".join(lines) + "\n")
    print(f"wrote {len(lines)} images to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
