"""Cross-checks the reference schedulers (and so the committed goldens) against diffusers' own step code.

    /usr/bin/python3 -m models.reference.check_against_diffusers [--schedulers-dir DIR]

diffusers is not installable in this project's environment. If `import diffusers` fails, pass the directory
holding diffusers' scheduling_ddpm.py, scheduling_ddim.py and scheduling_dpmsolver_multistep.py (from a diffusers
checkout, src/diffusers/schedulers); they are loaded with minimal stand-ins for the diffusers internals they
import (config registration, output classes, randn_tensor).

Every golden case is replayed through diffusers' schedulers twice:
- as shipped (float32 alphas_cumprod/sigmas, torch float32 math): agrees to ~2e-4, diffusers' own float32 error;
- with diffusers' tables replaced by float64 ones and float32 storage of the sample between steps (the engine's
  data flow): must agree to 1e-6, i.e. the reference reproduces diffusers' formulas.
"""
from __future__ import annotations

import argparse
import enum
import functools
import importlib.util
import inspect
import json
import sys
import tempfile
import types
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .make_scheduler_goldens import OUT, toy_model
from .noise_schedule import alphas_cumprod

_NEXT_NOISE: list = []


def _install_stand_ins(schedulers_dir: Path):
    """A fake `diffusers` package exposing just what the three scheduler modules import."""
    root = types.ModuleType("diffusers")
    root.__path__ = []  # type: ignore[attr-defined]
    cfg = types.ModuleType("diffusers.configuration_utils")

    class ConfigMixin:
        def register_to_config(self, **kwargs):
            for k, v in kwargs.items():
                setattr(self.config, k, v)

    def register_to_config(init):
        @functools.wraps(init)
        def inner(self, *args, **kwargs):
            bound = inspect.signature(init).bind(self, *args, **kwargs)
            bound.apply_defaults()
            values = dict(bound.arguments)
            values.pop("self")
            self.config = types.SimpleNamespace(**values)
            init(self, *args, **kwargs)

        return inner

    cfg.ConfigMixin, cfg.register_to_config = ConfigMixin, register_to_config
    utils = types.ModuleType("diffusers.utils")
    utils.__path__ = []  # type: ignore[attr-defined]
    utils.BaseOutput = type("BaseOutput", (), {})
    utils.deprecate = lambda *a, **k: None
    utils.is_scipy_available = lambda: False
    torch_utils = types.ModuleType("diffusers.utils.torch_utils")
    torch_utils.randn_tensor = lambda shape, generator=None, device=None, dtype=None: _NEXT_NOISE.pop(0).reshape(shape).to(dtype)
    sched_pkg = types.ModuleType("diffusers.schedulers")
    sched_pkg.__path__ = [str(schedulers_dir)]  # type: ignore[attr-defined]
    sched_utils = types.ModuleType("diffusers.schedulers.scheduling_utils")

    @dataclass
    class SchedulerOutput:
        prev_sample: torch.Tensor

    sched_utils.KarrasDiffusionSchedulers = enum.Enum("KarrasDiffusionSchedulers", "A")
    sched_utils.SchedulerMixin = type("SchedulerMixin", (), {})
    sched_utils.SchedulerOutput = SchedulerOutput
    for name, mod in {
        "diffusers": root,
        "diffusers.configuration_utils": cfg,
        "diffusers.utils": utils,
        "diffusers.utils.torch_utils": torch_utils,
        "diffusers.schedulers": sched_pkg,
        "diffusers.schedulers.scheduling_utils": sched_utils,
    }.items():
        sys.modules[name] = mod
    classes = {}
    for file, cls in [("scheduling_ddpm", "DDPMScheduler"), ("scheduling_ddim", "DDIMScheduler"), ("scheduling_dpmsolver_multistep", "DPMSolverMultistepScheduler")]:
        spec = importlib.util.spec_from_file_location(f"diffusers.schedulers.{file}", schedulers_dir / f"{file}.py")
        module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        sys.modules[spec.name] = module  # type: ignore[union-attr]
        spec.loader.exec_module(module)  # type: ignore[union-attr]
        classes[cls] = getattr(module, cls)
    return classes


def _load(schedulers_dir: str | None):
    try:
        import diffusers  # type: ignore[import-not-found]

        return {k: getattr(diffusers, k) for k in ("DDPMScheduler", "DDIMScheduler", "DPMSolverMultistepScheduler")}, True
    except ImportError:
        if not schedulers_dir:
            raise SystemExit("diffusers is not importable: pass --schedulers-dir <diffusers checkout>/src/diffusers/schedulers")
        return _install_stand_ins(Path(schedulers_dir)), False


def replay(classes, fx: dict, case: dict, float64: bool, real_package: bool) -> np.ndarray:
    sch = fx["schedules"][case["schedule"]]
    kwargs = dict(
        num_train_timesteps=sch["trainSteps"],
        beta_schedule="squaredcos_cap_v2" if sch["type"] == "cosine" else "linear",
        prediction_type="epsilon" if case["prediction"] == "eps" else "v_prediction",
    )
    th = case.get("thresholding")
    if th:
        kwargs.update(thresholding=True, dynamic_thresholding_ratio=th["percentile"], sample_max_value=th["maxScale"])
    if case["sampler"] in ("ddpm", "ddim"):
        kwargs["clip_sample"] = False
    if "spacing" in case:
        kwargs["timestep_spacing"] = case["spacing"]
    cls = classes[{"ddpm": "DDPMScheduler", "ddim": "DDIMScheduler", "dpmpp-2m": "DPMSolverMultistepScheduler"}[case["sampler"]]]
    s = cls(**kwargs)
    ac = alphas_cumprod(sch)
    dtype = torch.float64 if float64 else torch.float32
    if float64:
        s.alphas_cumprod = torch.tensor(ac, dtype=torch.float64)
        s.one = torch.tensor(1.0, dtype=torch.float64)
        if hasattr(s, "final_alpha_cumprod"):
            s.final_alpha_cumprod = torch.tensor(1.0, dtype=torch.float64)
    s.set_timesteps(case["steps"])
    if float64 and case["sampler"] == "dpmpp-2m":
        sig = ((1 - ac) / ac) ** 0.5
        s.sigmas = torch.from_numpy(np.concatenate([np.interp(s.timesteps.numpy(), np.arange(len(ac)), sig), [0.0]]))
    assert [int(t) for t in s.timesteps] == case["timesteps"], (case["name"], s.timesteps)
    as32 = lambda v: torch.tensor(np.asarray(v, dtype=np.float32).astype(np.float64), dtype=dtype)  # noqa: E731
    x = as32(fx["xT"]).reshape(*fx["shape"], 1, 1)
    for i, t in enumerate(s.timesteps):
        out = as32(toy_model(x.double().numpy().ravel(), int(t), ac, case["prediction"])).reshape(x.shape)
        noise = as32(fx["noise"][i]).reshape(x.shape)
        if case["sampler"] == "ddpm":
            if real_package:
                raise SystemExit("replaying DDPM noise needs the stand-in loader (--schedulers-dir)")
            _NEXT_NOISE[:] = [noise]
            x = s.step(out, t, x).prev_sample
        elif case["sampler"] == "ddim":
            eta = case.get("eta", 0.0)
            x = s.step(out, t, x, eta=eta, use_clipped_model_output=bool(th), variance_noise=noise if eta > 0 else None).prev_sample
        else:
            x = s.step(out, t, x).prev_sample
        if float64:
            x = x.float().double()
    return x.double().numpy().ravel()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--schedulers-dir", help="diffusers' src/diffusers/schedulers directory")
    args = parser.parse_args()
    torch.set_num_threads(1)
    classes, real_package = _load(args.schedulers_dir)
    fx = json.loads((OUT / "scheduler-goldens.json").read_text())
    worst64 = 0.0
    for case in fx["cases"]:
        want = np.asarray(case["final"], dtype=np.float32).astype(np.float64)
        d32 = np.abs(replay(classes, fx, case, False, real_package) - want).max()
        d64 = np.abs(replay(classes, fx, case, True, real_package) - want).max()
        worst64 = max(worst64, d64)
        print(f"{case['name']:32s} diffusers float32: {d32:.1e}   diffusers float64 tables: {d64:.1e}")
    print(f"worst (float64 tables): {worst64:.2e}")
    if worst64 > 1e-6:
        raise SystemExit("the reference disagrees with diffusers' step math")


if __name__ == "__main__":
    main()
