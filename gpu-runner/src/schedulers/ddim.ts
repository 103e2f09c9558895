// DDIM (Song et al. 2021), as diffusers' DDIMScheduler (set_alpha_to_one, steps_offset 0), eq. 12:
//   x_{t'} = sqrt(ᾱ_t')·x0 + sqrt(1 − ᾱ_t' − σ_t²)·ε + σ_t·z,
// with eq. 16's σ_t(η) = η·sqrt((1 − ᾱ_t')/(1 − ᾱ_t))·sqrt(1 − ᾱ_t/ᾱ_t'), η = config.eta (0: deterministic, 1:
// the DDPM posterior variance). ε is re-derived from the thresholded x0, ε = (x_t − sqrt(ᾱ_t)·x0)/sqrt(1 − ᾱ_t),
// as GLIDE does (diffusers' use_clipped_model_output=True; identical to the raw ε when nothing was clipped).
// t' is the next chosen timestep and ᾱ = 1 after the last one. With diffusers' default 'leading' spacing this is
// exactly diffusers' t' = t − trainSteps/steps; with 'trailing'/'linspace' diffusers steps to t − trainSteps/steps
// instead of the next chosen timestep, and ends at t = 0 rather than at clean data.
import { alphaBarAt } from './noise-schedule.ts';
import { checkPredX0Args, checkStepArgs, predX0Kernel, resolveConfig } from './common.ts';
import type { Scheduler, SchedulerConfig, StepInput } from './scheduler.ts';
import { ddpmTimesteps } from './timesteps.ts';

export function createDdimScheduler(config: SchedulerConfig): Scheduler {
  const { table, prediction, spacing } = resolveConfig(config, 'leading');
  const eta = config.eta ?? 0;
  if (typeof eta !== 'number' || !(eta >= 0 && eta <= 1)) throw new RangeError(`eta must be a number in [0, 1], got ${String(eta)}`);
  let ts: Float64Array | null = null;
  let alpha = new Float64Array(0);
  let sigma = new Float64Array(0);
  // x_{t'} = cX0·x0 + cXt·x_t + std·z (eq. 12 with ε expanded)
  let cX0 = new Float64Array(0);
  let cXt = new Float64Array(0);
  let std = new Float64Array(0);

  return {
    name: 'ddim',
    needsNoise: eta > 0,
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
        const aT = alphaBarAt(table, t);
        const aPrev = alphaBarAt(table, i + 1 < n ? (chosen[i + 1] as number) : -1);
        const sigmaEta = eta * Math.sqrt(((1 - aPrev) / (1 - aT)) * (1 - aT / aPrev));
        // "direction pointing to x_t"; max(0, ·) guards rounding when η = 1 makes it vanish
        const dir = Math.sqrt(Math.max(0, 1 - aPrev - sigmaEta * sigmaEta));
        const sqrtOneMinusAT = Math.sqrt(1 - aT);
        alpha[i] = table.alpha[t] as number;
        sigma[i] = table.sigma[t] as number;
        cXt[i] = dir / sqrtOneMinusAT;
        cX0[i] = Math.sqrt(aPrev) - (dir * Math.sqrt(aT)) / sqrtOneMinusAT;
        std[i] = sigmaEta;
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
      checkStepArgs(out, input, ts, eta > 0);
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
