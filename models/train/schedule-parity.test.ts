// The stages are trained with models/nets/diffusion.py's alphaBar table and
// sampled with the engine's; any difference shifts every timestep the model sees.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { NoiseSchedule } from '../../gpu-runner/src/manifest/schema.ts';
import { createNoiseSchedule } from '../../gpu-runner/src/schedulers/noise-schedule.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const python = '/usr/bin/python3';

function pythonAlphaBar(schedule: object): number[] {
  const out = execFileSync(python, ['-m', 'models.nets.diffusion', JSON.stringify(schedule)], { cwd: root, encoding: 'utf8' });
  return z.array(z.number()).parse(JSON.parse(out));
}

describe.skipIf(!existsSync(python))('training schedule = engine schedule', () => {
  for (const raw of [
    { type: 'cosine', trainSteps: 1000, offset: 0.008 },
    { type: 'linear', trainSteps: 1000, betaStart: 0.0001, betaEnd: 0.02 },
  ]) {
    it(`${raw.type} alphaBar agrees to 1e-12`, () => {
      const schedule = NoiseSchedule.parse(raw);
      const engine = createNoiseSchedule(schedule).alphaBar;
      const py = pythonAlphaBar(schedule);
      expect(py.length).toBe(engine.length);
      let worst = 0;
      py.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - (engine[i] ?? Number.NaN)))));
      expect(worst).toBeLessThan(1e-12);
      expect(py[999]).toBeLessThan(1e-3);
    });
  }
});
