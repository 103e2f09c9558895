"""Shared helpers of the training entry points: logging, tokenizer, configs."""
import dataclasses
import os
import sys
import time

from models.nets.configs import EMBEDDED

from .tokenize import UnigramTokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOKENIZER = os.path.join(ROOT, "models", "embedded", "tokenizer.json")
RUNS = os.path.join(ROOT, "models", "runs")


class Logger:
    def __init__(self, stage: str):
        self.stage = stage

    def __call__(self, msg: str) -> None:
        print(f"{time.strftime('%H:%M:%S', time.gmtime())} [{self.stage}] {msg}", file=sys.stdout, flush=True)


def load_tokenizer() -> UnigramTokenizer:
    if not os.path.exists(TOKENIZER):
        raise SystemExit(f"{TOKENIZER} does not exist yet (written by the world/tokenizer helper)")
    return UnigramTokenizer(TOKENIZER)


def tokenizer_sha256() -> str:
    import hashlib
    with open(TOKENIZER, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def encoder_config(tok: UnigramTokenizer):
    """The embedded encoder config with its vocabulary sized to the tokenizer."""
    return dataclasses.replace(EMBEDDED["encoder"], vocab_size=tok.vocab_size)
