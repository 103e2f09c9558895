// The forward process q(x_t | x_0) = N(alpha_t·x_0, sigma_t²·I) of a variance-preserving schedule, tabulated at the
// integer training timesteps t = 0 … trainSteps-1 exactly as diffusers builds it (in float64; diffusers rounds the
// betas to float32): alphaBar_t = ∏_{i ≤ t} (1 − beta_i), alpha_t = sqrt(alphaBar_t), sigma_t = sqrt(1 − alphaBar_t),
// logSnr_t = log(alpha_t² / sigma_t²).
import type { NoiseSchedule } from '../manifest/schema.ts';

export interface NoiseScheduleTable {
  readonly trainSteps: number;
  readonly betas: Float64Array;
  readonly alphaBar: Float64Array;
  readonly alpha: Float64Array;
  readonly sigma: Float64Array;
  readonly logSnr: Float64Array;
}

/** diffusers' betas_for_alpha_bar cap ("squaredcos_cap_v2") that keeps the last step's beta below 1 */
const MAX_BETA = 0.999;

/**
 * Nichol & Dhariwal 2021 eq. 17: alphaBar(t) = f(t)/f(0), f(t) = cos²((t/T + s)/(1 + s) · π/2), discretised as
 * betas beta_i = min(1 − f((i+1)/T) / f(i/T), 0.999) (diffusers' betas_for_alpha_bar).
 */
function cosineBetas(out: Float64Array, trainSteps: number, offset: number): void {
  const f = (t: number): number => {
    const c = Math.cos(((t + offset) / (1 + offset)) * (Math.PI / 2));
    return c * c;
  };
  for (let i = 0; i < trainSteps; i++) out[i] = Math.min(1 - f((i + 1) / trainSteps) / f(i / trainSteps), MAX_BETA);
}

/** Ho et al. 2020 §4: betas linearly spaced from betaStart to betaEnd, computed as numpy.linspace does it. */
function linearBetas(out: Float64Array, trainSteps: number, betaStart: number, betaEnd: number): void {
  const step = (betaEnd - betaStart) / (trainSteps - 1);
  for (let i = 0; i < trainSteps; i++) out[i] = i * step + betaStart;
  out[trainSteps - 1] = betaEnd;
}

function checkRange(name: string, v: number, lo: number, hi: number, integer = false): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi || (integer && !Number.isInteger(v)))
    throw new RangeError(`schedule.${name} must be ${integer ? 'an integer' : 'a number'} in [${lo}, ${hi}], got ${String(v)}`);
}

export function createNoiseSchedule(schedule: NoiseSchedule): NoiseScheduleTable {
  checkRange('trainSteps', schedule.trainSteps, 2, 100_000, true);
  const trainSteps = schedule.trainSteps;
  const betas = new Float64Array(trainSteps);
  if (schedule.type === 'cosine') {
    checkRange('offset', schedule.offset, 0, 1);
    cosineBetas(betas, trainSteps, schedule.offset);
  } else if (schedule.type === 'linear') {
    checkRange('betaStart', schedule.betaStart, Number.MIN_VALUE, 1);
    checkRange('betaEnd', schedule.betaEnd, Number.MIN_VALUE, 1);
    linearBetas(betas, trainSteps, schedule.betaStart, schedule.betaEnd);
  } else {
    throw new RangeError(`schedule.type must be "cosine" or "linear", got ${JSON.stringify((schedule as { type: unknown }).type)}`);
  }
  const alphaBar = new Float64Array(trainSteps);
  const alpha = new Float64Array(trainSteps);
  const sigma = new Float64Array(trainSteps);
  const logSnr = new Float64Array(trainSteps);
  let prod = 1;
  for (let t = 0; t < trainSteps; t++) {
    prod *= 1 - (betas[t] as number);
    // alphaBar must stay in (0, 1): at 0 an eps-model's x0 = (x − sigma·eps)/alpha is undefined, at 1 sigma = 0
    if (!(prod > 0 && prod < 1))
      throw new RangeError(`schedule reaches alphaBar = ${prod} at t = ${t}; betas must lie in (0, 1) (betaEnd < 1)`);
    alphaBar[t] = prod;
    alpha[t] = Math.sqrt(prod);
    sigma[t] = Math.sqrt(1 - prod);
    logSnr[t] = Math.log(prod) - Math.log(1 - prod);
  }
  return { trainSteps, betas, alphaBar, alpha, sigma, logSnr };
}

/** alphaBar at integer timestep t; t = -1 stands for the clean data (alphaBar = 1), as diffusers' "final" step. */
export function alphaBarAt(table: NoiseScheduleTable, t: number): number {
  if (t === -1) return 1;
  const v = table.alphaBar[t];
  if (v === undefined || !Number.isInteger(t)) throw new RangeError(`timestep must be an integer in [-1, ${table.trainSteps - 1}], got ${t}`);
  return v;
}
