import { describe, expect, it } from 'vitest';
import { createDdimScheduler } from './ddim.ts';
import { createDdpmScheduler } from './ddpm.ts';
import { runGoldenCases } from './golden.case.ts';
import { normals } from './scheduler.case.ts';
import { runSchedulerConformance } from './scheduler.case.ts';

runSchedulerConformance('ddim', createDdimScheduler);
runSchedulerConformance('ddim', createDdimScheduler, { eta: 1 });
runSchedulerConformance('ddim', createDdimScheduler, { timestepSpacing: 'trailing' });

describe('DDIM', () => {
  runGoldenCases('ddim', createDdimScheduler);

  it('with eta = 1 takes exactly the DDPM posterior step', () => {
    const schedule = { type: 'cosine', trainSteps: 1000, offset: 0.008 } as const;
    const ddim = createDdimScheduler({ schedule, prediction: 'eps', eta: 1 });
    const ddpm = createDdpmScheduler({ schedule, prediction: 'eps' });
    ddim.setTimesteps(20);
    ddpm.setTimesteps(20);
    const [x, x0, z] = [normals(1, 32), normals(2, 32), normals(3, 32)];
    const a = new Float32Array(32);
    const b = new Float32Array(32);
    for (const index of [0, 5, 18]) {
      ddim.step(a, { index, sample: x, predX0: x0, noise: z });
      ddpm.step(b, { index, sample: x, predX0: x0, noise: z });
      for (let j = 0; j < 32; j++) expect(a[j]).toBeCloseTo(b[j]!, 5);
    }
  });

  it('rejects eta outside [0, 1]', () => {
    const schedule = { type: 'cosine', trainSteps: 1000, offset: 0.008 } as const;
    for (const eta of [-0.1, 1.5, Number.NaN]) expect(() => createDdimScheduler({ schedule, prediction: 'eps', eta })).toThrow(/eta must be a number in \[0, 1\]/);
    expect(createDdimScheduler({ schedule, prediction: 'eps' }).needsNoise).toBe(false);
    expect(createDdimScheduler({ schedule, prediction: 'eps', eta: 0.5 }).needsNoise).toBe(true);
  });
});
