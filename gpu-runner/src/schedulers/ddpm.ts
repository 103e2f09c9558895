// DDPM ancestral sampling (Ho et al. 2020), as diffusers' DDPMScheduler with variance_type 'fixed_small':
// x_{t'} ~ q(x_{t'} | x_t, x0) with the predicted (thresholded) x0, where t' is the next chosen timestep (so
// fewer steps than trainSteps use the posterior between the chosen timesteps; Nichol & Dhariwal 2021 §4).
// With alphaBar = ᾱ, β' = 1 − ᾱ_t/ᾱ_t' (the effective beta of the skipped stretch), eq. 7:
//   μ̃ = sqrt(ᾱ_t')·β'/(1 − ᾱ_t) · x0 + sqrt(ᾱ_t/ᾱ_t')·(1 − ᾱ_t')/(1 − ᾱ_t) · x_t
//   β̃ = (1 − ᾱ_t')/(1 − ᾱ_t) · β'   (eq. 6/7's posterior variance, "fixed_small", clamped at 1e-20 as diffusers)
// and x_{t'} = μ̃ + sqrt(β̃)·z, z ~ N(0, I), with no noise at t = 0. After the last step ᾱ_t' = 1 (clean data).
// Timesteps: diffusers' default spacing 'leading'.
import { alphaBarAt } from './noise-schedule.ts';
import { checkPredX0Args, checkStepArgs, predX0Kernel, resolveConfig } from './common.ts';
import type { Scheduler, SchedulerConfig, StepInput } from './scheduler.ts';
import { ddpmTimesteps } from './timesteps.ts';

export function createDdpmScheduler(config: SchedulerConfig): Scheduler {
  const { table, prediction, spacing } = resolveConfig(config, 'leading');
  let ts: Float64Array | null = null;
  // per chosen step: alpha_t, sigma_t (for predX0), the posterior-mean coefficients and the noise std
  let alpha = new Float64Array(0);
  let sigma = new Float64Array(0);
  let cX0 = new Float64Array(0);
  let cXt = new Float64Array(0);
  let std = new Float64Array(0);

  return {
    name: 'ddpm',
    needsNoise: true,
    initNoiseSigma: 1,
    setTimesteps(steps: number): void {
      const chosen = ddpmTimesteps(table.trainSteps, steps, spacing);
      const n = chosen.length;
      alpha = new Float64Array(n);
      sigma = new Float64Array(n);
      cX0 = new Float64Array(n);
      cXt = new Float64Array(n);
      std = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const t = chosen[i] as number;
        const prevT = i + 1 < n ? (chosen[i + 1] as number) : -1;
        const aT = alphaBarAt(table, t);
        const aPrev = alphaBarAt(table, prevT);
        const betaT = 1 - aT / aPrev;
        alpha[i] = table.alpha[t] as number;
        sigma[i] = table.sigma[t] as number;
        cX0[i] = (Math.sqrt(aPrev) * betaT) / (1 - aT);
        cXt[i] = (Math.sqrt(aT / aPrev) * (1 - aPrev)) / (1 - aT);
        std[i] = t > 0 ? Math.sqrt(Math.max(((1 - aPrev) / (1 - aT)) * betaT, 1e-20)) : 0;
      }
      ts = chosen;
    },
    timesteps(): Float64Array {
      return ts ? ts.slice() : new Float64Array(0);
    },
    predX0(out: Float32Array, index: number, sample: Float32Array, modelOutput: Float32Array): void {
      checkPredX0Args(out, index, sample, modelOutput, ts);
      predX0Kernel(out, sample, modelOutput, alpha[index] as number, sigma[index] as number, prediction);
    },
    step(out: Float32Array, input: StepInput): void {
      checkStepArgs(out, input, ts, true);
      const { index, sample, predX0, noise } = input;
      const a = cX0[index] as number;
      const b = cXt[index] as number;
      const s = std[index] as number;
      const n = out.length;
      if (s === 0) for (let i = 0; i < n; i++) out[i] = a * (predX0[i] as number) + b * (sample[i] as number);
      else for (let i = 0; i < n; i++) out[i] = a * (predX0[i] as number) + b * (sample[i] as number) + s * (noise[i] as number);
    },
  };
}
