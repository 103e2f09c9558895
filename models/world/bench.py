"""Single-process rendering throughput in CPU time (robust to a busy machine):
`python3 -m models.world.bench [--count N]`."""

import argparse
import time

import numpy as np

from . import box_downsample, caption, example_rng, render, sample_scene


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--count", type=int, default=400, help="scenes per size at 64 px (fewer at larger sizes)")
    args = ap.parse_args()
    scenes = [sample_scene(example_rng(123, i)) for i in range(args.count)]
    t0 = time.process_time()
    for i, s in enumerate(scenes):
        caption(s, example_rng(124, i))
    t1 = time.process_time()
    print(f"sample+caption: {len(scenes) / (t1 - t0):.0f} captions/s (caption only)")
    for size, n in ((64, args.count), (256, max(1, args.count // 4)), (1024, max(1, args.count // 40))):
        t0 = time.process_time()
        for s in scenes[:n]:
            render(s, size)
        dt = time.process_time() - t0
        print(f"render {size:4d}px: {n / dt:7.1f} images/s ({n} images)")
    diffs = {64: [], 256: []}
    for s in scenes[:10]:
        big = render(s, 1024).astype(np.int16)
        for size in diffs:
            ref = box_downsample(big.astype(np.uint8), 1024 // size).astype(np.int16)
            diffs[size].append(np.abs(ref - render(s, size)).mean())
    for size, d in diffs.items():
        print(f"direct {size}px vs downsampled 1024: mean abs diff {np.mean(d):.3f}/255 (max over scenes {np.max(d):.3f})")


if __name__ == "__main__":
    main()
