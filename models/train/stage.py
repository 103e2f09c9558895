"""Diffusion training of one cascade stage against the frozen text encoder (or, for the base stage with
--joint-encoder, training the encoder along with it).

Loss: plain MSE on the stage's prediction target (v for the embedded cascade),
as in Imagen / Salimans & Ho. (The first ~20 minutes used min-SNR-5 weighting,
Hang et al. 2023; for v it is min(snr, 5) / (snr + 1), which all but ignores
the high-noise steps that decide layout and, in SR stages, how much the model
relies on the low-res image: samples kept visible noise, so it was dropped.)
10% of captions are dropped to "" for classifier-free
guidance. SR stages get noise-conditioning augmentation: the upsampled low-res
image is noised to a random level s in [0, AUG_MAX) and s is fed as noise_level.
"""
import os
import signal
import time

import numpy as np
import torch

from models.nets.configs import EMBEDDED
from models.nets.diffusion import Diffusion
from models.nets.unet import EfficientUNet, UNetConfig, count_params
from models.world.sample import DEFAULT_MIX, MIXES

from . import checkpoint
from .common import RUNS, Logger, load_tokenizer
from .encoder import load_frozen_encoder
from .sample import ddim_sample, save_grid

AUG_MAX = 500
MIN_SNR = None  # None: unweighted loss; a number: min-SNR-gamma weighting
HPARAMS = {
    "base64": {"batch": 16, "lr": 3e-4},
    "sr256": {"batch": 8, "lr": 3e-4, "crops_per_scene": 2},
    "sr1024": {"batch": 8, "lr": 4e-4, "crops_per_scene": 4},
}
LOW = {"sr256": 64, "sr1024": 256}
WARMUP_RUN_STEPS = 200
VALIDATION_START = 10_000_000  # sample grids draw examples from here on, far beyond any training index
ANNEAL_FLOOR = 0.1


def loss_weight(diffusion: Diffusion, prediction: str, t: torch.Tensor) -> torch.Tensor:
    if MIN_SNR is None:
        return torch.ones_like(t, dtype=torch.float32)
    ab = diffusion.alpha_bar[t]
    snr = ab / (1 - ab)
    w = snr.clamp(max=MIN_SNR)
    return w / (snr + 1) if prediction == "v" else w / snr


class StageTrainer:
    def __init__(self, stage: str, device: str, log: Logger, batch: int = None, lr: float = None,
                 joint_encoder: bool = False, encoder_lr: float = None, onednn: bool = None,
                 unet_cfg: UNetConfig = None):
        self.stage, self.device, self.log = stage, device, log
        self.spec = EMBEDDED["stages"][stage]
        self.hp = dict(HPARAMS[stage], **({"batch": batch} if batch else {}), **({"lr": lr} if lr else {}))
        self.sr = stage != "base64"
        self.tok = load_tokenizer()
        self.encoder = load_frozen_encoder(device)
        self.max_tokens = self.encoder.cfg.max_tokens
        # Joint training (the alternative to Imagen's frozen encoder, for the model card's comparison): the
        # encoder starts from its pre-trained weights and learns with the base U-Net, one optimizer, its own EMA.
        if joint_encoder and self.sr:
            raise SystemExit("--joint-encoder trains the encoder with the base stage only (SR stages read it frozen)")
        self.diffusion = Diffusion(self.spec["schedule"], device)
        # unet_cfg: an untrained variant of the stage's design (the training benchmark's levers), from scratch
        state = checkpoint.load(stage) if unet_cfg is None else None
        cfg = unet_cfg or (UNetConfig.from_dict(state["config"]["unet"]) if state else self.spec["unet"])
        self.unet = EfficientUNet(cfg).to(device)
        self.ema = checkpoint.EMA(self.unet, 0.999)
        self.enc_ema = self._thaw_encoder() if joint_encoder else None
        groups = [{"params": list(self.unet.parameters()), "base_lr": self.hp["lr"]}]
        if joint_encoder:
            groups.append({"params": list(self.encoder.parameters()), "base_lr": encoder_lr or self.hp["lr"]})
        self.trained_params = [p for g in groups for p in g["params"]]
        self.opt = torch.optim.AdamW(groups, lr=self.hp["lr"], weight_decay=0.0)
        self.progress = {"step": 0, "index": 0, "seconds": 0.0, "images": 0}
        # bf16 autocast on CUDA (as Imagen trained; IMAGEN_TRAIN_AMP=0 turns it off): CUDA autocast keeps
        # GroupNorm and softmax in fp32, and the loss is fp32.
        self.amp = os.environ.get("IMAGEN_TRAIN_AMP", "1" if device == "cuda" else "0") == "1"
        self.run_steps, self.lr_scale = 0, 1.0
        # seconds spent waiting for training data since the last log line: tells a data-bound run from a compute-bound one
        self.data_seconds = 0.0
        if state is not None:
            if state["full"]:
                self.unet.load_state_dict(state["model"])
                self.ema.model.load_state_dict(state["ema"])
                self.ema.updates = state["ema_updates"]
                if state.get("optimizer"):
                    self.opt.load_state_dict(state["optimizer"])
            else:
                checkpoint.load_half_state(self.unet, state["weights"])
                checkpoint.load_half_state(self.ema.model, state["weights"])
                self.ema.updates = 10_000
            self.progress = state["progress"]
            log(f"resumed at step {self.progress['step']} ({'full state' if state['full'] else 'fp16 EMA only'})")
        # Debian's torch 1.13 runs linears and attention matmuls on a generic reference BLAS; on the CPU they go
        # through oneDNN instead (models/nets/onednn.py; the same numbers to float rounding, ~25x faster GEMMs).
        self.onednn = (device == "cpu") if onednn is None else onednn
        if self.onednn:
            from models.nets import onednn as fast
            for m in (self.unet, self.ema.model, self.encoder) + ((self.enc_ema.model,) if self.enc_ema else ()):
                fast.route_matmuls(m)
        log(f"{count_params(self.unet) / 1e6:.2f} M params, hparams {self.hp}, oneDNN matmuls {'on' if self.onednn else 'off'}")
        self.rng = np.random.default_rng(self.progress["step"] + 17)
        # Noise is drawn where it is used: a CPU-drawn [256, 3, 64, 64] batch would cost more than a GPU step.
        self.gen = torch.Generator(device=device).manual_seed(self.progress["step"] + 29)

    @property
    def mix(self) -> str:
        """The scene mix of this stage's training stream (models/world/sample.py); checkpoints before mixes: v1."""
        return self.progress.get("mix", DEFAULT_MIX)

    def _thaw_encoder(self) -> checkpoint.EMA:
        live = checkpoint.load("encoder")
        if live is None:  # load_frozen_encoder refuses first; checked here too, before anything reads it
            raise SystemExit("no text encoder checkpoint: run `python3 -m models.train --stage encoder` first")
        self.enc_progress = live["progress"]  # the pre-training's, kept in the checkpoints this run writes
        for p in self.encoder.parameters():
            p.requires_grad_(True)
        ema = checkpoint.EMA(self.encoder, 0.999)
        ema.updates = 10_000  # the pre-trained weights are already an average: no EMA warm-up
        if live["full"] and live.get("model") is not None and live.get("ema") is not None:
            self.encoder.load_state_dict(live["model"])
            ema.model.load_state_dict(live["ema"])
            ema.updates = live["ema_updates"]
        self.encoder.train()
        self.log(f"text encoder trains jointly ({count_params(self.encoder) / 1e6:.2f} M params)")
        return ema

    def embed(self, texts, encoder=None):
        ids, mask = self.tok.batch_trimmed(texts, self.max_tokens)
        ids, mask = ids.to(self.device), mask.to(self.device)
        with torch.set_grad_enabled(self.enc_ema is not None and encoder is None and torch.is_grad_enabled()):
            return (encoder or self.encoder)(ids, mask), mask

    def batch(self, stream):
        n = self.hp["batch"]
        return stream.sr_batch(n) if self.sr else stream.base_batch(n)

    def step(self, stream) -> torch.Tensor:
        from .data import drop_captions
        t_data = time.time()
        x0, lo, texts = self.batch(stream)
        self.data_seconds += time.time() - t_data
        x0 = x0.to(self.device)
        text, mask = self.embed(drop_captions(texts, self.rng))
        b = x0.shape[0]
        t = torch.randint(0, self.diffusion.train_steps, (b,), generator=self.gen, device=self.device)
        noise = torch.randn(x0.shape, generator=self.gen, device=self.device)
        x_t = self.diffusion.q_sample(x0, t, noise)
        noise_level = None
        if self.sr:
            lo = lo.to(self.device)
            noise_level = torch.randint(0, AUG_MAX, (b,), generator=self.gen, device=self.device)
            lo_aug = self.diffusion.q_sample(lo, noise_level, torch.randn(lo.shape, generator=self.gen, device=self.device))
            x_t = torch.cat([x_t, lo_aug], dim=1)
        with torch.autocast(device_type=self.device, dtype=torch.bfloat16, enabled=self.amp):
            out = self.unet(x_t, t.float(), text, mask, noise_level)
        out = out.float()
        pred = self.spec["prediction"]
        if self.spec.get("train_target") == "x0":
            # x0_as_v stages: the loss is on the x0 the body predicts (the v output is exact arithmetic on it).
            per = (self.diffusion.pred_x0(pred, x_t[:, :3], t, out) - x0).pow(2).mean(dim=(1, 2, 3))
        else:
            target = self.diffusion.target(pred, x0, t, noise)
            per = (out[:, :3] - target).pow(2).mean(dim=(1, 2, 3))
        loss = (loss_weight(self.diffusion, pred, t) * per).mean()
        # Warm up over each run's first steps too: a resumed run without optimizer state starts Adam afresh.
        self.run_steps += 1
        warm = min(1.0, (self.progress["step"] + 1) / 100, self.run_steps / WARMUP_RUN_STEPS)
        for g in self.opt.param_groups:
            g["lr"] = g["base_lr"] * warm * self.lr_scale
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.trained_params, 1.0)
        self.opt.step()
        self.ema.update(self.unet)
        if self.enc_ema is not None:
            self.enc_ema.update(self.encoder)
        self.progress["step"] += 1
        self.progress["images"] += b
        # a tensor, not .item(): reading it would make the CPU wait for the GPU every step
        return per.mean().detach()

    def save(self, stream, elapsed: float) -> None:
        self.progress["index"] = stream.index
        progress = dict(self.progress, seconds=self.progress["seconds"] + elapsed)
        checkpoint.save(self.stage, {"unet": self.unet.cfg.to_dict()}, self.unet, self.ema, self.opt, progress)
        if self.enc_ema is not None:
            from .encoder import encoder_checkpoint_config
            enc_progress = dict(self.enc_progress, joint_with=self.stage, joint_until_step=self.progress["step"])
            checkpoint.save("encoder", encoder_checkpoint_config(self.encoder.cfg), self.encoder, self.enc_ema, None,
                            enc_progress)

    @torch.no_grad()
    def sample_grid(self) -> str:
        from .data import WorldStream
        from .feed import ParallelWorldStream
        os.makedirs(RUNS, exist_ok=True)
        path = os.path.join(RUNS, f"{self.stage}-step{self.progress['step']:06d}.png")
        gen = torch.Generator().manual_seed(7)
        net = self.ema.model
        if not self.sr:
            texts = WorldStream(self.stage, VALIDATION_START).captions(8)
            enc = self.enc_ema.model if self.enc_ema is not None else None
            text, mask = self.embed(texts, enc)
            null, null_mask = self.embed([""] * 8, enc)
            x = ddim_sample(net, self.diffusion, self.spec["prediction"], (8, 3, 64, 64), text, mask, null, null_mask,
                            steps=20, guidance=4.0, thresholding="dynamic", generator=gen)
            save_grid(path, [x])
            self.log(f"grid {path}: " + " | ".join(texts))
            return path
        res = self.spec["resolution"]
        crop = 256 if res == 1024 else res
        hi, lo, texts = ParallelWorldStream(self.stage, VALIDATION_START, 0, (LOW[self.stage], res), crop).sr_batch(3)
        lo = lo.to(self.device)
        text, mask = self.embed(texts)
        x = ddim_sample(net, self.diffusion, self.spec["prediction"], hi.shape, text, mask, text, mask, steps=8,
                        guidance=1.0, thresholding="static", lowres=lo, noise_level=100, generator=gen)
        save_grid(path, [lo.cpu(), x.cpu(), hi])
        self.log(f"grid {path} (rows: bicubic input, SR output, ground truth)")
        return path


def open_stream(tr: StageTrainer, workers: int):
    from .feed import ParallelWorldStream
    if not tr.sr:
        return ParallelWorldStream(tr.stage, tr.progress["index"], workers, (64,), mix=tr.mix)
    return ParallelWorldStream(tr.stage, tr.progress["index"], workers, (LOW[tr.stage], tr.spec["resolution"]),
                               tr.spec["train_crop"], tr.hp["crops_per_scene"], mix=tr.mix)


def train_stage(stage: str, minutes: float, device: str, batch: int = None, save_minutes: float = 4.0,
                sample_minutes: float = 10.0, log: Logger = None, workers: int = 0, lr: float = None,
                anneal: bool = False, steps: int = 0, joint_encoder: bool = False, encoder_lr: float = None,
                mix: str = None) -> None:
    log = log or Logger(stage)
    if device == "cuda":
        # TF32 matmuls/convolutions: ~8x fp32 throughput on Ampere+ at a precision the loss noise dwarfs.
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True
    tr = StageTrainer(stage, device, log, batch, lr, joint_encoder, encoder_lr)
    if mix is not None and mix not in MIXES:
        raise SystemExit(f"--mix must be one of {', '.join(MIXES)}, got {mix!r}")
    if mix is not None and mix != tr.mix:
        # The stream index goes on: a new mix draws new examples from there, and the checkpoint records the switch.
        log(f"scene mix {tr.mix} -> {mix} at index {tr.progress['index']}")
        tr.progress["mix"] = mix
    stream = open_stream(tr, workers)
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))  # finish the step, save, exit
    deadline = time.time() + minutes * 60
    seg_start = last_save = last_sample = t_log = time.time()
    losses = []
    start = time.time()
    # --steps caps the run by optimizer steps (so runs compared against each other see the same data whatever the
    # machine's load); --minutes stays the wall-clock bound either way.
    while time.time() < deadline and not stop["now"] and not (steps and tr.run_steps >= steps):
        if anneal:
            # Cosine decay of the learning rate over this run's budget (steps, else wall clock), down to ANNEAL_FLOOR.
            frac = tr.run_steps / steps if steps else (time.time() - start) / (deadline - start)
            tr.lr_scale = ANNEAL_FLOOR + (1 - ANNEAL_FLOOR) * 0.5 * (1 + np.cos(np.pi * frac))
        losses.append(tr.step(stream))
        if len(losses) == 50:
            log(f"step {tr.progress['step']} loss {torch.stack(losses).mean().item():.4f} "
                f"{50 * tr.hp['batch'] / (time.time() - t_log):.1f} img/s index {stream.index} lr {tr.opt.param_groups[0]['lr']:.2e} "
                f"waiting for data {100 * tr.data_seconds / (time.time() - t_log):.0f}%")
            losses, t_log, tr.data_seconds = [], time.time(), 0.0
        if time.time() - last_save > save_minutes * 60:
            tr.save(stream, time.time() - seg_start)
            tr.progress["seconds"] += time.time() - seg_start
            seg_start = last_save = time.time()
        if sample_minutes and time.time() - last_sample > (sample_minutes if not tr.sr else 2 * sample_minutes) * 60:
            tr.sample_grid()
            last_sample = time.time()
    tr.save(stream, time.time() - seg_start)
    stream.close()
    log(f"done at step {tr.progress['step']}")
