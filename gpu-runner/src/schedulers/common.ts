// Shared pieces of the schedulers: config validation, the x0 parameterisations, argument checks.
import { createNoiseSchedule, type NoiseScheduleTable } from './noise-schedule.ts';
import type { Prediction, SchedulerConfig, StepInput, TimestepSpacing } from './scheduler.ts';

export interface ResolvedConfig {
  table: NoiseScheduleTable;
  prediction: Prediction;
  spacing: TimestepSpacing;
}

export function resolveConfig(config: SchedulerConfig, defaultSpacing: TimestepSpacing): ResolvedConfig {
  const { prediction } = config;
  if (prediction !== 'eps' && prediction !== 'v')
    throw new RangeError(`prediction must be "eps" or "v" ('eps-learned-range' is reduced to "eps" by the pipeline), got ${JSON.stringify(prediction)}`);
  const spacing = config.timestepSpacing ?? defaultSpacing;
  if (spacing !== 'leading' && spacing !== 'trailing' && spacing !== 'linspace')
    throw new RangeError(`timestepSpacing must be one of "leading", "trailing", "linspace", got ${JSON.stringify(spacing)}`);
  return { table: createNoiseSchedule(config.schedule), prediction, spacing };
}

/**
 * x0 from the model output at noise level (alpha, sigma), where x_t = alpha·x0 + sigma·eps:
 * eps-prediction (Ho et al. 2020 eq. 15): x0 = (x_t − sigma·eps) / alpha;
 * v-prediction (Salimans & Ho 2022 §4, v = alpha·eps − sigma·x0): x0 = alpha·x_t − sigma·v.
 */
/** α_t and σ_t of the table at each chosen timestep, by step index: what predX0 and the step coefficients read */
export function alphaSigmaAt(table: NoiseScheduleTable, chosen: Float64Array): { alpha: Float64Array<ArrayBuffer>; sigma: Float64Array<ArrayBuffer> } {
  const alpha = new Float64Array(chosen.length);
  const sigma = new Float64Array(chosen.length);
  for (let i = 0; i < chosen.length; i++) {
    const t = chosen[i] as number;
    alpha[i] = table.alpha[t] as number;
    sigma[i] = table.sigma[t] as number;
  }
  return { alpha, sigma };
}

export function predX0Kernel(out: Float32Array, sample: Float32Array, modelOutput: Float32Array, alpha: number, sigma: number, prediction: Prediction): void {
  const n = out.length;
  if (prediction === 'eps') {
    // a division, not a multiplication by 1/alpha: the same rounding as diffusers
    for (let i = 0; i < n; i++) out[i] = ((sample[i] as number) - sigma * (modelOutput[i] as number)) / alpha;
  } else {
    for (let i = 0; i < n; i++) out[i] = alpha * (sample[i] as number) - sigma * (modelOutput[i] as number);
  }
}

export function requireTimesteps(ts: Float64Array | null): Float64Array {
  if (ts === null) throw new Error('call setTimesteps(steps) before predX0/step');
  return ts;
}

export function checkIndex(index: number, ts: Float64Array): void {
  if (!Number.isInteger(index) || index < 0 || index >= ts.length)
    throw new RangeError(`index must be an integer in [0, ${ts.length - 1}] (timesteps().length − 1), got ${index}`);
}

export function checkSameLength(out: Float32Array, named: Record<string, Float32Array>): void {
  for (const [name, arr] of Object.entries(named))
    if (arr.length !== out.length) throw new RangeError(`${name}.length must equal out.length (${out.length}), got ${arr.length}`);
}

export function checkPredX0Args(out: Float32Array, index: number, sample: Float32Array, modelOutput: Float32Array, ts: Float64Array | null): void {
  checkIndex(index, requireTimesteps(ts));
  checkSameLength(out, { sample, modelOutput });
}

export function checkStepArgs(out: Float32Array, input: StepInput, ts: Float64Array | null, needsNoise: boolean): void {
  checkIndex(input.index, requireTimesteps(ts));
  checkSameLength(out, needsNoise ? { sample: input.sample, predX0: input.predX0, noise: input.noise } : { sample: input.sample, predX0: input.predX0 });
}
