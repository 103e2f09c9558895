import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseVerdicts } from './compare-verdicts.ts';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;
const evalTs = join(root, 'models/eval/eval.ts');

describe('npm run eval (ShapesBench command) on the fixture cascade', () => {
  it('judges every case × seed and prints per-category accuracy and SR PSNR as JSON on the last line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eval-'));
    const cases = readFileSync(join(root, 'models/eval/dev.jsonl'), 'utf8').split('\n').filter((l) => /"category": "(single|count)"/.test(l));
    const prompts = join(dir, 'cases.jsonl');
    writeFileSync(prompts, `${cases[0]}\n${cases.at(-1)}\n`);
    const sheet = join(dir, 'sheet.png');
    const verdictsFile = join(dir, 'verdicts.jsonl');
    const { stdout } = await run(
      process.execPath,
      [evalTs, '--model', 'models/fixtures/tiny', '--prompts', prompts, '--seeds', '2', '--steps', '2', '--sr-cases', '1', '--sheet', sheet, '--verdicts', verdictsFile, '--json'],
      { cwd: root },
    );
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, number>;
    expect(Object.keys(result).sort()).toEqual(['count', 'overall', 'psnr1024', 'psnr256', 'single']);
    for (const k of ['count', 'overall', 'single']) {
      expect(result[k]).toBeGreaterThanOrEqual(0);
      expect(result[k]).toBeLessThanOrEqual(1);
    }
    expect(Number.isFinite(result.psnr256)).toBe(true);
    expect(existsSync(sheet)).toBe(true);
    // one verdict per case × seed, and they add up to the reported accuracy; a failure says why
    const verdicts = parseVerdicts(readFileSync(verdictsFile, 'utf8'), verdictsFile);
    expect(verdicts.map((v) => [v.category, v.seed])).toEqual([['single', 0], ['single', 1], ['count', 0], ['count', 1]]);
    expect(verdicts.filter((v) => v.pass).length / 4).toBeCloseTo(result.overall!, 3);
    for (const v of verdicts) expect(v.pass ? v.reason === '' : v.reason.length > 0).toBe(true);
  });

  it('rejects bad arguments with one line naming the flag', async () => {
    const err = (await run(process.execPath, [evalTs, '--seeds', '0'], { cwd: root }).catch((e: unknown) => e)) as { code: number; stderr: string };
    expect(err.code).toBe(2);
    expect(err.stderr).toMatch(/--seeds must be an integer in 1\.\.64/);
    expect(err.stderr).not.toMatch(/\n\s+at /);
  });
});
