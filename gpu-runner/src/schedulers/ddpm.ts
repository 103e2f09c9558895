// DDPM ancestral sampling (Ho et al. 2020), as diffusers' DDPMScheduler with variance_type 'fixed_small':
// x_{t'} ~ q(x_{t'} | x_t, x0) with the predicted (thresholded) x0, where t' is the next chosen timestep (so
// fewer steps than trainSteps use the posterior between the chosen timesteps; Nichol & Dhariwal 2021 §4).
// With alphaBar = ᾱ, β' = 1 − ᾱ_t/ᾱ_t' (the effective beta of the skipped stretch), eq. 7:
//   μ̃ = sqrt(ᾱ_t')·β'/(1 − ᾱ_t) · x0 + sqrt(ᾱ_t/ᾱ_t')·(1 − ᾱ_t')/(1 − ᾱ_t) · x_t
//   β̃ = (1 − ᾱ_t')/(1 − ᾱ_t) · β'   (eq. 6/7's posterior variance, "fixed_small", clamped at 1e-20 as diffusers)
// and x_{t'} = μ̃ + sqrt(β̃)·z, z ~ N(0, I), with no noise at t = 0. After the last step ᾱ_t' = 1 (clean data).
// Timesteps: diffusers' default spacing 'leading'.
import { createAffineStepScheduler } from './affine-step.ts';
import { resolveConfig } from './common.ts';
import type { Scheduler, SchedulerConfig } from './scheduler.ts';

export function createDdpmScheduler(config: SchedulerConfig): Scheduler {
  return createAffineStepScheduler('ddpm', resolveConfig(config, 'leading'), true, (aT, aPrev, t) => {
    const betaT = 1 - aT / aPrev;
    return {
      cX0: (Math.sqrt(aPrev) * betaT) / (1 - aT),
      cXt: (Math.sqrt(aT / aPrev) * (1 - aPrev)) / (1 - aT),
      std: t > 0 ? Math.sqrt(Math.max(((1 - aPrev) / (1 - aT)) * betaT, 1e-20)) : 0,
    };
  });
}
