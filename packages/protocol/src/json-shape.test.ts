import { describe, expect, it } from 'vitest';
import { measureJsonShape } from './json-shape.ts';

const limits = { maxDepth: 3, maxNodes: 10 };

describe('measureJsonShape', () => {
  it('counts containers on the deepest path and every value', () => {
    expect(measureJsonShape(7, limits)).toEqual({ ok: true, depth: 0, nodes: 1 });
    expect(measureJsonShape({ a: [1, { b: null }], c: 'x' }, limits)).toEqual({ ok: true, depth: 3, nodes: 6 });
  });

  it('names the limit it passes first', () => {
    expect(measureJsonShape([[[[]]]], limits)).toMatchObject({ ok: false, limit: 'depth' });
    expect(measureJsonShape(Array.from({ length: 10 }, () => 0), limits)).toMatchObject({ ok: false, limit: 'nodes' });
    expect(measureJsonShape(Array.from({ length: 9 }, () => 0), limits)).toMatchObject({ ok: true, nodes: 10 });
  });

  it('walks a 1,000,000-deep array without recursion, stopping at the depth limit', () => {
    let deep: unknown = [];
    for (let i = 0; i < 1_000_000; i++) deep = [deep];
    const t0 = performance.now();
    expect(measureJsonShape(deep, { maxDepth: 32, maxNodes: 100_000 })).toMatchObject({ ok: false, limit: 'depth' });
    expect(performance.now() - t0).toBeLessThan(50);
  });
});
