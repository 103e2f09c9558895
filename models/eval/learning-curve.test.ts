import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { curveTable, parseCurve } from './learning-curve.ts';

const point = (over: object) =>
  JSON.stringify({ date: '2026-12-07', run: 'r', baseSteps: 1, imagesSeen: 16, machine: 'm', setting: 's', seeds: 4, accuracy: { overall: 0.5 }, ...over });

describe('learning curve', () => {
  it('parses the committed curve and renders every point, in order of images seen', () => {
    const points = parseCurve(readFileSync(new URL('../embedded/learning-curve.jsonl', import.meta.url), 'utf8'));
    expect(points.length).toBeGreaterThanOrEqual(5);
    const table = curveTable(points).split('\n');
    expect(table).toHaveLength(points.length + 2);
    const seen = table.slice(2).map((row) => Number(row.split('|')[1]!.trim().replaceAll(',', '')));
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
  });

  it('shows categories a point lacks as a dash, never as a number', () => {
    const [row] = curveTable(parseCurve(point({ accuracy: { single: 0.25, overall: 0.5 } }))).split('\n').slice(2);
    expect(row).toContain('| 25.0% | — | — | — | — | **50.0%** |');
  });

  it('names the line and field of a bad point', () => {
    expect(() => parseCurve(`${point({})}\n${point({ accuracy: { overall: 1.5 } })}`, 'c.jsonl')).toThrow(/c\.jsonl:2: accuracy\.overall/);
    expect(() => parseCurve('{', 'c.jsonl')).toThrow('c.jsonl:1: not JSON');
  });
});
