// Runs a Python unittest module of models/ under vitest, so `npm test` covers the Python parts
// (world generator, training feed). Skips, saying why, where Debian's python3 lacks the imports.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const python = '/usr/bin/python3';

export function describePythonUnittest(title: string, module: string, imports: readonly string[]): void {
  const available = spawnSync(python, ['-c', `import ${imports.join(', ')}`], { encoding: 'utf8' }).status === 0;
  const skipReason = `SKIPPED: ${python} cannot import ${imports.join(', ')}, so ${module} cannot run`;
  if (!available) console.warn(skipReason);
  describe(title, () => {
    it.skipIf(!available)(available ? `passes python3 -m unittest ${module}` : skipReason, () => {
      const run = spawnSync(python, ['-m', 'unittest', module], {
        cwd: repoRoot,
        encoding: 'utf8',
        timeout: 120_000,
        env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
      });
      expect(run.error).toBeUndefined();
      expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
      expect(run.stderr).toMatch(/^OK$/m);
    }, 150_000); // the child has its own 120 s limit; vitest's default would cut a loaded machine's run short
  });
}
