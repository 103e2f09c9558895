"""The training feed gives the same examples whatever the number of workers (0: rendered in the trainer).

python3 -m unittest models.train.test_feed
"""
import unittest

import numpy as np
import torch

from .data import WorldStream, base_batch
from .feed import ParallelWorldStream


class ParallelFeedTest(unittest.TestCase):
    def test_base_batches_match_the_in_process_stream(self):
        ref = WorldStream("base64", 100)
        want_x, want_texts = base_batch(ref, 40)
        for workers in (0, 1, 3):
            feed = ParallelWorldStream("base64", 100, workers, (64,), chunk=7)
            try:
                x, lo, texts = feed.base_batch(40)
            finally:
                feed.close()
            self.assertIsNone(lo)
            self.assertEqual(texts, want_texts)
            self.assertTrue(torch.equal(x, want_x))
            # the resume point is the example after the last one consumed, not after the prefetched ones
            self.assertEqual(feed.index, ref.index)

    def test_scene_mix_reaches_the_workers(self):
        ref = WorldStream("base64", 100, mix="bench")
        want_x, want_texts = base_batch(ref, 12)
        self.assertNotEqual(want_texts, base_batch(WorldStream("base64", 100), 12)[1])
        feed = ParallelWorldStream("base64", 100, 1, (64,), chunk=5, mix="bench")
        try:
            x, _, texts = feed.base_batch(12)
        finally:
            feed.close()
        self.assertEqual(texts, want_texts)
        self.assertTrue(torch.equal(x, want_x))

    def test_sr_crops_do_not_depend_on_worker_count(self):
        batches = []
        for workers in (0, 2):
            feed = ParallelWorldStream("sr256", 5, workers, (64, 256), crop=128, crops_per_scene=2, chunk=3)
            try:
                batches.append((feed.sr_batch(7), feed.index))
            finally:
                feed.close()
        (hi1, lo1, t1), i1 = batches[0]
        (hi2, lo2, t2), i2 = batches[1]
        self.assertEqual(hi1.shape, (7, 3, 128, 128))
        self.assertEqual(lo1.shape, (7, 3, 128, 128))
        self.assertTrue(torch.equal(hi1, hi2) and torch.equal(lo1, lo2))
        self.assertEqual((t1, i1), (t2, i2))
        # 7 crops at 2 per scene: 4 scenes consumed, the last crop of the 4th left unused
        self.assertEqual(t1[0], t1[1])
        self.assertGreater(float(np.abs(hi1.numpy()).max()), 0.0)


if __name__ == "__main__":
    unittest.main()
