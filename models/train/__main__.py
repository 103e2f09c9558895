"""python3 -m models.train --stage encoder|base64|sr256|sr1024 --minutes N [--threads K] [--device cpu|cuda]
       [--workers K] [--batch N] [--lr X] [--save-minutes M] [--sample-minutes M] [--anneal] [--steps N] [--joint-encoder [--encoder-lr X]]

Resumes from models/.cache/checkpoints/<stage>/state.pt (or the committed
models/checkpoints/<stage>/ema.pt); logs to stdout; sample grids go to models/runs/.
"""
import argparse
import os
import sys

import torch

from models.world.sample import MIXES

from .checkpoint import committed_path
from .common import Logger

STAGES = ("encoder", "base64", "sr256", "sr1024")
ALIASES = {"base": "base64"}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stage", required=True, help=f"one of {', '.join(STAGES)} ('base' = base64)")
    ap.add_argument("--minutes", type=float, required=True, help="wall-clock training time (> 0)")
    ap.add_argument("--threads", type=int, default=1, help="torch intra-op threads (>= 1)")
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--batch", type=int, default=0, help="override the stage's batch size (>= 1)")
    ap.add_argument("--workers", type=int, default=0, help="processes rendering training data (0: in the trainer)")
    ap.add_argument("--lr", type=float, default=0.0, help="override the stage's learning rate (> 0)")
    ap.add_argument("--save-minutes", type=float, default=4.0, help="checkpoint interval (> 0)")
    ap.add_argument("--sample-minutes", type=float, default=10.0,
                    help="interval between sample grids in models/runs/ (0: none; a grid costs minutes on a busy CPU)")
    ap.add_argument("--anneal", action="store_true", help="cosine-decay the learning rate over --minutes")
    ap.add_argument("--steps", type=int, default=0, help="stop after N optimizer steps of this run (0: --minutes only)")
    ap.add_argument("--joint-encoder", action="store_true",
                    help="base64: train the text encoder with the U-Net (writes models/checkpoints/encoder too)")
    ap.add_argument("--encoder-lr", type=float, default=0.0, help="with --joint-encoder: the encoder's learning rate (> 0; default --lr)")
    ap.add_argument("--mix", choices=sorted(MIXES), default=None,
                    help="scene mix of the training stream from here on (recorded in the checkpoint; default: the checkpoint's, else v1)")
    ap.add_argument("--force", action="store_true", help="encoder: train on although stages already depend on it")
    args = ap.parse_args(argv)
    stage = ALIASES.get(args.stage, args.stage)
    if stage not in STAGES:
        ap.error(f"--stage: {args.stage!r} is not one of {', '.join(STAGES)}")
    if args.minutes <= 0:
        ap.error(f"--minutes: {args.minutes} must be > 0")
    if args.threads < 1:
        ap.error(f"--threads: {args.threads} must be >= 1")
    if args.batch < 0:
        ap.error(f"--batch: {args.batch} must be >= 1")
    if args.workers < 0:
        ap.error(f"--workers: {args.workers} must be >= 0")
    if args.steps < 0:
        ap.error(f"--steps: {args.steps} must be >= 0")
    if args.encoder_lr < 0 or (args.encoder_lr and not args.joint_encoder):
        ap.error("--encoder-lr must be > 0 and needs --joint-encoder")
    if args.joint_encoder and stage != "base64":
        ap.error("--joint-encoder: only the base64 stage trains the encoder jointly")
    if args.lr < 0 or args.save_minutes <= 0:
        ap.error("--lr must be > 0 and --save-minutes > 0")
    if args.sample_minutes < 0:
        ap.error(f"--sample-minutes: {args.sample_minutes} must be >= 0")
    if args.device == "cuda" and not torch.cuda.is_available():
        ap.error("--device cuda: no CUDA device is available")
    torch.set_num_threads(args.threads)
    log = Logger(stage)
    log(f"torch {torch.__version__}, {args.threads} threads, device {args.device}, pid {os.getpid()}")
    if stage == "encoder":
        frozen_users = [s for s in STAGES[1:] if os.path.exists(committed_path(s))]
        if frozen_users and not args.force:
            ap.error(f"the encoder is frozen: {', '.join(frozen_users)} trained against it (--force to override)")
        from .encoder import train_encoder
        train_encoder(args.minutes, args.device, batch=args.batch or 64, log=log)
    else:
        from .stage import train_stage
        train_stage(stage, args.minutes, args.device, batch=args.batch or None, log=log, workers=args.workers,
                    lr=args.lr or None, save_minutes=args.save_minutes, sample_minutes=args.sample_minutes, anneal=args.anneal, steps=args.steps,
                    joint_encoder=args.joint_encoder, encoder_lr=args.encoder_lr or None, mix=args.mix)
    return 0


if __name__ == "__main__":
    sys.exit(main())
