"""gpu-proof, PyTorch side: one U-Net step of a stage in eager mode or under torch.compile,
on cuda or cpu, at several batch sizes, on the weights the ONNX files were exported from
(models.export.check_onnx.load_cascade). Eager mode also dumps each batch's inputs and output
so step-vs-torch.ts feeds onnxruntime the very same tensors.

usage: python3 gpu-runner/scripts/gpu-proof/torch_step.py --model tiny|embedded --device cuda --mode eager|compile
       --batches 2,16 [--stage base64 --res 64 --warmup 5 --iters 20] --dump DIR
prints one JSON line
"""
import argparse
import json
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402
import torch  # noqa: E402

from models.export.check_onnx import load_cascade  # noqa: E402
from models.export.onnx_export import stage_example  # noqa: E402


def timed(fn, device, warmup, iters):
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    for _ in range(warmup):
        out = fn()
    sync()
    times = []
    for _ in range(iters):
        t0 = time.perf_counter()
        out = fn()
        sync()
        times.append((time.perf_counter() - t0) * 1000)
    return out, times


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, choices=["tiny", "embedded"])
    ap.add_argument("--stage", default="base64")
    ap.add_argument("--res", type=int, default=64)
    ap.add_argument("--batches", default="2,16")
    ap.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    ap.add_argument("--mode", default="eager", choices=["eager", "compile"])
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--dump", required=True)
    args = ap.parse_args(argv)

    info = {"torch": torch.__version__, "device": args.device, "mode": args.mode, "stage": args.stage, "res": args.res}
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.device == "cuda":
        if not torch.cuda.is_available():
            print(json.dumps({**info, "skipped": "torch.cuda.is_available() is False"}))
            return 0
        info["gpu"] = torch.cuda.get_device_name(0)
    if args.mode == "compile" and not hasattr(torch, "compile"):
        print(json.dumps({**info, "skipped": f"torch {torch.__version__} has no torch.compile (it came with 2.0)"}))
        return 0

    _, stages, folder = load_cascade(args.model)
    with open(os.path.join(folder, "manifest.json")) as f:
        manifest = json.load(f)
    unet = stages[args.stage].eval().to(args.device)
    info["onnx"] = os.path.join(folder, next(s["onnx"] for s in manifest["stages"] if s["name"] == args.stage))
    fn_model = torch.compile(unet) if args.mode == "compile" else unet
    cfg = unet.cfg
    names = ["sample", "timestep", "encoder_hidden_states", "encoder_attention_mask"] + (["noise_level"] if cfg.noise_cond else [])
    runs = []
    for batch in [int(b) for b in args.batches.split(",")]:
        inputs = stage_example(cfg.in_channels, args.res, manifest["textEncoder"]["maxTokens"], cfg.text_dim,
                               cfg.noise_cond, batch=batch, seed=1)
        on_device = [t.to(args.device) for t in inputs]
        t0 = time.perf_counter()
        with torch.no_grad():
            out, times = timed(lambda: fn_model(*on_device), args.device, args.warmup, args.iters)
        run = {"batch": batch, "msMedian": statistics.median(times), "msMin": min(times),
               "firstCallsSeconds": round(time.perf_counter() - t0, 2)}
        if args.mode == "eager":
            folder_b = os.path.join(args.dump, f"b{batch}")
            os.makedirs(folder_b, exist_ok=True)
            dumped = []
            for i, (name, t) in enumerate(zip(names, inputs)):
                arr = t.numpy()
                kind = "int64" if arr.dtype == np.int64 else "float32"
                path = os.path.join(folder_b, f"in{i}.bin")
                arr.astype("<i8" if kind == "int64" else "<f4").tofile(path)
                dumped.append({"name": name, "type": kind, "dims": list(arr.shape), "file": path})
            out_path = os.path.join(folder_b, "out.bin")
            out.float().cpu().numpy().astype("<f4").tofile(out_path)
            run["inputs"] = dumped
            run["output"] = {"file": out_path, "dims": list(out.shape)}
        runs.append(run)
    print(json.dumps({**info, "runs": runs}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
