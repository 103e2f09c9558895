import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCases, type Case } from './case.ts';
import { judge, placeHolds, relationHolds, sizeOf, type Detected } from './judge.ts';
import { mutate, mutations } from './mutate.ts';

const root = new URL('../../../', import.meta.url).pathname;
const cases = parseCases(readFileSync(join(root, 'models/eval/dev.jsonl'), 'utf8'));
const byId = new Map(cases.map((c) => [c.id, c]));

function readRgb(file: string) {
  const png = decode(readFileSync(file));
  const data = new Uint8Array(png.width * png.height * 3);
  for (let i = 0; i < png.width * png.height; i++) for (let c = 0; c < 3; c++) data[i * 3 + c] = png.data[i * png.channels + c]!;
  return { data, width: png.width, height: png.height };
}

describe('ShapesBench judge on ground-truth renders of the world', () => {
  let renders: { c: Case; seed: number; img: ReturnType<typeof readRgb> }[] = [];
  beforeAll(() => {
    const dir = mkdtempSync(join(tmpdir(), 'shapesbench-gt-'));
    execFileSync('/usr/bin/python3', ['-m', 'models.world.render_cases', '--prompts', 'models/eval/dev.jsonl', '--seeds', '2', '--size', '64', '--out', dir], { cwd: root });
    renders = readFileSync(join(dir, 'index.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; seed: number; file: string })
      .map((e) => ({ c: byId.get(e.id)!, seed: e.seed, img: readRgb(join(dir, e.file.split('/').pop()!)) }));
  });

  it('passes ≥ 98% of faithful renders, in every category', () => {
    expect(renders.length).toBe(cases.length * 2);
    const failed = renders.filter((r) => !judge(r.img, r.c.expect).pass).map((r) => `${r.c.id}/s${r.seed}: ${judge(r.img, r.c.expect).reason}`);
    expect(failed.length / renders.length, failed.join('\n')).toBeLessThanOrEqual(0.02);
    const categories = new Set(renders.map((r) => r.c.category));
    expect(categories.size).toBe(5);
  });

  it('fails ≥ 98% of renders paired with a wrong expectation', () => {
    let wronglyPassed = 0;
    const tried: string[] = [];
    renders.forEach((r, k) => {
      const ms = mutations(r.c.expect);
      const m = ms[k % ms.length]!;
      const v = judge(r.img, mutate(r.c.expect, m, k));
      if (v.pass) {
        wronglyPassed++;
        tried.push(`${r.c.id}/s${r.seed} ${m}`);
      }
    });
    expect(wronglyPassed / renders.length, tried.join('\n')).toBeLessThanOrEqual(0.02);
  });
});

describe('judge rules', () => {
  it('uses the geometry the world draws with (geometry.json is in sync with models/world)', () => {
    expect(execFileSync('/usr/bin/python3', ['-m', 'models.eval.export_geometry', '--check'], { cwd: root, encoding: 'utf8' })).toMatch(/up to date/);
  });
  const at = (cx: number, cy: number): Detected => ({ color: 'red', shape: 'circle', cx, cy, r: 0.09, iou: 1 });
  it('reads sizes by the world radius ranges', () => {
    expect([0.065, 0.11, 0.16].map(sizeOf)).toEqual(['small', 'medium', 'large']);
  });
  it('places by thirds of the image', () => {
    expect(placeHolds(at(0.1, 0.5), 'left')).toBe(true);
    expect(placeHolds(at(0.1, 0.5), 'right')).toBe(false);
    expect(placeHolds(at(0.5, 0.5), 'center')).toBe(true);
    expect(placeHolds(at(0.9, 0.9), 'bottom-right')).toBe(true);
    expect(placeHolds(at(0.9, 0.5), 'bottom-right')).toBe(false);
  });
  it('reads relations along their main axis', () => {
    expect(relationHolds(at(0.2, 0.5), 'left-of', at(0.8, 0.5))).toBe(true);
    expect(relationHolds(at(0.2, 0.5), 'right-of', at(0.8, 0.5))).toBe(false);
    expect(relationHolds(at(0.5, 0.2), 'above', at(0.5, 0.8))).toBe(true);
    expect(relationHolds(at(0.5, 0.2), 'left-of', at(0.55, 0.8))).toBe(false);
  });
  it('fails an empty image and names why', () => {
    const img = { data: new Uint8Array(64 * 64 * 3).fill(248), width: 64, height: 64 };
    const v = judge(img, { objects: [{ shape: 'circle', color: 'red', count: 1 }] });
    expect(v.pass).toBe(false);
    expect(v.reason).toMatch(/found 0 objects, expected 1/);
  });
  it('rejects malformed prompt files naming the line and field', () => {
    expect(() => parseCases('{"id":"x","category":"single","prompt":"p","expect":{"objects":[{"shape":"blob","color":"red"}]}}')).toThrow(/line 1: expect.objects.0.shape/);
    expect(() => parseCases('\n{oops')).toThrow(/line 2: not valid JSON/);
  });
});
