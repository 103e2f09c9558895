import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The world is Python (it feeds the PyTorch trainer); this runs its unittest suite under `npm test`.
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const python = '/usr/bin/python3';

function pythonHasNumpy(): boolean {
  const probe = spawnSync(python, ['-c', 'import numpy, PIL'], { encoding: 'utf8' });
  return probe.status === 0;
}

const available = pythonHasNumpy();
const skipReason = `SKIPPED: ${python} cannot import numpy and PIL, so models.world cannot run`;
if (!available) console.warn(skipReason);

describe('procedural shapes world', () => {
  it.skipIf(!available)(available ? 'passes python3 -m unittest models.world.test_world' : skipReason, () => {
    const run = spawnSync(python, ['-m', 'unittest', 'models.world.test_world'], {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
    });
    expect(run.error).toBeUndefined();
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stderr).toMatch(/^OK$/m);
  });
});
