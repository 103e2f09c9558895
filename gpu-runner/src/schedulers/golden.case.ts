// Golden runs: whole sampling loops of a toy model that must reproduce models/reference (numpy float64
// reimplementations of diffusers' schedulers, checked against diffusers' own step code) within 1e-5.
import { expect, it } from 'vitest';
import { NoiseSchedule, type SamplerName } from '../manifest/schema.ts';
import { dynamicThreshold } from '../numerics/thresholding.ts';
import fixture from './__fixtures__/scheduler-goldens.json' with { type: 'json' };
import { createNoiseSchedule, type NoiseScheduleTable } from './noise-schedule.ts';
import type { CreateScheduler, Prediction, SchedulerConfig, TimestepSpacing } from './scheduler.ts';

interface GoldenCase {
  name: string;
  sampler: string;
  schedule: string;
  prediction: Prediction;
  steps: number;
  spacing?: TimestepSpacing;
  eta?: number;
  thresholding?: { percentile: number; maxScale?: number };
  timesteps: number[];
  stepSums: number[];
  final: number[];
}

const cases = fixture.cases as GoldenCase[];
const [batch] = fixture.shape as [number, number];

/** The toy model of make_scheduler_goldens.py: g = 1.5·tanh(x) + 0.3·cos(0.7·j + t/150), ε = (x − α·g)/σ, v = α·ε − σ·g. */
export function toyModel(out: Float32Array, x: Float32Array, t: number, table: NoiseScheduleTable, prediction: Prediction): void {
  const alpha = table.alpha[t] as number;
  const sigma = table.sigma[t] as number;
  for (let j = 0; j < x.length; j++) {
    const g = 1.5 * Math.tanh(x[j] as number) + 0.3 * Math.cos(0.7 * j + t / 150);
    const eps = ((x[j] as number) - alpha * g) / sigma;
    out[j] = prediction === 'eps' ? eps : alpha * eps - sigma * g;
  }
}

export function goldenCasesFor(sampler: SamplerName): GoldenCase[] {
  return cases.filter((c) => c.sampler === sampler);
}

export function runGoldenCases(sampler: SamplerName, create: CreateScheduler): void {
  const mine = goldenCasesFor(sampler);
  it('has golden cases', () => expect(mine.length).toBeGreaterThan(0));
  it.each(mine.map((c) => [c.name, c] as const))('matches the reference run %s within 1e-5', (_, c) => {
    const schedule = NoiseSchedule.parse(fixture.schedules[c.schedule as keyof typeof fixture.schedules]);
    const config: SchedulerConfig = { schedule, prediction: c.prediction };
    if (c.spacing) config.timestepSpacing = c.spacing;
    if (c.eta !== undefined) config.eta = c.eta;
    const s = create(config);
    s.setTimesteps(c.steps);
    const ts = s.timesteps();
    expect([...ts]).toEqual(c.timesteps);
    const table = createNoiseSchedule(schedule);
    const x = Float32Array.from(fixture.xT);
    const out = new Float32Array(x.length);
    const x0 = new Float32Array(x.length);
    const scratch = new Float32Array(x.length);
    for (let i = 0; i < ts.length; i++) {
      toyModel(out, x, ts[i] as number, table, c.prediction);
      s.predX0(x0, i, x, out);
      if (c.thresholding) dynamicThreshold(x0, x0, batch, c.thresholding, scratch);
      s.step(x, { index: i, sample: x, predX0: x0, noise: Float32Array.from(fixture.noise[i]!) });
      const sum = x.reduce((acc, v) => acc + v, 0);
      expect(Math.abs(sum - c.stepSums[i]!), `sum after step ${i}`).toBeLessThan(1e-4);
    }
    let maxDiff = 0;
    for (let j = 0; j < x.length; j++) maxDiff = Math.max(maxDiff, Math.abs((x[j] as number) - (c.final[j] as number)));
    expect(maxDiff).toBeLessThanOrEqual(1e-5);
  });
}
