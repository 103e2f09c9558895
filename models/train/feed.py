"""Training examples for the diffusion stages, in index order, rendered in the
trainer (`--workers 0`) or by a pool of worker processes.

On a GPU the U-Nets eat far more images per second than one Python process can
render, so `--workers K` moves `make_example` (and, for SR stages, the bicubic
upsampling and cropping) into K processes. Results are consumed strictly in
example-index order, so a run is the same whatever K is (0 included), and
`index` after a batch is exactly where a resumed run must continue.

Each SR crop position is drawn from its own example's generator (dataset seed
+ 1000), not from a trainer-wide stream, for the same reason.
"""
import multiprocessing
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from typing import Deque, List, Tuple

import numpy as np

from models.world.sample import DEFAULT_MIX

from .data import SEEDS

CROP_SEED_OFFSET = 1000
GET_TIMEOUT_S = 300


def _render(job) -> List[Tuple[int, tuple]]:
    """(index, payload) for examples [start, stop) that are not held out."""
    import torch

    from models.world import example_rng, make_example
    from models.world.holdout import is_heldout

    from .data import to_tensor, upsample

    torch.set_num_threads(1)
    seed, start, stop, sizes, crop, crops_per_scene, mix = job
    out = []
    for i in range(start, stop):
        renders, text, _ = make_example(seed, i, sizes=sizes, mix=mix)
        if is_heldout(text):
            continue
        if len(sizes) == 1:
            out.append((i, (renders[sizes[0]], text)))
            continue
        low, high = sizes
        hi = to_tensor(renders[high][None])
        lo = upsample(to_tensor(renders[low][None]), high)
        rng = example_rng(seed + CROP_SEED_OFFSET, i)
        crops = []
        for _ in range(crops_per_scene):
            y, x = (int(v) for v in rng.integers(0, high - crop + 1, size=2))
            crops.append((hi[0, :, y:y + crop, x:x + crop].numpy().copy(),
                          lo[0, :, y:y + crop, x:x + crop].numpy().copy()))
        out.append((i, (crops, text)))
    return out


class ParallelWorldStream:
    """Examples of a stage's dataset from `start_index` on, rendered `chunk` at a time by `workers` processes
    (0: in this process, on demand)."""

    def __init__(self, stage: str, start_index: int, workers: int, sizes: Tuple[int, ...], crop: int = 0,
                 crops_per_scene: int = 1, chunk: int = 32, mix: str = DEFAULT_MIX):
        self.seed, self.mix = SEEDS[stage], mix
        self.index = start_index
        self.sizes, self.crop, self.crops_per_scene, self.chunk = tuple(sizes), crop, crops_per_scene, chunk
        # spawn: the parent may already hold a CUDA context, which a forked child must not inherit.
        # ProcessPoolExecutor, not multiprocessing.Pool: a worker that dies raises BrokenProcessPool here
        # instead of losing its task and leaving the trainer waiting forever.
        self.pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) if workers > 0 else None
        self.next_start = start_index
        self.pending: Deque = deque()
        self.ready: Deque = deque()
        for _ in range(4 * workers):
            self._submit()

    def _job(self):
        job = (self.seed, self.next_start, self.next_start + self.chunk, self.sizes, self.crop, self.crops_per_scene,
               self.mix)
        self.next_start += self.chunk
        return job

    def _submit(self) -> None:
        self.pending.append(self.pool.submit(_render, self._job()))

    def _take(self):
        while not self.ready:
            if self.pool is None:
                self.ready.extend(_render(self._job()))
                continue
            self.ready.extend(self.pending.popleft().result(timeout=GET_TIMEOUT_S))
            self._submit()
        i, payload = self.ready.popleft()
        self.index = i + 1
        return payload

    def base_batch(self, n: int):
        from .data import to_tensor
        items = [self._take() for _ in range(n)]
        return to_tensor(np.stack([im for im, _ in items])), None, [t for _, t in items]

    def sr_batch(self, n: int):
        import torch
        his, los, texts = [], [], []
        while len(his) < n:
            crops, text = self._take()
            for hi, lo in crops[: n - len(his)]:
                his.append(hi)
                los.append(lo)
                texts.append(text)
        return torch.from_numpy(np.stack(his)), torch.from_numpy(np.stack(los)), texts

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
