"""Training batches generated on the fly from the procedural world (models/world).

Example i of dataset `seed` is deterministic, so a resumed run continues at the
saved index with no repeats. Held-out (benchmark) captions never reach training:
the world's sample_spec already re-draws them and is_heldout is checked again here.
"""
from typing import List, Tuple

import numpy as np
import torch
import torch.nn.functional as F

try:
    from models.world import CAPTION_DROP, DEFAULT_MIX, make_example
    from models.world.holdout import is_heldout
except ImportError as err:  # the world is written by another helper; fail with the reason
    raise ImportError(f"models/world is required for training data: {err}") from err

SEEDS = {"encoder": 11, "base64": 1, "sr256": 2, "sr1024": 3}


def to_tensor(images: np.ndarray) -> torch.Tensor:
    """uint8 [B, H, W, 3] -> float32 [B, 3, H, W] in [-1, 1]."""
    return torch.from_numpy(images).permute(0, 3, 1, 2).float().div_(127.5).sub_(1.0)


def upsample(lowres: torch.Tensor, size: int) -> torch.Tensor:
    """The engine resizes the previous stage's output bicubically before noise augmentation."""
    return F.interpolate(lowres, size=(size, size), mode="bicubic", align_corners=False)


class WorldStream:
    """Yields (renders by size, caption) for consecutive example indices, skipping held-out captions."""

    def __init__(self, stage: str, start_index: int = 0, mix: str = DEFAULT_MIX):
        self.seed, self.mix = SEEDS[stage], mix
        self.index = start_index
        self.skipped = 0

    def next(self, sizes: Tuple[int, ...]):
        while True:
            renders, text, _ = make_example(self.seed, self.index, sizes=sizes, mix=self.mix)
            self.index += 1
            if not is_heldout(text):
                return renders, text
            self.skipped += 1

    def captions(self, n: int) -> List[str]:
        return [self.next((64,))[1] for _ in range(n)]


def drop_captions(texts: List[str], rng: np.random.Generator, p: float = CAPTION_DROP) -> List[str]:
    """Classifier-free guidance: replace a fraction p of captions by the empty prompt."""
    return ["" if rng.random() < p else t for t in texts]


def base_batch(stream: WorldStream, n: int):
    renders, texts = zip(*(stream.next((64,)) for _ in range(n)))
    return to_tensor(np.stack([r[64] for r in renders])), list(texts)
