"""One training step of the base stage: the frozen encoder stays bit-identical, the joint one learns.

python3 -m unittest models.train.test_stage
"""
import unittest

import torch

from .common import Logger
from .feed import ParallelWorldStream
from .stage import StageTrainer, open_stream


def _step_once(joint: bool, encoder_lr: float = None):
    torch.manual_seed(0)
    tr = StageTrainer("base64", "cpu", Logger("test"), batch=2, lr=1e-3, joint_encoder=joint, encoder_lr=encoder_lr)
    before = {k: v.clone() for k, v in tr.encoder.state_dict().items()}
    unet_before = next(tr.unet.parameters()).detach().clone()
    stream = ParallelWorldStream("base64", 10_000_000, 0, (64,))
    try:
        # past the run's lr warm-up's first step, so the update is not scaled to ~0
        tr.run_steps = 200
        loss = tr.step(stream)
    finally:
        stream.close()
    changed = [k for k, v in tr.encoder.state_dict().items() if not torch.equal(v, before[k])]
    return tr, changed, loss, not torch.equal(next(tr.unet.parameters()).detach(), unet_before)


class JointEncoderTest(unittest.TestCase):
    def test_the_frozen_encoder_does_not_move(self):
        tr, changed, loss, unet_moved = _step_once(joint=False)
        self.assertEqual(changed, [])
        self.assertTrue(unet_moved)
        self.assertTrue(torch.isfinite(loss))
        self.assertIsNone(tr.enc_ema)
        self.assertFalse(any(p.requires_grad for p in tr.encoder.parameters()))

    def test_the_joint_encoder_learns_with_the_unet_and_keeps_an_ema(self):
        tr, changed, loss, unet_moved = _step_once(joint=True)
        self.assertTrue(unet_moved)
        self.assertTrue(torch.isfinite(loss))
        # every encoder weight the loss reaches got a gradient step (the embedding rows of unused tokens did not)
        self.assertIn("embed.weight", changed)
        self.assertGreater(len(changed), 10)
        ema_changed = [k for k, v in tr.enc_ema.model.state_dict().items()
                       if not torch.equal(v, tr.encoder.state_dict()[k])]
        self.assertTrue(ema_changed, "the EMA lags the live encoder")

    def test_the_encoder_learning_rate_is_its_own(self):
        tr, _, _, _ = _step_once(joint=True, encoder_lr=1e-12)
        self.assertEqual([g["base_lr"] for g in tr.opt.param_groups], [1e-3, 1e-12])
        self.assertEqual([g["lr"] for g in tr.opt.param_groups], [1e-3, 1e-12])  # past warm-up, no anneal

    def test_the_scene_mix_is_read_from_and_kept_in_the_progress(self):
        tr = StageTrainer("base64", "cpu", Logger("test"), batch=2)
        self.assertEqual(tr.mix, tr.progress.get("mix", "v1"))
        tr.progress["mix"] = "bench"  # what train_stage(mix=...) records before the first checkpoint
        stream = open_stream(tr, 0)
        try:
            self.assertEqual((stream.mix, stream.index), ("bench", tr.progress["index"]))
        finally:
            stream.close()

    def test_joint_training_is_refused_for_sr_stages(self):
        with self.assertRaises(SystemExit):
            StageTrainer("sr256", "cpu", Logger("test"), batch=2, joint_encoder=True)


if __name__ == "__main__":
    unittest.main()
