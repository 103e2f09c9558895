import { describe, expect, it } from 'vitest';
import { createDdpmScheduler } from './ddpm.ts';
import { runGoldenCases } from './golden.case.ts';
import { createNoiseSchedule } from './noise-schedule.ts';
import { runSchedulerConformance } from './scheduler.case.ts';

runSchedulerConformance('ddpm', createDdpmScheduler);
runSchedulerConformance('ddpm', createDdpmScheduler, { timestepSpacing: 'trailing' });

describe('DDPM', () => {
  runGoldenCases('ddpm', createDdpmScheduler);

  it('with all trainSteps is the textbook ancestral step: posterior variance = beta_t·(1 − ᾱ_{t−1})/(1 − ᾱ_t)', () => {
    const schedule = { type: 'linear', trainSteps: 1000, betaStart: 0.0001, betaEnd: 0.02 } as const;
    const table = createNoiseSchedule(schedule);
    const s = createDdpmScheduler({ schedule, prediction: 'eps' });
    s.setTimesteps(1000);
    // x0 = 0 and sample = 0 leave only the noise term: out = sqrt(β̃_t)·z
    const zero = new Float32Array(1);
    const out = new Float32Array(1);
    const t = 500;
    const index = 999 - t;
    s.step(out, { index, sample: zero, predX0: zero, noise: Float32Array.of(1) });
    const beta = table.betas[t]!;
    const want = Math.sqrt((beta * (1 - table.alphaBar[t - 1]!)) / (1 - table.alphaBar[t]!));
    expect(out[0]).toBeCloseTo(want, 7);
  });

  it('adds no noise on the last step (t = 0)', () => {
    const s = createDdpmScheduler({ schedule: { type: 'cosine', trainSteps: 1000, offset: 0.008 }, prediction: 'eps' });
    s.setTimesteps(10);
    expect(s.timesteps()[9]).toBe(0);
    const x0 = Float32Array.of(0.25, -0.5);
    const out = new Float32Array(2);
    s.step(out, { index: 9, sample: Float32Array.of(3, 4), predX0: x0, noise: Float32Array.of(100, 100) });
    expect(out).toEqual(x0);
  });
});
