"""python3 -m models.probe [--encoder shipped|random|embedding|PATH ...] [--json]: see models/probe/README.md."""
import argparse
import json
import math
import sys
import time

import torch

from .data import train_test_captions
from .features import BASELINES, features
from .probes import PROBES, examples, majority, run_probes


def table(rows: dict, chance: dict) -> str:
    names = list(PROBES)
    width = max(12, *(len(r) for r in rows))
    lines = [f"{'encoder':<{width}} " + " ".join(f"{n:>14}" for n in names)]
    for enc, scores in list(rows.items()) + [("(majority)", chance)]:
        cells = ["—" if math.isnan(scores[n]) else f"{100 * scores[n]:.1f}%" for n in names]
        lines.append(f"{enc:<{width}} " + " ".join(f"{c:>14}" for c in cells))
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m models.probe",
                                 description="what a U-Net can read from the frozen text encoder's outputs")
    ap.add_argument("--encoder", action="append",
                    help=f"one of {', '.join(BASELINES)} or a checkpoint path; repeatable (default: all three baselines)")
    ap.add_argument("--train", type=int, default=6000, help="training captions (default 6000)")
    ap.add_argument("--test", type=int, default=1500, help="held-out captions (default 1500)")
    ap.add_argument("--seed", type=int, default=101, help="world dataset seed of the training captions (test: seed+1)")
    ap.add_argument("--steps", type=int, default=1500, help="optimizer steps per probe (batch 256)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-cache", action="store_true", help="recompute the encoder outputs")
    ap.add_argument("--json", action="store_true", help="print one JSON object on the last line")
    args = ap.parse_args(argv)
    for flag, value, lo in (("--train", args.train, 20), ("--test", args.test, 10), ("--steps", args.steps, 1)):
        if value < lo:
            ap.error(f"{flag} must be at least {lo}, got {value}")
    torch.set_num_threads(args.threads)
    start = time.time()
    train, test = train_test_captions(args.train, args.test, args.seed)
    rows, chance = {}, None
    for name in args.encoder or list(BASELINES):
        feats = features(name, train + test, use_cache=not args.no_cache)
        split = {k: (v[: sum(_n_objects(train))] if k == "noun" else v[: len(train)]) for k, v in feats.items()}
        rest = {k: (v[sum(_n_objects(train)):] if k == "noun" else v[len(train):]) for k, v in feats.items()}
        ex_train, ex_test = examples(train, split), examples(test, rest)
        if chance is None:
            chance = {p: majority(ex_train[p][1], ex_test[p][1], PROBES[p][2]) for p in PROBES}
        rows[name] = run_probes(ex_train, ex_test, steps=args.steps)
        print(f"[probe] {name}: done at {time.time() - start:.0f}s", file=sys.stderr, flush=True)
    print(f"{args.train} training / {args.test} held-out captions (seeds {args.seed}/{args.seed + 1}); "
          f"held-out accuracy of an MLP probe per read-out")
    print(table(rows, chance))
    if args.json:
        print(json.dumps({"train": args.train, "test": args.test, "seed": args.seed, "steps": args.steps,
                          "seconds": round(time.time() - start, 1), "chance": chance, "encoders": rows}))
    return 0


def _n_objects(captions):
    from .data import noun_words
    return [len(noun_words(c)) for c in captions]


if __name__ == "__main__":
    raise SystemExit(main())
