"""python3 -m models.export --model embedded [--skip-check] [--time]

Writes models/embedded/{text-encoder,base64,sr256,sr1024}.onnx from the committed
EMA checkpoints (models/checkpoints/<stage>/ema.pt) plus manifest.json, then checks
every ONNX file against torch in onnxruntime-node (max |diff| <= 1e-4).
`--model tiny` regenerates the random-weight fixture instead.
"""
import argparse
import json
import os
import sys

import torch

from models.fixtures.make_tiny import make as make_tiny
from models.nets.configs import EMBEDDED

from .embedded import EMBEDDED_DIR, load_embedded, training_summary
from .manifest import TEXT_ENCODER_ONNX, build_manifest, stage_file, write_json
from .check_onnx import main as check_main
from .onnx_export import export_encoder, export_stage

# Prompts from the shapes world the model draws well (ShapesBench's "single"
# category is its strongest; see MODEL_CARD.md), offered by the notebook.
EMBEDDED_EXAMPLES = [
    "a red circle on a white background",
    "a large green triangle on an orange background",
    "a small purple star",
    "two red circles above a blue square",
    "a pink heart on a white background",
]


def export_embedded(check: bool = True, timing_runs: int = 0) -> int:
    enc, stages = load_embedded()
    os.makedirs(EMBEDDED_DIR, exist_ok=True)
    if not os.path.exists(os.path.join(EMBEDDED_DIR, "tokenizer.json")):
        raise SystemExit("models/embedded/tokenizer.json is missing")
    export_encoder(enc, os.path.join(EMBEDDED_DIR, TEXT_ENCODER_ONNX))
    for name, unet in stages.items():
        export_stage(unet, os.path.join(EMBEDDED_DIR, stage_file(name)), enc.cfg.max_tokens, sr=unet.cfg.noise_cond)
    cascade = dict(EMBEDDED, encoder=enc.cfg)
    manifest = build_manifest(
        cascade, EMBEDDED_DIR, id="imagen-ts-embedded-shapes", name="imagen-ts embedded shapes cascade",
        description=("Imagen-style cascade (frozen T5-style encoder, 64 px base, 64->256 and 256->1024 SR "
                     "Efficient U-Nets) trained from scratch on the procedural shapes world; see MODEL_CARD.md."),
        license="Apache-2.0", encoder_id="imagen-ts-shapes-t5", example_prompts=EMBEDDED_EXAMPLES)
    write_json(os.path.join(EMBEDDED_DIR, "manifest.json"), manifest)
    print(json.dumps({"wrote": EMBEDDED_DIR, "training": training_summary()}))
    if not check:
        return 0
    return check_main(["--model", "embedded", "--time", str(timing_runs)])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, choices=["embedded", "tiny"])
    ap.add_argument("--skip-check", action="store_true")
    ap.add_argument("--time", type=int, default=0, help="timed onnxruntime runs per model in the check")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.model == "tiny":
        make_tiny()
        return 0 if args.skip_check else check_main(["--model", "tiny"])
    return export_embedded(check=not args.skip_check, timing_runs=args.time)


if __name__ == "__main__":
    sys.exit(main())
