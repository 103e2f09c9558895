import { describe, expect, it } from 'vitest';
import { createWorkspace } from './workspace.ts';

describe('workspace', () => {
  it('hands out views of one buffer per slot, growing it when a longer one is asked for', () => {
    const ws = createWorkspace();
    const a = ws.f32('x', 10);
    a.fill(7);
    const b = ws.f32('x', 4);
    expect(b.length).toBe(4);
    expect(b.buffer).toBe(a.buffer);
    // stale contents: the caller overwrites what it reads
    expect([...b]).toEqual([7, 7, 7, 7]);
    const c = ws.f32('x', 20);
    expect(c.length).toBe(20);
    expect(c.buffer).not.toBe(a.buffer);
    expect(ws.f32('y', 5).buffer).not.toBe(c.buffer);
    expect(ws.bytes).toBe(4 * (20 + 5));
    ws.clear();
    expect(ws.bytes).toBe(0);
    expect(ws.f32('x', 3).buffer).not.toBe(c.buffer);
  });

  it('past its byte budget hands out fresh arrays and keeps what it holds', () => {
    const ws = createWorkspace(64);
    const held = ws.f32('x', 10);
    const big = ws.f32('y', 100);
    expect(big.length).toBe(100);
    expect(ws.f32('y', 100).buffer).not.toBe(big.buffer);
    expect(ws.f32('x', 10).buffer).toBe(held.buffer);
    expect(ws.bytes).toBe(40);
    expect(() => ws.f32('x', -1)).toThrow(/length must be a non-negative integer/);
  });
});
