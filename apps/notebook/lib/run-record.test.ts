import { describe, expect, it } from 'vitest';
import type { NotebookDoc, OutputImage, PromptCell } from './cell-types.ts';
import { createCell, createNotebookDoc } from './cell-types.ts';
import { planTasks } from './cells.ts';
import { cachedImages, markMatches, pruneCache, recordRun, rollSeed } from './run-record.ts';

const img = (index: number, sha: string, taskHash = 't'): OutputImage => ({ imageId: `i${index}`, sha256: sha.repeat(64), seed: index, width: 64, height: 64, taskHash, index, params: { kind: 'generate' as const, prompt: 'x', negativePrompt: '', steps: 50, sampler: 'ddim' as const, guidance: 7 } });

function docWith(patch: Partial<PromptCell> = {}): NotebookDoc {
  return { ...createNotebookDoc('t'), cells: [{ ...(createCell('prompt', 'a', 42) as PromptCell), prompt: 'fox', n: 2, ...patch }] };
}

describe('recordRun and the cache', () => {
  it('fills the cache from tasks that ran, so the same inputs later cost nothing', () => {
    const d = docWith();
    const plan = planTasks(d, 'a');
    if (!plan.ok) throw new Error('invalid');
    const task = plan.tasks[0]!;
    expect(cachedImages(d, task)).toBeUndefined();
    const images = [img(0, 'a', task.hash), img(1, 'b', task.hash)];
    const after = recordRun(d, 'a', plan, [{ task, images, fromCache: false }], 'now');
    expect(cachedImages(after, task)).toEqual(images);
    const cell = after.cells[0] as PromptCell;
    expect(cell.run).toMatchObject({ inputHash: plan.inputHash, ownHash: plan.ownHash, taskHashes: [task.hash], fromCache: false, ranAt: 'now' });
    expect(cell.run?.images).toEqual(images);
    // a second, cached run is recorded as costing nothing and leaves the cache alone
    const again = recordRun(after, 'a', plan, [{ task, images, fromCache: true }], 'later');
    expect((again.cells[0] as PromptCell).run?.fromCache).toBe(true);
    expect(again.cache[task.hash]).toBe(after.cache[task.hash]);
  });

  it('ignores an incomplete cache entry', () => {
    const d = docWith({ n: 3 });
    const plan = planTasks(d, 'a');
    if (!plan.ok) throw new Error('invalid');
    const task = plan.tasks[0]!;
    expect(cachedImages({ ...d, cache: { [task.hash]: [img(0, 'a')] } }, task)).toBeUndefined();
  });
});

describe('markMatches', () => {
  it('compares each image with the stored one of the same index', () => {
    const before = [img(0, 'a'), img(1, 'b')];
    const fresh = [img(0, 'a'), { ...img(1, 'c'), match: 'matched' as const }, img(2, 'd')];
    expect(markMatches(before, fresh).map((i) => i.match)).toEqual(['matched', 'differs', undefined]);
    expect(markMatches(undefined, fresh).map((i) => i.match)).toEqual([undefined, undefined, undefined]);
  });
});

describe('rollSeed', () => {
  const rng = () => 0.5;
  it('draws a new seed only for random-seed cells run on their own', () => {
    expect((rollSeed(docWith({ seedMode: 'random' }), 'a', true, rng).cells[0] as PromptCell).seed).toBe(0x8000_0000);
    expect((rollSeed(docWith({ seedMode: 'random' }), 'a', false, rng).cells[0] as PromptCell).seed).toBe(42);
    expect((rollSeed(docWith({ seedMode: 'locked' }), 'a', true, rng).cells[0] as PromptCell).seed).toBe(42);
  });
});

describe('pruneCache', () => {
  it('drops the oldest unused entries and keeps what current runs use', () => {
    const d = docWith();
    const plan = planTasks(d, 'a');
    if (!plan.ok) throw new Error('invalid');
    const task = plan.tasks[0]!;
    let withRun = recordRun({ ...d, cache: { old1: [], old2: [] } }, 'a', plan, [{ task, images: [img(0, 'a'), img(1, 'b')], fromCache: false }], 'now');
    withRun = { ...withRun, cache: { [task.hash]: withRun.cache[task.hash]!, old1: [], old2: [], old3: [] } };
    expect(Object.keys(pruneCache(withRun, 2).cache)).toEqual([task.hash, 'old3']);
    expect(pruneCache(withRun, 10)).toBe(withRun);
  });
});
