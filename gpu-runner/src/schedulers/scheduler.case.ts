// The conformance suite every Scheduler passes (hono's common.case.test.ts pattern): each <sampler>.test.ts calls
// runSchedulerConformance with its factory. The oracle model returns the true ε / v of a known x0, so predX0 must
// recover x0 and every sampler must land on x0.
import { describe, expect, it } from 'vitest';
import type { NoiseSchedule, SamplerName } from '../manifest/schema.ts';
import { createNormalStream } from '../random/normal-stream.ts';
import { createNoiseSchedule, type NoiseScheduleTable } from './noise-schedule.ts';
import type { CreateScheduler, Prediction, Scheduler, SchedulerConfig } from './scheduler.ts';

export const conformanceSchedules: Record<string, NoiseSchedule> = {
  cosine: { type: 'cosine', trainSteps: 1000, offset: 0.008 },
  linear: { type: 'linear', trainSteps: 1000, betaStart: 0.0001, betaEnd: 0.02 },
};
// schedules at the edges of what the manifest allows
const edgeSchedules: Record<string, NoiseSchedule> = {
  'cosine T=2': { type: 'cosine', trainSteps: 2, offset: 0.008 },
  'linear T=10 to 0.5': { type: 'linear', trainSteps: 10, betaStart: 0.001, betaEnd: 0.5 },
};
const predictions: Prediction[] = ['eps', 'v'];
const N = 24;

export function normals(seed: number, n: number, id = 0): Float32Array {
  const out = new Float32Array(n);
  createNormalStream(seed, id).fill(out);
  return out;
}

/** The oracle model: the true ε (or v = α·ε − σ·x0) that relates x_t to x0 at timestep t, stored as float32. */
export function oracle(out: Float32Array, x: Float32Array, x0: Float32Array, table: NoiseScheduleTable, t: number, prediction: Prediction): void {
  const alpha = table.alpha[t] as number;
  const sigma = table.sigma[t] as number;
  for (let i = 0; i < out.length; i++) {
    const eps = ((x[i] as number) - alpha * (x0[i] as number)) / sigma;
    out[i] = prediction === 'eps' ? eps : alpha * eps - sigma * (x0[i] as number);
  }
}

interface Run {
  trajectory: Float32Array[];
  final: Float32Array;
}

/** A whole sampling loop with the oracle model; the noise stream is drawn only when the scheduler asks for it. */
function sampleWithOracle(s: Scheduler, table: NoiseScheduleTable, steps: number, x0: Float32Array, prediction: Prediction, noiseSeed = 7): Run {
  s.setTimesteps(steps);
  const ts = s.timesteps();
  const x = normals(1, x0.length);
  const out = new Float32Array(x0.length);
  const pred = new Float32Array(x0.length);
  const noise = new Float32Array(x0.length);
  const stream = createNormalStream(noiseSeed, 1);
  const trajectory: Float32Array[] = [];
  for (let i = 0; i < ts.length; i++) {
    oracle(out, x, x0, table, ts[i] as number, prediction);
    s.predX0(pred, i, x, out);
    if (s.needsNoise) stream.fill(noise);
    s.step(x, { index: i, sample: x, predX0: pred, noise });
    trajectory.push(x.slice());
  }
  return { trajectory, final: x };
}

const maxAbsDiff = (a: Float32Array, b: Float32Array): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
};

export function runSchedulerConformance(name: SamplerName, create: CreateScheduler, extra: Partial<SchedulerConfig> = {}): void {
  const label = `${name} ${JSON.stringify(extra)}`;
  const make = (schedule: NoiseSchedule, prediction: Prediction): Scheduler => create({ schedule, prediction, ...extra });
  const x0 = normals(3, N).map((v) => Math.tanh(v));

  describe(`Scheduler conformance: ${label}`, () => {
    it('is named, variance preserving, and refuses to run before setTimesteps', () => {
      const s = make(conformanceSchedules.cosine!, 'eps');
      expect(s.name).toBe(name);
      expect(s.initNoiseSigma).toBe(1);
      const a = new Float32Array(N);
      expect(() => s.predX0(a, 0, a, a)).toThrow(/setTimesteps/);
      expect(() => s.step(a, { index: 0, sample: a, predX0: a, noise: a })).toThrow(/setTimesteps/);
    });

    describe.each(Object.entries({ ...conformanceSchedules, ...edgeSchedules }))('schedule %s', (_, schedule) => {
      const T = schedule.trainSteps;
      const stepCounts = [...new Set([1, 2, 7, 50, T].filter((n) => n <= T))];

      it.each(stepCounts)('chooses strictly decreasing integer timesteps in [0, T) for %i steps', (steps) => {
        const s = make(schedule, 'eps');
        s.setTimesteps(steps);
        const ts = s.timesteps();
        expect(ts.length).toBeGreaterThanOrEqual(1);
        expect(ts.length).toBeLessThanOrEqual(steps);
        // only DPM-Solver++'s 'linspace' rounding can merge two timesteps (steps ≈ T): never more than one
        expect(ts.length).toBeGreaterThanOrEqual(Math.min(steps, T - 1));
        for (let i = 0; i < ts.length; i++) {
          const t = ts[i] as number;
          expect(Number.isInteger(t) && t >= 0 && t < T, `t[${i}] = ${t}`).toBe(true);
          if (i > 0) expect(t).toBeLessThan(ts[i - 1] as number);
        }
      });

      it('rejects step counts outside [1, trainSteps]', () => {
        const s = make(schedule, 'eps');
        for (const bad of [0, -1, 1.5, T + 1, Number.NaN]) expect(() => s.setTimesteps(bad)).toThrow(/steps must be an integer in \[1, /);
      });

      it.each(predictions)('recovers x0 exactly (to float32 rounding) from the oracle %s at every step', (prediction) => {
        const table = createNoiseSchedule(schedule);
        const s = make(schedule, prediction);
        s.setTimesteps(Math.min(50, T));
        const ts = s.timesteps();
        const eps = normals(5, N);
        const x = new Float32Array(N);
        const out = new Float32Array(N);
        const got = new Float32Array(N);
        let worst = '';
        for (let i = 0; i < ts.length; i++) {
          const t = ts[i] as number;
          const alpha = table.alpha[t] as number;
          const sigma = table.sigma[t] as number;
          for (let j = 0; j < N; j++) x[j] = alpha * (x0[j] as number) + sigma * (eps[j] as number);
          oracle(out, x, x0, table, t, prediction);
          s.predX0(got, i, x, out);
          for (let j = 0; j < N; j++) {
            // float32 rounding of x_t and of the model output, propagated through the x0 formula (≤ 2^-24 relative each)
            const u = 2 ** -24;
            const xt = Math.abs(x[j] as number);
            const mo = Math.abs(out[j] as number);
            const bound = (prediction === 'eps' ? (u * (xt + sigma * mo)) / alpha : u * (alpha * xt + sigma * mo)) * 2 + u * Math.abs(x0[j] as number);
            const err = Math.abs((got[j] as number) - (x0[j] as number));
            if (err > bound) worst = `step ${i} t=${t} j=${j}: |predX0 − x0| = ${err} > ${bound}`;
          }
        }
        expect(worst).toBe('');
      });

      describe.each(predictions)('with the oracle %s model', (prediction) => {
        it.each(stepCounts)('lands on x0 (within 1e-3) after %i steps', (steps) => {
          const table = createNoiseSchedule(schedule);
          const s = make(schedule, prediction);
          const { final } = sampleWithOracle(s, table, steps, x0, prediction);
          // plus what float32 storage of x_T and ε costs the last x0 estimate: ε-prediction at t = 999 of the cosine
          // schedule divides by alpha ≈ 5e-5 (the only case where this term matters)
          const tLast = s.timesteps().at(-1)!;
          const slack = prediction === 'eps' ? (2 ** -24 * 8 * (table.sigma[tLast]! + 1)) / table.alpha[tLast]! : 0;
          expect(maxAbsDiff(final, x0)).toBeLessThan(1e-3 + slack);
        });
      });

      it.each([1, 7, T].filter((n) => n <= T))('stays finite on extreme inputs (%i steps)', (steps) => {
        const extremes = [0, 1e4, -1e4, 1e-30, -1e-30, 65504, -65504, 1, -1, 3.4e-38, 0.5, -0.5];
        for (const prediction of predictions) {
          const s = make(schedule, prediction);
          s.setTimesteps(steps);
          const n = extremes.length;
          const x = Float32Array.from(extremes);
          const out = Float32Array.from(extremes).reverse();
          const pred = new Float32Array(n);
          const noise = Float32Array.from(extremes);
          for (let i = 0; i < s.timesteps().length; i++) {
            s.predX0(pred, i, x, out);
            expect(pred.every(Number.isFinite), `predX0 at step ${i}`).toBe(true);
            // the pipeline thresholds x0 before stepping; keep the test to what a real x0 can be
            for (let j = 0; j < n; j++) pred[j] = Math.max(-1e4, Math.min(1e4, pred[j] as number));
            s.step(x, { index: i, sample: x, predX0: pred, noise });
            expect(x.every(Number.isFinite), `sample after step ${i}`).toBe(true);
          }
        }
      });
    });

    it('lets out alias sample or predX0', () => {
      const schedule = conformanceSchedules.cosine!;
      const table = createNoiseSchedule(schedule);
      const [a, b, c] = [0, 1, 2].map(() => make(schedule, 'eps')) as [Scheduler, Scheduler, Scheduler];
      for (const s of [a, b, c]) s.setTimesteps(7);
      const ts = a.timesteps();
      const x = normals(11, N);
      const out = new Float32Array(N);
      const noise = normals(12, N);
      for (let i = 0; i < ts.length; i++) {
        oracle(out, x, x0, table, ts[i] as number, 'eps');
        const pred = new Float32Array(N);
        a.predX0(pred, i, x, out);
        const separate = new Float32Array(N);
        a.step(separate, { index: i, sample: x, predX0: pred, noise });
        const inSample = x.slice();
        b.step(inSample, { index: i, sample: inSample, predX0: pred.slice(), noise });
        const inPred = pred.slice();
        c.step(inPred, { index: i, sample: x, predX0: inPred, noise });
        expect(inSample, `out = sample at step ${i}`).toEqual(separate);
        expect(inPred, `out = predX0 at step ${i}`).toEqual(separate);
        x.set(separate);
      }
    });

    it(`is honest about needing noise`, () => {
      const schedule = conformanceSchedules.linear!;
      const table = createNoiseSchedule(schedule);
      const [a, b] = [make(schedule, 'v'), make(schedule, 'v')];
      const runA = sampleWithOracle(a, table, 7, x0, 'v', 100);
      const runB = sampleWithOracle(b, table, 7, x0, 'v', 200);
      if (a.needsNoise) expect(runA.trajectory[0]).not.toEqual(runB.trajectory[0]);
      else {
        expect(runA.trajectory).toEqual(runB.trajectory);
        // a deterministic sampler never reads noise, so an empty array is fine
        const s = make(schedule, 'v');
        s.setTimesteps(2);
        const z = new Float32Array(N);
        expect(() => s.step(z, { index: 0, sample: z, predX0: z, noise: new Float32Array(0) })).not.toThrow();
      }
    });

    it('is deterministic: fresh schedulers and reruns give identical bits', () => {
      const schedule = conformanceSchedules.cosine!;
      const table = createNoiseSchedule(schedule);
      const s = make(schedule, 'eps');
      const first = sampleWithOracle(s, table, 7, x0, 'eps');
      const again = sampleWithOracle(s, table, 7, x0, 'eps');
      const fresh = sampleWithOracle(make(schedule, 'eps'), table, 7, x0, 'eps');
      expect(again.trajectory).toEqual(first.trajectory);
      expect(fresh.trajectory).toEqual(first.trajectory);
    });

    it('validates step arguments', () => {
      const s = make(conformanceSchedules.cosine!, 'eps');
      s.setTimesteps(3);
      const a = new Float32Array(N);
      const short = new Float32Array(N - 1);
      expect(() => s.predX0(a, 3, a, a)).toThrow(/index must be an integer in \[0, 2\]/);
      expect(() => s.predX0(a, -1, a, a)).toThrow(/index/);
      expect(() => s.predX0(a, 0, short, a)).toThrow(/sample\.length/);
      expect(() => s.predX0(a, 0, a, short)).toThrow(/modelOutput\.length/);
      expect(() => s.step(a, { index: 0, sample: a, predX0: short, noise: a })).toThrow(/predX0\.length/);
      expect(() => s.step(a, { index: 0.5, sample: a, predX0: a, noise: a })).toThrow(/index/);
    });
  });
}
