// DPM-Solver++(2M) (Lu et al. 2022, "DPM-Solver++", Algorithm 2: multistep second-order solver of the diffusion
// ODE in data-prediction form), as diffusers' DPMSolverMultistepScheduler(algorithm_type='dpmsolver++',
// solver_order=2, solver_type='midpoint', lower_order_final=True, final_sigmas_type='zero'). With
// λ = log(alpha/sigma) (half the logSnr) and h = λ_t' − λ_t, h₀ = λ_t − λ_{t_prev}, r = h₀/h:
//   first order (eq. 5, DDIM in data form): x_t' = (σ_t'/σ_t)·x_t − α_t'·(e^{−h} − 1)·x0_t
//   second order (Alg. 2):                 x_t' = (σ_t'/σ_t)·x_t − α_t'·(e^{−h} − 1)·(x0_t + (x0_t − x0_prev)/(2r))
// The first step is first order (no history) and so is the last (it lands on σ = 0, the clean data, where h = ∞).
// Timesteps: diffusers' default spacing 'linspace'.
import { alphaSigmaAt, checkPredX0Args, checkStepArgs, predX0Kernel, resolveConfig } from './common.ts';
import type { Scheduler, SchedulerConfig, StepInput } from './scheduler.ts';
import { dpmSolverTimesteps } from './timesteps.ts';

/**
 * Per-step coefficients of x_t' = cX·x_t + c0·x0_t + c1·x0_prev (see the header): first order at the
 * first step (no history) and at the last (σ_t' = 0, α_t' = 1: h = ∞, e^{−h} = 0, so x_t' = x0).
 */
function stepCoefficients(alpha: Float64Array, sigma: Float64Array): { cX: Float64Array<ArrayBuffer>; c0: Float64Array<ArrayBuffer>; c1: Float64Array<ArrayBuffer> } {
  const n = alpha.length;
  const cX = new Float64Array(n);
  const c0 = new Float64Array(n);
  const c1 = new Float64Array(n);
  const lambda = (i: number) => Math.log(alpha[i] as number) - Math.log(sigma[i] as number);
  for (let i = 0; i < n - 1; i++) {
    const alphaT = alpha[i + 1] as number;
    const h = lambda(i + 1) - lambda(i);
    // −α_t'·(e^{−h} − 1), via expm1 for small h
    const phi = -alphaT * Math.expm1(-h);
    cX[i] = (sigma[i + 1] as number) / (sigma[i] as number);
    if (i === 0) {
      c0[i] = phi;
    } else {
      const halfInvR = (0.5 * h) / (lambda(i) - lambda(i - 1));
      c0[i] = phi * (1 + halfInvR);
      c1[i] = -phi * halfInvR;
    }
  }
  if (n > 0) c0[n - 1] = 1;
  return { cX, c0, c1 };
}

export function createDpmSolverScheduler(config: SchedulerConfig): Scheduler {
  const { table, prediction, spacing } = resolveConfig(config, 'linspace');
  let ts: Float64Array | null = null;
  let alpha = new Float64Array(0);
  let sigma = new Float64Array(0);
  // x_t' = cX·x_t + c0·x0_t + c1·x0_prev
  let cX = new Float64Array(0);
  let c0 = new Float64Array(0);
  let c1 = new Float64Array(0);
  // the previous step's x0 and the index it belongs to (multistep history)
  let prevX0 = new Float32Array(0);
  let lastIndex = -1;

  return {
    name: 'dpmpp-2m',
    needsNoise: false,
    initNoiseSigma: 1,
    setTimesteps(steps: number): void {
      const chosen = dpmSolverTimesteps(table.trainSteps, steps, spacing);
      ({ alpha, sigma } = alphaSigmaAt(table, chosen));
      ({ cX, c0, c1 } = stepCoefficients(alpha, sigma));
      ts = chosen;
      lastIndex = -1;
    },
    timesteps(): Float64Array {
      return ts ? ts.slice() : new Float64Array(0);
    },
    predX0(out: Float32Array, index: number, sample: Float32Array, modelOutput: Float32Array): void {
      checkPredX0Args(out, index, sample, modelOutput, ts);
      predX0Kernel(out, sample, modelOutput, alpha[index] as number, sigma[index] as number, prediction);
    },
    step(out: Float32Array, input: StepInput): void {
      checkStepArgs(out, input, ts, false);
      const { index, sample, predX0 } = input;
      const n = out.length;
      if (index > 0 && (lastIndex !== index - 1 || prevX0.length !== n))
        throw new Error(`dpmpp-2m is multistep: step(${index}) must follow step(${index - 1}) on a sample of the same length`);
      if (prevX0.length !== n) prevX0 = new Float32Array(n);
      const a = cX[index] as number;
      const b = c0[index] as number;
      const c = c1[index] as number;
      // read every input of element i before writing, so out may alias sample or predX0; first-order steps skip
      // the history entirely (a stale non-finite value must not leak in as 0·∞)
      if (c === 0) {
        for (let i = 0; i < n; i++) {
          const x0 = predX0[i] as number;
          prevX0[i] = x0;
          out[i] = a * (sample[i] as number) + b * x0;
        }
      } else {
        for (let i = 0; i < n; i++) {
          const x0 = predX0[i] as number;
          const x0Prev = prevX0[i] as number;
          prevX0[i] = x0;
          out[i] = a * (sample[i] as number) + b * x0 + c * x0Prev;
        }
      }
      lastIndex = index;
    },
  };
}
