// Timestep selection, reproducing diffusers' set_timesteps (steps_offset = 0) number for number: numpy's linspace
// and arange arithmetic and its round-half-to-even. Deliberate deviations, all only where diffusers misbehaves:
// equal neighbours are dropped (DPM-Solver++ 'linspace' when steps ≈ trainSteps), 'trailing' takes exactly
// `steps` values (np.arange's float length is one too long for e.g. 103 of 1000 steps, which appends a timestep
// −1 in diffusers), and DPM-Solver++ 'leading' refuses steps ≥ trainSteps (diffusers returns all zeros).
import type { TimestepSpacing } from './scheduler.ts';

/** numpy.round: half to even (x ≥ 0 here). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** element i of numpy.linspace(start, stop, num) */
function linspaceAt(i: number, start: number, stop: number, num: number): number {
  if (num === 1) return start;
  if (i === num - 1) return stop;
  return i * ((stop - start) / (num - 1)) + start;
}

/** Drops equal neighbours in place; returns the kept length. */
function dedupe(ts: Float64Array): number {
  let n = 0;
  for (let i = 0; i < ts.length; i++) if (n === 0 || ts[i] !== ts[n - 1]) ts[n++] = ts[i] as number;
  return n;
}

/** round(arange(trainSteps, 0, −trainSteps/steps)) − 1, first `steps` values (numpy fills start + i·delta) */
function trailing(out: Float64Array, trainSteps: number, steps: number): void {
  const delta = trainSteps + -(trainSteps / steps) - trainSteps;
  for (let i = 0; i < steps; i++) out[i] = roundHalfEven(trainSteps + i * delta) - 1;
}

export function checkSteps(steps: number, trainSteps: number): void {
  if (!Number.isInteger(steps) || steps < 1 || steps > trainSteps)
    throw new RangeError(`steps must be an integer in [1, ${trainSteps}] (the schedule's trainSteps), got ${steps}`);
}

function checkSpacing(spacing: string): void {
  if (spacing !== 'leading' && spacing !== 'trailing' && spacing !== 'linspace')
    throw new RangeError(`timestepSpacing must be one of "leading", "trailing", "linspace", got ${JSON.stringify(spacing)}`);
}

/** DDPMScheduler / DDIMScheduler.set_timesteps: `steps` timesteps, noisiest first. */
export function ddpmTimesteps(trainSteps: number, steps: number, spacing: TimestepSpacing): Float64Array {
  checkSteps(steps, trainSteps);
  checkSpacing(spacing);
  const ts = new Float64Array(steps);
  if (spacing === 'linspace') {
    for (let i = 0; i < steps; i++) ts[steps - 1 - i] = roundHalfEven(linspaceAt(i, 0, trainSteps - 1, steps));
  } else if (spacing === 'leading') {
    const ratio = Math.floor(trainSteps / steps);
    for (let i = 0; i < steps; i++) ts[steps - 1 - i] = i * ratio;
  } else {
    trailing(ts, trainSteps, steps);
  }
  return ts.slice(0, dedupe(ts));
}

/** DPMSolverMultistepScheduler.set_timesteps (lambda_min_clipped = −∞): `steps` timesteps, noisiest first. */
export function dpmSolverTimesteps(trainSteps: number, steps: number, spacing: TimestepSpacing): Float64Array {
  checkSteps(steps, trainSteps);
  checkSpacing(spacing);
  const ts = new Float64Array(steps);
  if (spacing === 'linspace') {
    // linspace(0, T − 1, steps + 1), reversed, without its last element (t = 0)
    for (let i = 1; i <= steps; i++) ts[steps - i] = roundHalfEven(linspaceAt(i, 0, trainSteps - 1, steps + 1));
  } else if (spacing === 'leading') {
    // multiples of floor(T/(steps + 1)) without 0: only steps < T of them fit (diffusers silently returns zeros)
    if (steps >= trainSteps) throw new RangeError(`steps must be an integer in [1, ${trainSteps - 1}] for dpmpp-2m with 'leading' spacing, got ${steps}`);
    const ratio = Math.floor(trainSteps / (steps + 1));
    for (let i = 1; i <= steps; i++) ts[steps - i] = i * ratio;
  } else {
    trailing(ts, trainSteps, steps);
  }
  return ts.slice(0, dedupe(ts));
}
