import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { compareVerdicts, failureCause, mcnemarExact, parseVerdicts, type Verdict } from './compare-verdicts.ts';

const v = (id: string, seed: number, pass: boolean, reason = pass ? '' : 'found 3 objects, expected 1', category = 'single'): Verdict => ({ id, category, seed, pass, reason });

describe('mcnemarExact', () => {
  it('matches the binomial tail by hand', () => {
    expect(mcnemarExact(0, 5)).toBeCloseTo(2 / 32, 12);
    expect(mcnemarExact(1, 9)).toBeCloseTo((2 * 11) / 1024, 12);
    expect(mcnemarExact(9, 1)).toBeCloseTo((2 * 11) / 1024, 12);
    expect(mcnemarExact(0, 0)).toBe(1);
    expect(mcnemarExact(7, 7)).toBe(1);
  });
  it('stays finite for large counts', () => {
    const p = mcnemarExact(400, 600);
    expect(p).toBeGreaterThan(0);
    expect(p).toBeLessThan(1e-8);
  });
});

describe('failureCause', () => {
  it('reduces each of the judge reasons to its cause', () => {
    expect(failureCause('found 3 objects, expected 1')).toBe('extra objects');
    expect(failureCause('found 0 objects, expected 2')).toBe('missing objects');
    expect(failureCause('background is gray, expected white')).toBe('background');
    expect(failureCause('object 1: color red, expected blue')).toBe('color');
    expect(failureCause('object 0: shape circle, expected letter-K')).toBe('shape');
    expect(failureCause('object 0: size small, expected large')).toBe('size');
    expect(failureCause('object 0: not top-left')).toBe('place');
    expect(failureCause('relation 0 above 1 does not hold')).toBe('relation');
    expect(failureCause('something new')).toBe('other');
  });
});

describe('compareVerdicts', () => {
  it('pairs images by case and seed, whatever the order', () => {
    const a = [v('s1', 0, true), v('s1', 1, false), v('b1', 0, false, 'object 0: color red, expected blue', 'binding'), v('b1', 1, true, '', 'binding')];
    const b = [v('b1', 1, true, '', 'binding'), v('b1', 0, true, '', 'binding'), v('s1', 1, true), v('s1', 0, false)];
    const c = compareVerdicts(a, b);
    expect(c.categories.map((x) => [x.category, x.images, x.accuracyA, x.accuracyB, x.onlyA, x.onlyB])).toEqual([
      ['single', 2, 0.5, 0.5, 1, 1],
      ['binding', 2, 0.5, 1, 0, 1],
    ]);
    expect(c.overall).toMatchObject({ images: 4, accuracyA: 0.5, accuracyB: 0.75, onlyA: 1, onlyB: 2 });
    expect(c.causesA).toEqual({ 'extra objects': 1, color: 1 });
    expect(c.causesB).toEqual({ 'extra objects': 1 });
  });
  it('refuses runs of different images', () => {
    expect(() => compareVerdicts([v('s1', 0, true)], [v('s1', 1, true)])).toThrow(/s1 seed 0 is in run A only/);
    expect(() => compareVerdicts([v('s1', 0, true)], [v('s1', 0, true), v('s2', 0, true)])).toThrow(/1 image\(s\) that run A does not/);
    expect(() => compareVerdicts([v('s1', 0, true)], [v('s1', 0, true, '', 'count')])).toThrow(/category single in A, count in B/);
  });
  it('names the line and field of a bad verdict file', () => {
    expect(() => parseVerdicts('{"id":"a","category":"single","seed":0,"pass":true,"reason":""}\n{"id":"a","seed":1}\n', 'x.jsonl')).toThrow(/x\.jsonl line 2: category/);
    expect(() => parseVerdicts('nope', 'y.jsonl')).toThrow(/y\.jsonl line 1: not JSON/);
  });
});

describe('npm run eval:compare', () => {
  const run = promisify(execFile);
  const cli = new URL('./compare.ts', import.meta.url).pathname;
  it('prints the table and, with --json, the comparison on the last line; bad input exits 2 with one line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'compare-'));
    const [fa, fb, fc] = ['a', 'b', 'c'].map((n) => join(dir, `${n}.jsonl`)) as [string, string, string];
    const lines = (vs: Verdict[]) => vs.map((x) => JSON.stringify(x)).join('\n');
    writeFileSync(fa, lines([v('s1', 0, false), v('s1', 1, false)]));
    writeFileSync(fb, lines([v('s1', 0, true), v('s1', 1, true)]));
    writeFileSync(fc, lines([v('s2', 0, true)]));
    const { stdout } = await run(process.execPath, [cli, fa, fb, '--json']);
    expect(stdout).toMatch(/single\s+2\s+0\.0%\s+100\.0%\s+0\s+2\s+0\.50/);
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toMatchObject({ overall: { onlyB: 2, p: 0.5 } });
    const err = (await run(process.execPath, [cli, fa, fc]).catch((e: unknown) => e)) as { code: number; stderr: string };
    expect(err.code).toBe(2);
    expect(err.stderr).toMatch(/^eval:compare: case s1 seed 0 is in run A only/);
  });
});
