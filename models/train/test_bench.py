"""The training benchmark runs the real recipe briefly and reports what the model card's table needs.

python3 -m unittest models.train.test_bench
"""
import unittest

from . import bench


class TrainingBenchTest(unittest.TestCase):
    def test_reports_throughput_data_wait_and_peak_share(self):
        r = bench.run("base64", seconds=1.0, batch=2, warmup_steps=1, quiet=True, peak_seconds=0.3)
        self.assertGreater(r["steps"], 0)
        self.assertGreater(r["imagesPerSecond"], 0)
        self.assertTrue(0 <= r["dataWaitFraction"] < 1)
        # the base U-Net at 64 px is several GFLOP per trained image: a count near 0 means the profiler missed ops
        self.assertGreater(r["gflopPerImage"], 1.0)
        self.assertGreater(r["peakGflops"], 0)
        self.assertAlmostEqual(r["peakFraction"], r["achievedGflops"] / r["peakGflops"], delta=0.01)


if __name__ == "__main__":
    unittest.main()
