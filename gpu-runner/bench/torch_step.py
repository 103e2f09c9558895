"""PyTorch eager timing of one U-Net step, in its own process (run by bench.ts).

Loads the stage through py-nets' own loader (models.export.check_onnx.load_cascade:
the weights the ONNX files were exported from), builds the contract's inputs with
models.export.onnx_export.stage_example, and times `iters` forward passes after
`warmup` under torch.no_grad() with `threads` intra-op threads. The inputs and
the output are written to --dump so bench.ts can feed onnxruntime the very same
tensors and check that both sides computed the same function (identical weights).

usage: python3 gpu-runner/bench/torch_step.py --model tiny|embedded --stage base64 --batch 2 --res 64
       --threads N [--warmup 3] [--iters 10] --dump DIR
prints one JSON line
"""
import argparse
import json
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402
import torch  # noqa: E402

from models.export.check_onnx import load_cascade  # noqa: E402
from models.export.onnx_export import stage_example  # noqa: E402

MATMUL_KEYS = ("aten::conv2d", "aten::mm", "aten::addmm", "aten::bmm", "aten::baddbmm")


def profiler_flops(unet, inputs) -> int:
    """Multiply-add FLOPs as torch's profiler counts them (conv2d / mm / addmm / bmm only)."""
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU], with_flops=True) as prof:
        unet(*inputs)
    return int(sum(e.flops for e in prof.key_averages() if e.key in MATMUL_KEYS and e.flops))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, choices=["tiny", "embedded"])
    ap.add_argument("--stage", default="base64")
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--res", type=int, default=64)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--iters", type=int, default=10)
    ap.add_argument("--dump", required=True)
    args = ap.parse_args(argv)

    torch.set_num_threads(args.threads)
    _, stages, folder = load_cascade(args.model)
    with open(os.path.join(folder, "manifest.json")) as f:
        manifest = json.load(f)
    if args.stage not in stages:
        raise SystemExit(f"--stage: unknown stage {args.stage!r}; have {sorted(stages)}")
    unet = stages[args.stage].eval()
    cfg = unet.cfg
    inputs = stage_example(cfg.in_channels, args.res, manifest["textEncoder"]["maxTokens"], cfg.text_dim,
                           cfg.noise_cond, batch=args.batch, seed=1)
    names = ["sample", "timestep", "encoder_hidden_states", "encoder_attention_mask"] + (["noise_level"] if cfg.noise_cond else [])

    times = []
    with torch.no_grad():
        for _ in range(args.warmup):
            out = unet(*inputs)
        for _ in range(args.iters):
            t0 = time.perf_counter()
            out = unet(*inputs)
            times.append((time.perf_counter() - t0) * 1000)
        flops = profiler_flops(unet, inputs)

    os.makedirs(args.dump, exist_ok=True)
    dumped = []
    for i, (name, t) in enumerate(zip(names, inputs)):
        arr = t.numpy()
        kind = "int64" if arr.dtype == np.int64 else "float32"
        path = os.path.join(args.dump, f"in{i}.bin")
        arr.astype("<i8" if kind == "int64" else "<f4").tofile(path)
        dumped.append({"name": name, "type": kind, "dims": list(arr.shape), "file": path})
    out_path = os.path.join(args.dump, "out.bin")
    out.numpy().astype("<f4").tofile(out_path)

    print(json.dumps({
        "model": args.model, "stage": args.stage, "onnx": os.path.join(folder, next(s["onnx"] for s in manifest["stages"] if s["name"] == args.stage)),
        "batch": args.batch, "res": args.res, "threads": torch.get_num_threads(), "torch": torch.__version__,
        "msMedian": statistics.median(times), "msMin": min(times), "ms": times, "profilerFlops": flops,
        "inputs": dumped, "output": {"file": out_path, "dims": list(out.shape)},
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
