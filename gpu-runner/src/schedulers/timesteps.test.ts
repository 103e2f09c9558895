import { describe, expect, it } from 'vitest';
import fixture from './__fixtures__/timesteps.json' with { type: 'json' };
import type { TimestepSpacing } from './scheduler.ts';
import { ddpmTimesteps, dpmSolverTimesteps } from './timesteps.ts';

const families = { ddpm: ddpmTimesteps, 'dpm-solver': dpmSolverTimesteps } as const;
type Family = keyof typeof families;
const keys = Object.keys(fixture.listed).map((k) => k.split('/') as [Family, TimestepSpacing]);

describe('timestep spacing (diffusers set_timesteps)', () => {
  it.each(keys)('matches the reference for listed step counts (%s, %s)', (family, spacing) => {
    const listed = fixture.listed[`${family}/${spacing}`];
    for (const [steps, want] of Object.entries(listed)) expect([...families[family](1000, Number(steps), spacing)], `${steps} steps`).toEqual(want);
  });

  it.each(keys)('matches the reference for every step count of T = 10, 1000, 1024 (%s, %s)', (family, spacing) => {
    for (const T of [10, 1000, 1024]) {
      const want = fixture.checksums[`${family}/${spacing}/${T}` as keyof typeof fixture.checksums];
      const maxSteps = family === 'dpm-solver' && spacing === 'leading' ? T - 1 : T;
      let totalLength = 0;
      let weighted = 0;
      for (let steps = 1; steps <= maxSteps; steps++) {
        const ts = families[family](T, steps, spacing);
        totalLength += ts.length;
        ts.forEach((t, i) => (weighted += (i + 1) * (t + 1)));
      }
      expect({ totalLength, weighted }, `T = ${T}`).toEqual(want);
    }
  });

  it('uses the documented defaults: DDPM/DDIM leading ends at 0, DPM-Solver++ linspace starts at T − 1', () => {
    expect([...ddpmTimesteps(1000, 10, 'leading')]).toEqual([900, 800, 700, 600, 500, 400, 300, 200, 100, 0]);
    expect([...ddpmTimesteps(1000, 4, 'trailing')]).toEqual([999, 749, 499, 249]);
    expect([...dpmSolverTimesteps(1000, 4, 'linspace')]).toEqual([999, 749, 500, 250]);
  });

  it("takes exactly `steps` trailing values where numpy's arange would append −1", () => {
    const ts = ddpmTimesteps(1000, 103, 'trailing');
    expect(ts.length).toBe(103);
    expect(ts.at(-1)).toBeGreaterThanOrEqual(0);
  });

  it('validates steps and spacing', () => {
    expect(() => ddpmTimesteps(1000, 0, 'leading')).toThrow(/steps must be an integer in \[1, 1000\]/);
    expect(() => dpmSolverTimesteps(1000, 1001, 'linspace')).toThrow(/steps/);
    expect(() => ddpmTimesteps(1000, 10, 'uniform' as TimestepSpacing)).toThrow(/timestepSpacing must be one of/);
  });
});
