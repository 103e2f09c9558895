// DDIM (Song et al. 2021), as diffusers' DDIMScheduler (set_alpha_to_one, steps_offset 0), eq. 12:
//   x_{t'} = sqrt(ᾱ_t')·x0 + sqrt(1 − ᾱ_t' − σ_t²)·ε + σ_t·z,
// with eq. 16's σ_t(η) = η·sqrt((1 − ᾱ_t')/(1 − ᾱ_t))·sqrt(1 − ᾱ_t/ᾱ_t'), η = config.eta (0: deterministic, 1:
// the DDPM posterior variance). ε is re-derived from the thresholded x0, ε = (x_t − sqrt(ᾱ_t)·x0)/sqrt(1 − ᾱ_t),
// as GLIDE does (diffusers' use_clipped_model_output=True; identical to the raw ε when nothing was clipped).
// t' is the next chosen timestep and ᾱ = 1 after the last one. With diffusers' default 'leading' spacing this is
// exactly diffusers' t' = t − trainSteps/steps; with 'trailing'/'linspace' diffusers steps to t − trainSteps/steps
// instead of the next chosen timestep, and ends at t = 0 rather than at clean data.
import { createAffineStepScheduler } from './affine-step.ts';
import { resolveConfig } from './common.ts';
import type { Scheduler, SchedulerConfig } from './scheduler.ts';

export function createDdimScheduler(config: SchedulerConfig): Scheduler {
  const resolved = resolveConfig(config, 'leading');
  const eta = config.eta ?? 0;
  if (typeof eta !== 'number' || !(eta >= 0 && eta <= 1)) throw new RangeError(`eta must be a number in [0, 1], got ${String(eta)}`);
  return createAffineStepScheduler('ddim', resolved, eta > 0, (aT, aPrev) => {
    const sigmaEta = eta * Math.sqrt(((1 - aPrev) / (1 - aT)) * (1 - aT / aPrev));
    // "direction pointing to x_t"; max(0, ·) guards rounding when η = 1 makes it vanish
    const dir = Math.sqrt(Math.max(0, 1 - aPrev - sigmaEta * sigmaEta));
    const sqrtOneMinusAT = Math.sqrt(1 - aT);
    // eq. 12 with ε = (x_t − sqrt(ᾱ_t)·x0)/sqrt(1 − ᾱ_t) expanded
    return { cX0: Math.sqrt(aPrev) - (dir * Math.sqrt(aT)) / sqrtOneMinusAT, cXt: dir / sqrtOneMinusAT, std: sigmaEta };
  });
}
