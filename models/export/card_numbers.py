"""Print the numbers MODEL_CARD.md quotes: parameters, MACs, training progress, file hashes.

usage: python3 -m models.export.card_numbers
"""
import json
import os
import re

import torch

from models.train.checkpoint import read as read_checkpoint

from .__main__ import CHECKPOINTS, EMBEDDED_DIR, STAGES, load_embedded
from .flops import cascade_macs
from .onnx_export import sha256_file

RUNS = os.path.join(os.path.dirname(EMBEDDED_DIR), "runs")


def last_losses(stage: str, n: int = 1) -> list:
    path = os.path.join(RUNS, f"{stage}.log")
    if not os.path.exists(path):
        return []
    pat = re.compile(r"step (\d+) (?:mlm_)?loss ([0-9.]+)")
    hits = [(int(m.group(1)), float(m.group(2))) for m in map(pat.search, open(path).read().splitlines()) if m]
    return hits[-n:]


def main() -> int:
    torch.set_num_threads(1)
    enc, stages = load_embedded()
    with open(os.path.join(EMBEDDED_DIR, "manifest.json")) as f:
        manifest = json.load(f)
    res = {s["name"]: s["resolution"] for s in manifest["stages"]}
    macs = cascade_macs(enc, stages, res)
    out = {"params": {"encoder": sum(p.numel() for p in enc.parameters()),
                      **{n: sum(p.numel() for p in u.parameters()) for n, u in stages.items()}},
           "gmacs": {k: round(v / 1e9, 3) for k, v in macs.items()}, "progress": {}, "losses": {}, "files": {}}
    for name in ("encoder",) + STAGES:
        ck = read_checkpoint(os.path.join(CHECKPOINTS, name, "ema.pt"))
        out["progress"][name] = ck["progress"]
        out["losses"][name] = last_losses(name, 3)
    for fn in sorted(os.listdir(EMBEDDED_DIR)):
        if fn.endswith((".onnx", ".json")):
            p = os.path.join(EMBEDDED_DIR, fn)
            out["files"][fn] = {"bytes": os.path.getsize(p), "sha256": sha256_file(p)}
    for name in ("encoder",) + STAGES:
        p = os.path.join(CHECKPOINTS, name, "ema.pt")
        out["files"][f"checkpoints/{name}/ema.pt"] = {"bytes": os.path.getsize(p)}
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
