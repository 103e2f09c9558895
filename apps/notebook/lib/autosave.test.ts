import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SaveState } from './autosave.ts';
import { createAutosaver } from './autosave.ts';
import { createEdgeClient } from './edge-client.ts';
import { createFakeEdge } from './testing/fake-edge.ts';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

async function setup() {
  const edge = createFakeEdge();
  const tab1 = createEdgeClient({ baseUrl: 'http://e', apiKey: 'test-key', fetch: edge.fetch });
  const tab2 = createEdgeClient({ baseUrl: 'http://e', apiKey: 'test-key', fetch: edge.fetch });
  const created = await tab1.createNotebook('nb', { n: 0 });
  const states: SaveState[] = [];
  const saver = createAutosaver<{ n: number }>({
    etag: created.etag,
    save: (doc, etag) => tab1.saveNotebook(created.value.id, 'nb', doc, etag),
    onState: (s) => states.push(s),
    delayMs: 500,
  });
  const puts = () => edge.calls.filter((c) => c.startsWith('PUT')).length;
  const v = (n: number) => `"${created.value.id}.v${n}"`;
  return { edge, tab2, id: created.value.id, saver, states, puts, v };
}

describe('autosave', () => {
  it('debounces edits into one PUT with If-Match and tracks the new ETag', async () => {
    const { edge, id, saver, states, puts, v } = await setup();
    saver.change({ n: 1 });
    saver.change({ n: 2 });
    expect(saver.state().status).toBe('dirty');
    await vi.advanceTimersByTimeAsync(499);
    expect(puts()).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    await saver.flush();
    expect(puts()).toBe(1);
    expect(edge.notebooks.get(id)?.content).toEqual({ n: 2 });
    expect(saver.state()).toEqual({ status: 'saved', etag: v(2) });
    expect(states.map((s) => s.status)).toEqual(['dirty', 'dirty', 'saving', 'saved']);
  });

  it('saves edits made during a save right after it', async () => {
    const { edge, id, saver, puts, v } = await setup();
    saver.change({ n: 1 });
    await vi.advanceTimersByTimeAsync(500);
    saver.change({ n: 2 });
    await vi.runAllTimersAsync();
    await saver.flush();
    expect(puts()).toBe(2);
    expect(edge.notebooks.get(id)?.content).toEqual({ n: 2 });
    expect(saver.state()).toEqual({ status: 'saved', etag: v(3) });
  });

  it("stops on another tab's save and never overwrites it until told to", async () => {
    const { edge, tab2, id, saver, puts, v } = await setup();
    const other = await tab2.getNotebook(id);
    await tab2.saveNotebook(id, 'nb', { n: 100 }, other.etag);
    saver.change({ n: 1 });
    await vi.runAllTimersAsync();
    expect(saver.state()).toEqual({ status: 'conflict', etag: v(1), error: `If-Match ${v(1)} is stale: the notebook is at ${v(2)}; reload it and apply your change again` });
    saver.change({ n: 2 });
    await vi.runAllTimersAsync();
    await saver.flush();
    expect(puts()).toBe(2); // tab2's and our one refused attempt
    expect(edge.notebooks.get(id)?.content).toEqual({ n: 100 });

    // "keep mine": adopt the current ETag, and the unsaved edit goes out
    saver.adopt((await tab2.getNotebook(id)).etag);
    await vi.runAllTimersAsync();
    await saver.flush();
    expect(edge.notebooks.get(id)?.content).toEqual({ n: 2 });
    expect(saver.state().status).toBe('saved');
  });

  it('"load theirs" adopts their version with nothing to save', async () => {
    const { tab2, id, saver, puts, v } = await setup();
    const other = await tab2.getNotebook(id);
    await tab2.saveNotebook(id, 'nb', { n: 100 }, other.etag);
    saver.change({ n: 1 });
    await vi.runAllTimersAsync();
    const theirs = await tab2.getNotebook(id);
    saver.adopt(theirs.etag, theirs.value.content as { n: number });
    await vi.runAllTimersAsync();
    expect(saver.state()).toEqual({ status: 'saved', etag: v(2) });
    expect(puts()).toBe(2);
  });

  it('reports other errors and retries', async () => {
    let fail = true;
    const saver = createAutosaver<number>({
      etag: 'e0',
      save: () => (fail ? Promise.reject(new Error('network down')) : Promise.resolve('e1')),
      onState: () => undefined,
      delayMs: 10,
      retryMs: 1000,
    });
    saver.change(1);
    await vi.advanceTimersByTimeAsync(10);
    expect(saver.state()).toEqual({ status: 'error', etag: 'e0', error: 'network down' });
    fail = false;
    await vi.advanceTimersByTimeAsync(1000);
    expect(saver.state()).toEqual({ status: 'saved', etag: 'e1' });
  });
});
