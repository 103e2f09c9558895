import { describe, expect, it } from 'vitest';
import { createDpmSolverScheduler } from './dpm-solver.ts';
import { runGoldenCases } from './golden.case.ts';
import { createNoiseSchedule } from './noise-schedule.ts';
import { normals, runSchedulerConformance } from './scheduler.case.ts';

runSchedulerConformance('dpmpp-2m', createDpmSolverScheduler);
runSchedulerConformance('dpmpp-2m', createDpmSolverScheduler, { timestepSpacing: 'trailing' });

describe('DPM-Solver++(2M)', () => {
  runGoldenCases('dpmpp-2m', createDpmSolverScheduler);

  const schedule = { type: 'cosine', trainSteps: 1000, offset: 0.008 } as const;

  it('takes a first-order (DDIM) step first, then second-order steps that use the previous x0', () => {
    const dpm = createDpmSolverScheduler({ schedule, prediction: 'eps' });
    dpm.setTimesteps(10);
    const ts = dpm.timesteps();
    const table = createNoiseSchedule(schedule);
    const [x, x0a, x0b] = [normals(1, 16), normals(2, 16), normals(3, 16)];
    const none = new Float32Array(0);
    const first = new Float32Array(16);
    dpm.step(first, { index: 0, sample: x, predX0: x0a, noise: none });
    // DDIM (η = 0, Song et al. eq. 12) from ts[0] to ts[1]
    const [aT, aP] = [table.alphaBar[ts[0]!]!, table.alphaBar[ts[1]!]!];
    for (let j = 0; j < 16; j++) {
      const want = Math.sqrt(aP) * x0a[j]! + (Math.sqrt(1 - aP) * (x[j]! - Math.sqrt(aT) * x0a[j]!)) / Math.sqrt(1 - aT);
      expect(first[j]).toBeCloseTo(want, 5);
    }
    // the second step depends on the previous x0: the same inputs after a different first x0 give another result
    const second = new Float32Array(16);
    dpm.step(second, { index: 1, sample: first, predX0: x0b, noise: none });
    const other = createDpmSolverScheduler({ schedule, prediction: 'eps' });
    other.setTimesteps(10);
    other.step(new Float32Array(16), { index: 0, sample: x, predX0: x0b, noise: none });
    const secondOther = new Float32Array(16);
    other.step(secondOther, { index: 1, sample: first, predX0: x0b, noise: none });
    expect(second).not.toEqual(secondOther);
  });

  it("refuses 'leading' spacing with steps ≥ trainSteps", () => {
    const s = createDpmSolverScheduler({ schedule, prediction: 'eps', timestepSpacing: 'leading' });
    expect(() => s.setTimesteps(1000)).toThrow(/\[1, 999\] for dpmpp-2m with 'leading' spacing/);
    s.setTimesteps(999);
    expect(s.timesteps().length).toBe(999);
  });

  it('refuses steps out of order (its history would be wrong)', () => {
    const s = createDpmSolverScheduler({ schedule, prediction: 'v' });
    s.setTimesteps(5);
    const z = new Float32Array(4);
    const input = (index: number) => ({ index, sample: z, predX0: z, noise: z });
    expect(() => s.step(z, input(1))).toThrow(/multistep/);
    s.step(z, input(0));
    expect(() => s.step(z, input(2))).toThrow(/multistep/);
    s.step(z, input(1));
    expect(() => s.step(new Float32Array(3), { index: 2, sample: new Float32Array(3), predX0: new Float32Array(3), noise: z })).toThrow(/multistep/);
    // a new run may start at index 0 at any time
    s.step(z, input(0));
  });

  it('drops the duplicate timestep that linspace rounding creates at steps = trainSteps', () => {
    const s = createDpmSolverScheduler({ schedule, prediction: 'eps' });
    s.setTimesteps(1000);
    expect(s.timesteps().length).toBe(999);
  });
});
