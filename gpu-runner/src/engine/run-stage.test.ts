// The fused x0 path is taken only where it reproduces the scheduler's own predX0.
import { describe, expect, it } from 'vitest';
import type { NoiseSchedule } from '../manifest/schema.ts';
import { createNoiseSchedule, createScheduler, type Scheduler } from '../schedulers/index.ts';
import { fusedCoefficients } from './run-stage.ts';

const schedule: NoiseSchedule = { type: 'cosine', trainSteps: 1000, offset: 0.008 };
const table = createNoiseSchedule(schedule);

describe('fusedCoefficients', () => {
  for (const sampler of ['ddpm', 'ddim', 'dpmpp-2m'] as const)
    for (const prediction of ['eps', 'v'] as const)
      it(`fuses every step of ${sampler} (${prediction}) with the table's alpha and sigma`, () => {
        const s = createScheduler(sampler, { schedule, prediction });
        s.setTimesteps(7);
        const coef = fusedCoefficients(s, table, prediction);
        const ts = s.timesteps();
        expect(coef.length).toBe(2 * ts.length);
        ts.forEach((t, k) => {
          expect(coef[2 * k]).toBe(table.alpha[t]);
          expect(coef[2 * k + 1]).toBe(table.sigma[t]);
        });
      });

  it('falls back (NaN) where a scheduler computes x0 otherwise, or its timestep is not a table index', () => {
    const real = createScheduler('ddim', { schedule, prediction: 'eps' });
    real.setTimesteps(4);
    const ts = real.timesteps();
    // x0 with alpha and sigma of the step after the chosen one: plausible, but not what the table says
    const shifted: Scheduler = {
      ...real,
      timesteps: () => Float64Array.from(ts, (t, k) => (k === 2 ? t + 0.5 : t)),
      predX0(out, index, sample, model) {
        const t = (ts[index] as number) - (index === 1 ? 1 : 0);
        for (let i = 0; i < out.length; i++) out[i] = ((sample[i] as number) - (table.sigma[t] as number) * (model[i] as number)) / (table.alpha[t] as number);
      },
    };
    const coef = fusedCoefficients(shifted, table, 'eps');
    expect([...coef].map((c) => !Number.isNaN(c))).toEqual([true, true, false, false, false, false, true, true]);
  });
});
