import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { NotebookDoc, OutputImage, PromptCell, SweepCell, UpscaleCell } from './cell-types.ts';
import { createCell, createNotebookDoc } from './cell-types.ts';
import type { Task } from './cells.ts';
import { ancestors, cellStatus, descendants, planRun, planTasks, runAllPlan, validateCell } from './cells.ts';
import { canonicalJson, hashValue } from './hash.ts';
import { recordRun } from './run-record.ts';

function prompt(id: string, patch: Partial<PromptCell> = {}): PromptCell {
  return { ...(createCell('prompt', id, 42) as PromptCell), prompt: 'a red fox', n: 2, guidance: 7, ...patch };
}
function upscale(id: string, source: UpscaleCell['source'], patch: Partial<UpscaleCell> = {}): UpscaleCell {
  return { ...(createCell('upscale', id, 7) as UpscaleCell), source, ...patch };
}
function sweep(id: string, patch: Partial<SweepCell> = {}): SweepCell {
  return { ...(createCell('sweep', id, 1) as SweepCell), prompt: 'a red fox', ...patch };
}
function doc(...cells: NotebookDoc['cells']): NotebookDoc {
  return { ...createNotebookDoc('t'), cells };
}
function fakeImages(task: Task, size: number): OutputImage[] {
  const n = task.kind === 'generate' ? task.input.n : 1;
  return Array.from({ length: n }, (_, index) => ({
    imageId: `img_${task.hash.slice(0, 6)}_${index}`,
    sha256: hashValue({ sha: task.hash, index }),
    seed: task.input.seed + index,
    width: size,
    height: size,
    taskHash: task.hash,
    index,
    params: { kind: 'generate' as const, prompt: 'x', negativePrompt: '', steps: 50, sampler: 'ddim' as const, guidance: 7 },
  }));
}
/** Runs a cell against a fake backend whose images depend only on the task. */
function run(d: NotebookDoc, id: string): NotebookDoc {
  const plan = planTasks(d, id);
  if (!plan.ok) throw new Error(plan.errors.map((e) => e.message).join('; '));
  const size = d.cells.find((c) => c.id === id)?.kind === 'upscale' ? (d.cells.find((c) => c.id === id) as UpscaleCell).size : 64;
  return recordRun(d, id, plan, plan.tasks.map((task) => ({ task, images: fakeImages(task, size), fromCache: false })), '2025-01-01T00:00:00Z');
}
function edit<T extends NotebookDoc['cells'][number]>(d: NotebookDoc, id: string, patch: Partial<T>): NotebookDoc {
  return { ...d, cells: d.cells.map((c) => (c.id === id ? { ...c, ...patch } : c)) };
}
function hashOf(d: NotebookDoc, id: string): string {
  const p = planTasks(d, id);
  if (!p.ok) throw new Error('invalid');
  return p.inputHash;
}

describe('input hashing', () => {
  it('is SHA-256 of canonical JSON, independent of key order and undefined members', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], c: undefined })).toBe('{"a":[true,null,"x"],"b":1}');
    expect(hashValue({ a: 1 })).toBe(createHash('sha256').update('{"a":1}').digest('hex'));
    expect(hashValue({ a: 1, b: 2 })).toBe(hashValue({ b: 2, a: 1 }));
    expect(hashValue({ a: 1 })).not.toBe(hashValue({ a: '1' }));
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(/non-finite/);
  });

  it('covers every generation input and nothing else', () => {
    const base = doc(prompt('a'));
    const h = hashOf(base, 'a');
    for (const patch of [{ prompt: 'a blue fox' }, { negativePrompt: 'blurry' }, { seed: 43 }, { n: 3 }, { steps: 49 }, { sampler: 'ddpm' as const }, { guidance: 7.5 }]) {
      expect(hashOf(edit<PromptCell>(base, 'a', patch), 'a'), JSON.stringify(patch)).not.toBe(h);
    }
    // locking the seed and the cell's identity do not change what it makes
    expect(hashOf(edit<PromptCell>(base, 'a', { seedMode: 'random' }), 'a')).toBe(h);
    const twin = doc(prompt('a'), prompt('b'));
    const ta = planTasks(twin, 'a');
    const tb = planTasks(twin, 'b');
    expect(ta.ok && tb.ok && ta.tasks[0]!.hash === tb.tasks[0]!.hash).toBe(true);
  });

  it('gives a sweep one n=1 task per (seed, value), row-major, sharing hashes with prompt cells', () => {
    const d = doc(sweep('s', { seeds: [5, 6], axis: 'steps', values: [10, 20, 30], guidance: 3 }), prompt('p', { seed: 6, n: 1, steps: 20, guidance: 3 }));
    const s = planTasks(d, 's');
    const p = planTasks(d, 'p');
    if (!s.ok || !p.ok) throw new Error('invalid');
    expect(s.tasks.map((t) => (t.kind === 'generate' ? [t.input.seed, t.input.steps, t.input.n] : null))).toEqual([
      [5, 10, 1], [5, 20, 1], [5, 30, 1], [6, 10, 1], [6, 20, 1], [6, 30, 1],
    ]);
    expect(s.tasks[4]!.hash).toBe(p.tasks[0]!.hash);
  });

  it("puts the source task's hash into an upscale's hash", () => {
    const d = doc(prompt('p'), upscale('u', { cellId: 'p', index: 1 }));
    const h = hashOf(d, 'u');
    expect(hashOf(edit<PromptCell>(d, 'p', { prompt: 'a grey wolf' }), 'u')).not.toBe(h);
    expect(hashOf(edit<UpscaleCell>(d, 'u', { source: { cellId: 'p', index: 0 } }), 'u')).not.toBe(h);
    expect(hashOf(edit<UpscaleCell>(d, 'u', { noiseAugmentation: 250 }), 'u')).not.toBe(h);
    // a note inserted above changes nothing
    expect(hashOf({ ...d, cells: [createCell('note', 'n', 0), ...d.cells] }, 'u')).toBe(h);
  });
});

describe('validation', () => {
  it('names the field and the allowed range', () => {
    const errors = validateCell(doc(), prompt('a', { prompt: ' ', n: 0, seed: -1, steps: 1.5, guidance: 51 }));
    expect(errors.map((e) => e.field).sort()).toEqual(['guidance', 'n', 'prompt', 'seed', 'steps']);
    expect(errors.find((e) => e.field === 'n')?.message).toBe('n must be an integer in [1, 8], got 0');
  });

  it('requires an upscale source that exists, comes earlier and has the right resolution', () => {
    const msg = (d: NotebookDoc, id: string) => validateCell(d, d.cells.find((c) => c.id === id)!).map((e) => e.message).join();
    expect(msg(doc(upscale('u', null)), 'u')).toMatch(/choose an image/);
    expect(msg(doc(upscale('u', { cellId: 'p', index: 0 }), prompt('p')), 'u')).toMatch(/earlier cell/);
    expect(msg(doc(prompt('p'), upscale('u', { cellId: 'gone', index: 0 })), 'u')).toMatch(/no longer exists/);
    expect(msg(doc(prompt('p', { n: 2 }), upscale('u', { cellId: 'p', index: 2 })), 'u')).toMatch(/has 2 image\(s\); image 3 does not exist/);
    expect(msg(doc(prompt('p'), upscale('u', { cellId: 'p', index: 0 }, { size: 1024 })), 'u')).toMatch(/1024×1024 upscale needs a 256×256 image; the source cell makes 64×64/);
    const chain = doc(prompt('p'), upscale('u', { cellId: 'p', index: 0 }), upscale('x', { cellId: 'u', index: 0 }, { size: 1024 }));
    expect(msg(chain, 'x')).toBe('');
    expect(msg(doc(prompt('p'), upscale('u', { cellId: 'p', index: 0 }), upscale('x', { cellId: 'u', index: 0 }, { size: 256 })), 'x')).toMatch(/needs a 64×64/);
  });

  it('bounds sweep grids', () => {
    const big = sweep('s', { seeds: Array.from({ length: 9 }, (_, i) => i), values: [1, 2, 3, 4, 5, 6, 7, 8] });
    expect(validateCell(doc(big), big).map((e) => e.message)).toContain('a sweep may have at most 64 points, this one has 72');
    const steps = sweep('s', { axis: 'steps', values: [10, 2.5] });
    expect(validateCell(doc(steps), steps).map((e) => e.field)).toEqual(['values[1]']);
  });
});

describe('staleness', () => {
  it('goes never-run → fresh → stale(inputs) → fresh when the edit is undone', () => {
    let d = doc(prompt('a'));
    expect(cellStatus(d, 'a')).toEqual({ status: 'never-run' });
    d = run(d, 'a');
    expect(cellStatus(d, 'a')).toEqual({ status: 'fresh' });
    const edited = edit<PromptCell>(d, 'a', { guidance: 9 });
    expect(cellStatus(edited, 'a')).toEqual({ status: 'stale', reason: 'inputs' });
    expect(cellStatus(edit<PromptCell>(edited, 'a', { guidance: 7 }), 'a')).toEqual({ status: 'fresh' });
  });

  it('propagates a parent change down a 64 → 256 → 1024 chain as "source"', () => {
    let d = doc(prompt('p'), upscale('u', { cellId: 'p', index: 0 }), upscale('x', { cellId: 'u', index: 0 }, { size: 1024 }));
    for (const id of ['p', 'u', 'x']) d = run(d, id);
    expect(['p', 'u', 'x'].map((id) => cellStatus(d, id).status)).toEqual(['fresh', 'fresh', 'fresh']);
    const changed = edit<PromptCell>(d, 'p', { seed: 1 });
    expect(cellStatus(changed, 'p')).toEqual({ status: 'stale', reason: 'inputs' });
    expect(cellStatus(changed, 'u')).toEqual({ status: 'stale', reason: 'source' });
    expect(cellStatus(changed, 'x')).toEqual({ status: 'stale', reason: 'source' });
    // editing the middle leaves the top fresh
    const mid = edit<UpscaleCell>(d, 'u', { seed: 99 });
    expect(['p', 'u', 'x'].map((id) => cellStatus(mid, id))).toEqual([{ status: 'fresh' }, { status: 'stale', reason: 'inputs' }, { status: 'stale', reason: 'source' }]);
  });

  it('marks an upscale stale when its source image was replaced by a different one', () => {
    let d = doc(prompt('p'), upscale('u', { cellId: 'p', index: 0 }));
    d = run(run(d, 'p'), 'u');
    const plan = planTasks(d, 'p');
    if (!plan.ok) throw new Error('invalid');
    const key = plan.tasks[0]!.hash;
    const replaced = d.cache[key]!.map((img) => ({ ...img, sha256: 'f'.repeat(64) }));
    expect(cellStatus({ ...d, cache: { ...d.cache, [key]: replaced } }, 'u')).toEqual({ status: 'stale', reason: 'source' });
  });

  it('reports invalid cells with their errors, even after a run', () => {
    const d = edit<PromptCell>(run(doc(prompt('a')), 'a'), 'a', { prompt: '' });
    expect(cellStatus(d, 'a')).toEqual({ status: 'invalid', errors: [{ field: 'prompt', message: 'prompt must not be empty' }] });
    expect(cellStatus(d, 'nope')).toEqual({ status: 'note' });
  });
});

describe('lineage and run plans', () => {
  const chain = () => doc(prompt('p'), createCell('note', 'n', 0), prompt('q'), upscale('u', { cellId: 'p', index: 0 }), upscale('x', { cellId: 'u', index: 0 }, { size: 1024 }));

  it('walks source chains both ways', () => {
    const d = chain();
    expect(ancestors(d, 'x')).toEqual(['p', 'u']);
    expect(ancestors(d, 'q')).toEqual([]);
    expect(descendants(d, 'p')).toEqual(['u', 'x']);
    expect(descendants(d, 'q')).toEqual([]);
  });

  it('survives a cyclic (malformed) document', () => {
    const d = doc(upscale('a', { cellId: 'b', index: 0 }), upscale('b', { cellId: 'a', index: 0 }));
    expect(ancestors(d, 'a')).toEqual(['b']);
    expect(cellStatus(d, 'a').status).toBe('invalid');
  });

  it('runs not-fresh ancestors first, in notebook order, and skips fresh ones', () => {
    let d = chain();
    expect(planRun(d, ['x'])).toEqual(['p', 'u', 'x']);
    d = run(d, 'p');
    expect(planRun(d, ['x'])).toEqual(['u', 'x']);
    expect(planRun(d, ['x', 'q', 'n'])).toEqual(['q', 'u', 'x']);
    expect(runAllPlan(d)).toEqual(['p', 'q', 'u', 'x']);
  });
});
