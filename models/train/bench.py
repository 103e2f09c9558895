"""Training throughput of one stage on this machine, measured:

    python3 -m models.train.bench --stage base64 --seconds 60 [--json] [--batch N] [--threads K]
                                  [--workers K] [--no-onednn] [--channels-last] [--patch P]

Trains the shipped recipe (the committed checkpoint, the real data feed, AdamW, EMA) for --seconds after a
short warm-up and writes nothing back. Prints images/s, the share of the time spent waiting for training
data, and the achieved GFLOP/s against this CPU's convolution peak, measured in the same run (a 3x3 conv
forward at the base's shapes, best of a few), so runs on loaded and idle machines stay comparable. FLOPs per
image are counted once by torch's profiler on the stage's own forward (convolutions and matmuls); training
is counted as 3x the U-Net forward (forward + backward) plus the frozen encoder's forward.
--patch P measures a design variant instead: the stage's U-Net with a P x P space-to-depth stem (its top
level then runs at 1/P of the resolution), untrained. With --json the last line is one JSON object (imagesPerSecond, dataWaitFraction, peakFraction, ...).
"""
import argparse
import dataclasses
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

from .common import Logger

FLOP_OPS = ("aten::conv2d", "aten::convolution", "aten::addmm", "aten::mm", "aten::bmm", "aten::matmul")


def conv_peak_gflops(threads: int, seconds: float = 3.0) -> float:
    """Best GFLOP/s of a 3x3 convolution forward (oneDNN) over shapes the base U-Net runs at."""
    best = 0.0
    for b, c, hw in ((32, 128, 16), (32, 64, 32), (16, 128, 32)):
        x, w = torch.randn(b, c, hw, hw), torch.randn(c, c, 3, 3)
        flops = 2.0 * b * c * c * 9 * hw * hw
        F.conv2d(x, w, padding=1)
        n, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds / 3:
            F.conv2d(x, w, padding=1)
            n += 1
        best = max(best, n * flops / (time.perf_counter() - t0) / 1e9)
    return best


def forward_flops(module, *inputs) -> float:
    """FLOPs of one forward, from the profiler's per-op counts of convolutions and matmuls."""
    with torch.no_grad(), torch.autograd.profiler.profile(with_flops=True) as prof:
        module(*inputs)
    # conv2d and its inner convolution both report: count each call once (the outermost)
    return sum(ev.flops for ev in prof.function_events
               if ev.name in FLOP_OPS and ev.flops and not (ev.cpu_parent is not None and ev.cpu_parent.name in FLOP_OPS))


def training_flops_per_image(tr) -> float:
    """3x the U-Net forward (forward + backward) + the encoder forward, per image, on the generic (unrouted)
    path, whose ops the profiler knows how to count."""
    b = 2
    # fresh (unrouted) modules of the same designs: FLOPs do not depend on the weights
    unet, enc = type(tr.unet)(tr.unet.cfg), type(tr.encoder)(tr.encoder.cfg)
    ids, mask = tr.tok.batch_trimmed(["a red circle above two small blue squares"] * b, tr.max_tokens)
    text = enc(ids, mask)
    res = tr.spec["resolution"]
    crop = tr.spec.get("train_crop", res)
    ch = tr.unet.cfg.in_channels
    x = torch.randn(b, ch, crop, crop)
    t = torch.full((b,), 500.0)
    noise_level = torch.full((b,), 100.0) if tr.sr else None
    return (3 * forward_flops(unet, x, t, text, mask, noise_level) + forward_flops(enc, ids, mask)) / b


def run(stage: str, seconds: float, batch: int = None, threads: int = 1, workers: int = 0, onednn: bool = True,
        channels_last: bool = False, warmup_steps: int = 3, quiet: bool = False, peak_seconds: float = 3.0,
        patch: int = 0) -> dict:
    from .stage import StageTrainer, open_stream
    torch.set_num_threads(threads)
    log = Logger(stage) if not quiet else (lambda _msg: None)
    peak = conv_peak_gflops(threads, peak_seconds)
    variant = None
    if patch:
        from models.nets.configs import EMBEDDED
        variant = dataclasses.replace(EMBEDDED["stages"][stage]["unet"], patch=patch)
    tr = StageTrainer(stage, "cpu", log, batch=batch, onednn=onednn, unet_cfg=variant)
    if channels_last:
        tr.unet.to(memory_format=torch.channels_last)
    flops = training_flops_per_image(tr)
    stream = open_stream(tr, workers)
    try:
        for _ in range(warmup_steps):
            tr.step(stream)
        tr.data_seconds, images, steps = 0.0, 0, 0
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            tr.step(stream)
            images += tr.hp["batch"]
            steps += 1
        wall = time.perf_counter() - t0
    finally:
        stream.close()
    ips = images / wall
    return {
        "stage": stage, "batch": tr.hp["batch"], "threads": threads, "workers": workers, "onednn": onednn,
        "channelsLast": channels_last, "patch": tr.unet.cfg.patch, "seconds": round(wall, 1), "steps": steps,
        "imagesPerSecond": round(ips, 2), "dataWaitFraction": round(tr.data_seconds / wall, 3),
        "gflopPerImage": round(flops / 1e9, 3), "achievedGflops": round(ips * flops / 1e9, 1),
        "peakGflops": round(peak, 1), "peakFraction": round(ips * flops / 1e9 / peak, 3),
        "torch": torch.__version__, "cpu": cpu_name(), "cores": os.cpu_count(),
    }


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stage", default="base64", choices=["base64", "sr256", "sr1024"])
    ap.add_argument("--seconds", type=float, default=60.0, help="measured training time after warm-up (> 0)")
    ap.add_argument("--batch", type=int, default=0, help="batch size (default: the stage's recipe)")
    ap.add_argument("--threads", type=int, default=1, help="torch intra-op threads (>= 1)")
    ap.add_argument("--workers", type=int, default=0, help="render processes (0: render in the trainer)")
    ap.add_argument("--no-onednn", action="store_true", help="linears and attention on torch's own BLAS")
    ap.add_argument("--channels-last", action="store_true", help="U-Net in channels-last memory format")
    ap.add_argument("--patch", type=int, default=0, help="design variant: a P x P space-to-depth stem, untrained (>= 2)")
    ap.add_argument("--json", action="store_true", help="print one JSON object on the last line")
    args = ap.parse_args(argv)
    if args.seconds <= 0:
        ap.error(f"--seconds: {args.seconds} must be > 0")
    if args.threads < 1 or args.batch < 0 or args.workers < 0:
        ap.error("--threads must be >= 1, --batch and --workers >= 0")
    if args.patch == 1 or args.patch < 0 or (args.patch and 64 % args.patch):
        ap.error(f"--patch: {args.patch} must be 0 (the stage as shipped) or a divisor of 64 that is >= 2")
    r = run(args.stage, args.seconds, args.batch or None, args.threads, args.workers, not args.no_onednn,
            args.channels_last, quiet=args.json, patch=args.patch)
    stem = f", {r['patch']}x{r['patch']} space-to-depth stem (untrained variant)" if r["patch"] > 1 else ""
    print(f"{r['stage']} batch {r['batch']}, {r['threads']} thread(s), {r['workers']} render workers, oneDNN matmuls "
          f"{'on' if r['onednn'] else 'off'}{', channels-last' if r['channelsLast'] else ''}"
          f"{stem}: "
          f"{r['imagesPerSecond']} images/s, waiting for data {100 * r['dataWaitFraction']:.0f}%, "
          f"{r['achievedGflops']} GFLOP/s of {r['peakGflops']} conv peak ({100 * r['peakFraction']:.0f}%), "
          f"{r['gflopPerImage']} GFLOP per image ({r['cpu']}, torch {r['torch']})", file=sys.stderr if args.json else sys.stdout)
    if args.json:
        print(json.dumps(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
