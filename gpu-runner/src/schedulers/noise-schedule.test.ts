import { describe, expect, it } from 'vitest';
import { NoiseSchedule } from '../manifest/schema.ts';
import fixture from './__fixtures__/noise-schedules.json' with { type: 'json' };
import { alphaBarAt, createNoiseSchedule } from './noise-schedule.ts';

const variants = Object.entries(fixture).filter(([k]) => k !== 'generator') as [string, { schedule: unknown; indices: number[]; betas: number[]; alphaBar: number[] }][];

describe('createNoiseSchedule', () => {
  it.each(variants)('reproduces diffusers betas and alphaBar (%s, float64)', (_, v) => {
    const table = createNoiseSchedule(NoiseSchedule.parse(v.schedule));
    v.indices.forEach((t, k) => {
      // linear: bit-identical (same numpy.linspace arithmetic); cosine: Math.cos may differ from libm by an ulp
      expect(Math.abs(table.betas[t]! - v.betas[k]!)).toBeLessThanOrEqual(1e-15 * v.betas[k]!);
      expect(Math.abs(table.alphaBar[t]! - v.alphaBar[k]!)).toBeLessThanOrEqual(1e-13 * v.alphaBar[k]!);
    });
  });

  it('is bit-identical to numpy for the linear schedule', () => {
    const v = fixture.linear;
    const table = createNoiseSchedule(NoiseSchedule.parse(v.schedule));
    expect(v.indices.map((t) => table.betas[t])).toEqual(v.betas);
    expect(v.indices.map((t) => table.alphaBar[t])).toEqual(v.alphaBar);
  });

  it('derives alpha, sigma and logSnr from alphaBar, with logSnr strictly decreasing', () => {
    for (const [, v] of variants) {
      const table = createNoiseSchedule(NoiseSchedule.parse(v.schedule));
      for (let t = 0; t < table.trainSteps; t++) {
        const ab = table.alphaBar[t]!;
        expect(table.alpha[t]! ** 2 + table.sigma[t]! ** 2).toBeCloseTo(1, 14);
        expect(table.logSnr[t]).toBeCloseTo(Math.log(ab / (1 - ab)), 10);
        if (t > 0) expect(table.logSnr[t]).toBeLessThan(table.logSnr[t - 1]!);
      }
    }
  });

  it('caps cosine betas at 0.999 (the last step of squaredcos_cap_v2)', () => {
    const table = createNoiseSchedule({ type: 'cosine', trainSteps: 1000, offset: 0.008 });
    expect(table.betas[999]).toBe(0.999);
    expect(table.betas[998]).toBeLessThan(0.999);
  });

  it('treats t = -1 as clean data', () => {
    const table = createNoiseSchedule({ type: 'linear', trainSteps: 10, betaStart: 0.001, betaEnd: 0.02 });
    expect(alphaBarAt(table, -1)).toBe(1);
    expect(alphaBarAt(table, 3)).toBe(table.alphaBar[3]);
    expect(() => alphaBarAt(table, 10)).toThrow(/\[-1, 9\]/);
    expect(() => alphaBarAt(table, 1.5)).toThrow(/timestep/);
  });

  it('rejects schedules that are out of range or reach alphaBar = 0', () => {
    expect(() => createNoiseSchedule({ type: 'cosine', trainSteps: 1, offset: 0.008 })).toThrow(/trainSteps must be an integer in \[2, 100000\]/);
    expect(() => createNoiseSchedule({ type: 'cosine', trainSteps: 10, offset: -1 })).toThrow(/offset/);
    expect(() => createNoiseSchedule({ type: 'linear', trainSteps: 10, betaStart: 0, betaEnd: 0.02 })).toThrow(/betaStart/);
    expect(() => createNoiseSchedule({ type: 'linear', trainSteps: 10, betaStart: 0.01, betaEnd: 1 })).toThrow(/alphaBar = 0 at t = 9/);
    expect(() => createNoiseSchedule({ type: 'quadratic', trainSteps: 10 } as unknown as NoiseSchedule)).toThrow(/schedule\.type/);
  });
});
