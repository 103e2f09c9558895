import { describe, expect, it } from 'vitest';
import { samplerNames, type SamplerName } from '../manifest/schema.ts';
import { createScheduler, schedulerFactories } from './registry.ts';

const schedule = { type: 'cosine', trainSteps: 1000, offset: 0.008 } as const;

describe('createScheduler', () => {
  it('has a scheduler for every sampler the manifest allows, under its own name', () => {
    expect(Object.keys(schedulerFactories).sort()).toEqual([...samplerNames].sort());
    for (const name of samplerNames) expect(createScheduler(name, { schedule, prediction: 'eps' }).name).toBe(name);
  });

  it('passes the config through (eta makes DDIM stochastic, spacing changes timesteps)', () => {
    expect(createScheduler('ddim', { schedule, prediction: 'eps', eta: 1 }).needsNoise).toBe(true);
    const s = createScheduler('ddpm', { schedule, prediction: 'v', timestepSpacing: 'trailing' });
    s.setTimesteps(2);
    expect([...s.timesteps()]).toEqual([999, 499]);
  });

  it('rejects unknown samplers, predictions and spacings with the allowed values', () => {
    expect(() => createScheduler('euler' as SamplerName, { schedule, prediction: 'eps' })).toThrow(/sampler must be one of "ddpm", "ddim", "dpmpp-2m"/);
    expect(() => createScheduler('toString' as SamplerName, { schedule, prediction: 'eps' })).toThrow(/sampler must be one of/);
    expect(() => createScheduler('ddpm', { schedule, prediction: 'x0' as 'eps' })).toThrow(/prediction must be "eps" or "v"/);
    expect(() => createScheduler('ddpm', { schedule, prediction: 'eps', timestepSpacing: 'even' as 'leading' })).toThrow(/timestepSpacing must be one of/);
  });
});
