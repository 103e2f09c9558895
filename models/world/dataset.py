"""Write a rendered dataset: images uint8 [N,S,S,3], captions, scenes as JSON.

python3 -m models.world.dataset --size 64 --count N --seed S --out FILE.npz [--workers K]

Example i depends only on (seed, i), so the file is identical for any --workers.
Captions are never dropped here; the trainer applies CAPTION_DROP.
"""

import argparse
import json
import multiprocessing
import sys

import numpy as np

from . import make_example

_CHUNK = 256


def _render_range(args):
    seed, start, stop, size = args
    images = np.empty((stop - start, size, size, 3), dtype=np.uint8)
    captions, scenes = [], []
    for k, i in enumerate(range(start, stop)):
        renders, text, scene = make_example(seed, i, sizes=(size,))
        images[k] = renders[size]
        captions.append(text)
        scenes.append(json.dumps(scene, separators=(",", ":")))
    return start, images, captions, scenes


def build(size, count, seed, workers=1):
    """(images, captions, scenes) for examples 0..count-1 of dataset `seed`."""
    images = np.empty((count, size, size, 3), dtype=np.uint8)
    captions = [""] * count
    scenes = [""] * count
    jobs = [(seed, s, min(count, s + _CHUNK), size) for s in range(0, count, _CHUNK)]
    if workers > 1:
        with multiprocessing.Pool(workers) as pool:
            results = pool.imap_unordered(_render_range, jobs)
            for start, im, cap, sc in results:
                _store(images, captions, scenes, start, im, cap, sc)
    else:
        for job in jobs:
            _store(images, captions, scenes, *_render_range(job))
    return images, captions, scenes


def _store(images, captions, scenes, start, im, cap, sc):
    images[start : start + len(im)] = im
    captions[start : start + len(cap)] = cap
    scenes[start : start + len(sc)] = sc


def main(argv=None):
    ap = argparse.ArgumentParser(description="Render a captioned shapes-world dataset to .npz")
    ap.add_argument("--size", type=int, required=True, help="image side in pixels (e.g. 64, 256, 1024)")
    ap.add_argument("--count", type=int, required=True, help="number of examples")
    ap.add_argument("--seed", type=int, required=True, help="dataset seed")
    ap.add_argument("--out", required=True, help="output .npz path")
    ap.add_argument("--workers", type=int, default=1, help="processes (default 1)")
    args = ap.parse_args(argv)
    if not 8 <= args.size <= 4096:
        ap.error(f"--size: {args.size} is not in 8..4096")
    if args.count < 1:
        ap.error(f"--count: {args.count} must be >= 1")
    if args.workers < 1:
        ap.error(f"--workers: {args.workers} must be >= 1")
    images, captions, scenes = build(args.size, args.count, args.seed, args.workers)
    np.savez(args.out, images=images, captions=np.asarray(captions), scenes=np.asarray(scenes))
    print(f"wrote {args.count} examples of {args.size}px to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
