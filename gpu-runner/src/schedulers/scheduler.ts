// The scheduler contract (after diffusers' SchedulerMixin, without its
// reflection): pure math on typed arrays. The model is called by the pipeline;
// the scheduler only turns (sample, model output, noise) into the next sample.
// All randomness is passed in, so a scheduler never owns an RNG.
import type { NoiseSchedule, SamplerName } from '../manifest/schema.ts';

export type Prediction = 'eps' | 'v';

/**
 * How setTimesteps spreads the steps over [0, trainSteps) (Lin et al. 2023, Table 2; diffusers' `timestep_spacing`).
 * Defaults follow diffusers: 'leading' for DDPM and DDIM, 'linspace' for DPM-Solver++. 'trailing' starts at
 * t = trainSteps - 1 and is better for few steps.
 */
export type TimestepSpacing = 'leading' | 'trailing' | 'linspace';

export interface SchedulerConfig {
  schedule: NoiseSchedule;
  /** what the model output means; 'eps-learned-range' is reduced to 'eps' by the pipeline (the variance half is dropped) */
  prediction: Prediction;
  /** default: the sampler's diffusers default (see TimestepSpacing) */
  timestepSpacing?: TimestepSpacing;
  /** DDIM only: η of Song et al. 2021 eq. 16, in [0, 1]; 0 (default) is deterministic, 1 is DDPM-like */
  eta?: number;
}

export interface StepInput {
  /** index into timesteps(), 0 = the noisiest step */
  index: number;
  /** x_t, flattened [B, C, H, W] */
  sample: Float32Array;
  /** the model's guided prediction of x0 at this step, already thresholded (see predX0 below) */
  predX0: Float32Array;
  /** standard normal noise of sample's length, for stochastic samplers; ignored by deterministic ones */
  noise: Float32Array;
}

export interface Scheduler {
  readonly name: SamplerName;
  /**
   * chooses `steps` timesteps out of the training schedule, noisiest first. Where rounding makes two equal
   * (DPM-Solver++'s 'linspace' with steps close to trainSteps) the duplicate is dropped, so iterate over
   * timesteps().length, not `steps`. Resets any multistep history.
   */
  setTimesteps(steps: number): void;
  /** the training-schedule timesteps chosen by setTimesteps, as fed to the model (float, in [0, trainSteps)) */
  timesteps(): Float64Array;
  /** does step() read `noise`? (the pipeline then draws it) */
  readonly needsNoise: boolean;
  /**
   * x0 from the raw model output at step `index`, written into `out` (eps: x0 = (x_t - σ·eps)/α;
   * v: x0 = α·x_t - σ·v). The pipeline thresholds this x0 before calling step().
   */
  predX0(out: Float32Array, index: number, sample: Float32Array, modelOutput: Float32Array): void;
  /**
   * writes x_{t_next} into `out` (which may alias input.sample or input.predX0). Multistep samplers (DPM-Solver++ 2M)
   * remember the previous predX0, so steps must run in order 0, 1, 2, … after setTimesteps.
   */
  step(out: Float32Array, input: StepInput): void;
  /** initial noise scale: x_T = initSigma · N(0, I) (1 for variance-preserving schedules) */
  readonly initNoiseSigma: number;
}

export type CreateScheduler = (config: SchedulerConfig) => Scheduler;
