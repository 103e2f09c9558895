import { describe, expect, it } from 'vitest';
import type { NotebookDoc, PromptCell } from './cell-types.ts';
import { createCell, createNotebookDoc } from './cell-types.ts';
import { cellStatus, planTasks } from './cells.ts';
import { notebookReducer } from './notebook-reducer.ts';

const ids = (d: NotebookDoc) => d.cells.map((c) => c.id);

describe('notebookReducer', () => {
  it('adds cells at the end, at the top and after a cell; moves and removes them', () => {
    let d = createNotebookDoc('t');
    d = notebookReducer(d, { type: 'addCells', cells: [createCell('prompt', 'a', 1)] });
    d = notebookReducer(d, { type: 'addCells', cells: [createCell('note', 'b', 0)] });
    d = notebookReducer(d, { type: 'addCells', cells: [createCell('note', 'top', 0)], after: null });
    d = notebookReducer(d, { type: 'addCells', cells: [createCell('upscale', 'c', 2), createCell('sweep', 'd', 3)], after: 'a' });
    expect(ids(d)).toEqual(['top', 'a', 'c', 'd', 'b']);
    d = notebookReducer(d, { type: 'moveCell', id: 'b', delta: -1 });
    expect(ids(d)).toEqual(['top', 'a', 'c', 'b', 'd']);
    expect(notebookReducer(d, { type: 'moveCell', id: 'top', delta: -1 })).toBe(d);
    d = notebookReducer(d, { type: 'removeCell', id: 'c' });
    expect(ids(d)).toEqual(['top', 'a', 'b', 'd']);
    d = notebookReducer(d, { type: 'addCells', cells: [createCell('note', 'e', 0)], after: 'missing' });
    expect(ids(d)).toEqual(['top', 'a', 'b', 'd', 'e']);
  });

  it('records a run, then an edit makes the cell stale', () => {
    let d = notebookReducer(createNotebookDoc('t'), { type: 'addCells', cells: [{ ...(createCell('prompt', 'a', 1) as PromptCell), prompt: 'x', n: 1 }] });
    const plan = planTasks(d, 'a');
    if (!plan.ok) throw new Error('invalid');
    const task = plan.tasks[0]!;
    const image = { imageId: 'i', sha256: '0'.repeat(64), seed: 1, width: 64, height: 64, taskHash: task.hash, index: 0, params: { kind: 'generate' as const, prompt: 'x', negativePrompt: '', steps: 50, sampler: 'ddim' as const, guidance: 7 } };
    d = notebookReducer(d, { type: 'recordRun', cellId: 'a', plan, results: [{ task, images: [image], fromCache: false }], ranAt: 'now' });
    expect(cellStatus(d, 'a')).toEqual({ status: 'fresh' });
    expect(d.cache[task.hash]).toEqual([image]);
    d = notebookReducer(d, { type: 'updateCell', id: 'a', patch: { prompt: 'y' } });
    expect(cellStatus(d, 'a')).toEqual({ status: 'stale', reason: 'inputs' });
    const cachedOnly = notebookReducer(createNotebookDoc('t'), { type: 'cacheResults', results: [{ task, images: [image], fromCache: false }] });
    expect(cachedOnly.cache).toEqual({ [task.hash]: [image] });
  });
});
