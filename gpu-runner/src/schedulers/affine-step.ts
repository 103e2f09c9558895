// Single-step samplers whose update is affine in (x0, x_t, z):
//   x_{t'} = cX0·x0 + cXt·x_t + std·z
// DDPM's posterior sample and DDIM's eq. 12 are both this shape; they differ only in
// the three coefficients per step, computed once in setTimesteps.
import type { SamplerName } from '../manifest/schema.ts';
import { alphaBarAt } from './noise-schedule.ts';
import { alphaSigmaAt, checkPredX0Args, checkStepArgs, predX0Kernel, type ResolvedConfig } from './common.ts';
import type { Scheduler, StepInput } from './scheduler.ts';
import { ddpmTimesteps } from './timesteps.ts';

export interface AffineCoefficients {
  cX0: number;
  cXt: number;
  std: number;
}

/** coefficients for the step from timestep t (ᾱ_t = aT) to the next chosen one (ᾱ_t' = aPrev; 1 after the last) */
export type AffineRule = (aT: number, aPrev: number, t: number) => AffineCoefficients;

export function createAffineStepScheduler(name: SamplerName, { table, prediction, spacing }: ResolvedConfig, needsNoise: boolean, rule: AffineRule): Scheduler {
  let ts: Float64Array | null = null;
  // per chosen step: alpha_t, sigma_t (for predX0) and the update's coefficients
  let alpha = new Float64Array(0);
  let sigma = new Float64Array(0);
  let cX0 = new Float64Array(0);
  let cXt = new Float64Array(0);
  let std = new Float64Array(0);

  return {
    name,
    needsNoise,
    initNoiseSigma: 1,
    setTimesteps(steps: number): void {
      const chosen = ddpmTimesteps(table.trainSteps, steps, spacing);
      const n = chosen.length;
      ({ alpha, sigma } = alphaSigmaAt(table, chosen));
      cX0 = new Float64Array(n);
      cXt = new Float64Array(n);
      std = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const t = chosen[i] as number;
        const c = rule(alphaBarAt(table, t), alphaBarAt(table, i + 1 < n ? (chosen[i + 1] as number) : -1), t);
        cX0[i] = c.cX0;
        cXt[i] = c.cXt;
        std[i] = c.std;
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
      checkStepArgs(out, input, ts, needsNoise);
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
