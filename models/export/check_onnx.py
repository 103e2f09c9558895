"""Check exported ONNX against torch: run both on a fixed batch, require max |diff| <= tol.

The ONNX side runs in onnxruntime-node (models/export/run-onnx.ts), i.e. the
runtime the engine uses; there is no Python onnxruntime on this machine.

usage: python3 -m models.export.check_onnx --model tiny|embedded [--stages encoder,base64,sr256,sr1024]
       [--res 32] [--batch 2] [--tol 1e-4] [--time N]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import torch

from models.fixtures.make_tiny import FIXTURE_DIR, build_tiny

from .embedded import EMBEDDED_DIR, load_embedded
from .onnx_export import encoder_example, stage_example

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUNNER = os.path.join(ROOT, "models", "export", "run-onnx.ts")


def node_binary() -> str:
    local = os.path.join(ROOT, ".local", "node", "bin", "node")
    if os.path.exists(local):
        return local
    found = shutil.which("node")
    if not found:
        raise RuntimeError("node not found: install Node >= 22 or put it on PATH")
    return found


def run_onnx(onnx_path: str, named_inputs, output_name: str, threads: int = 2, timing_runs: int = 0):
    """Run `onnx_path` in onnxruntime-node; returns (output ndarray, ms per run or None)."""
    with tempfile.TemporaryDirectory() as tmp:
        inputs = []
        for i, (name, t) in enumerate(named_inputs):
            arr = t.detach().cpu().numpy()
            kind = "int64" if arr.dtype == np.int64 else "float32"
            path = os.path.join(tmp, f"in{i}.bin")
            arr.astype("<i8" if kind == "int64" else "<f4").tofile(path)
            inputs.append({"name": name, "type": kind, "dims": list(arr.shape), "file": path})
        out_path = os.path.join(tmp, "out.bin")
        job = {"model": os.path.abspath(onnx_path), "inputs": inputs, "outputs": [{"name": output_name, "file": out_path}],
               "threads": threads, "timingRuns": timing_runs}
        job_path = os.path.join(tmp, "job.json")
        with open(job_path, "w") as f:
            json.dump(job, f)
        proc = subprocess.run([node_binary(), RUNNER, job_path], cwd=ROOT, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"run-onnx.ts failed ({proc.returncode}):\n{proc.stderr}")
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        dims = result["outputs"][output_name]
        out = np.fromfile(out_path, dtype="<f4").reshape(dims)
        return out, result["msPerRun"]


def check_encoder(encoder, onnx_path: str, batch: int = 2, tol: float = 1e-4, timing_runs: int = 0) -> dict:
    ids, mask = encoder_example(encoder.cfg.max_tokens, batch=batch, vocab=min(encoder.cfg.vocab_size, 64), seed=1)
    with torch.no_grad():
        ref = encoder.eval()(ids, mask).numpy()
    out, ms = run_onnx(onnx_path, [("input_ids", ids), ("attention_mask", mask)], "last_hidden_state",
                       timing_runs=timing_runs)
    return _verdict("encoder", ref, out, tol, ms)


def check_stage(name: str, unet, onnx_path: str, max_tokens: int, res: int, batch: int = 2, tol: float = 1e-4,
                timing_runs: int = 0) -> dict:
    cfg = unet.cfg
    sr = cfg.noise_cond
    inputs = stage_example(cfg.in_channels, res, max_tokens, cfg.text_dim, sr, batch=batch, seed=1)
    with torch.no_grad():
        ref = unet.eval()(*inputs).numpy()
    names = ["sample", "timestep", "encoder_hidden_states", "encoder_attention_mask"] + (["noise_level"] if sr else [])
    out, ms = run_onnx(onnx_path, list(zip(names, inputs)), "out", timing_runs=timing_runs)
    if cfg.x0_as_v is None:
        return _verdict(name, ref, out, tol, ms)
    # An x0-predicting body outputs v = (alpha x_t - x0) / sigma: near t = 0 that multiplies float32 rounding
    # by 1/sigma (~60 at t = 3). Compare x0 = alpha x_t - sigma v, the quantity the engine derives from v.
    alpha = unet.v_alpha[inputs[1].long()].double().numpy()[:, None, None, None]
    sigma = unet.v_sigma[inputs[1].long()].double().numpy()[:, None, None, None]
    x_t = inputs[0][:, :3].double().numpy()
    verdict = _verdict(name, alpha * x_t - sigma * ref, alpha * x_t - sigma * out.astype(np.float64), tol, ms)
    verdict.update(space="x0", maxAbsDiffV=float(np.max(np.abs(ref.astype(np.float64) - out))))
    return verdict


def _verdict(name: str, ref: np.ndarray, out: np.ndarray, tol: float, ms) -> dict:
    if ref.shape != out.shape:
        return {"name": name, "ok": False, "error": f"shape {out.shape} != torch {ref.shape}"}
    diff = float(np.max(np.abs(ref.astype(np.float64) - out.astype(np.float64))))
    return {"name": name, "ok": diff <= tol, "maxAbsDiff": diff, "refAbsMax": float(np.max(np.abs(ref))),
            "shape": list(out.shape), "msPerRun": ms}


def load_cascade(model: str):
    """(encoder, {stage: unet}, folder) for a named cascade, weights as exported."""
    if model == "tiny":
        enc, stages = build_tiny()
        return enc, stages, FIXTURE_DIR
    if model == "embedded":
        enc, stages = load_embedded()
        return enc, stages, EMBEDDED_DIR
    raise ValueError(f"--model must be 'tiny' or 'embedded', got {model!r}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, choices=["tiny", "embedded"])
    ap.add_argument("--stages", default="encoder,base64,sr256,sr1024")
    ap.add_argument("--res", type=int, default=0, help="spatial size of the check batch (0: 32 for base, 64 for SR)")
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--time", type=int, default=0, help="timed ORT runs per stage (at --res)")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    enc, stages, folder = load_cascade(args.model)
    with open(os.path.join(folder, "manifest.json")) as f:
        manifest = json.load(f)
    max_tokens = manifest["textEncoder"]["maxTokens"]
    results = []
    for name in args.stages.split(","):
        if name == "encoder":
            results.append(check_encoder(enc, os.path.join(folder, manifest["textEncoder"]["onnx"]), args.batch,
                                         args.tol, args.time))
            continue
        stage = next((s for s in manifest["stages"] if s["name"] == name), None)
        if stage is None or name not in stages:
            raise SystemExit(f"--stages: unknown stage {name!r}; have {[s['name'] for s in manifest['stages']]}")
        res = args.res or (32 if stage.get("lowRes") is None else 64)
        results.append(check_stage(name, stages[name], os.path.join(folder, stage["onnx"]), max_tokens, res,
                                   args.batch, args.tol, args.time))
    print(json.dumps(results))
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
