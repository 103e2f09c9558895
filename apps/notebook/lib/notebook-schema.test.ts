import { describe, expect, it } from 'vitest';
import type { NotebookDoc, PromptCell } from './cell-types.ts';
import { createCell, createNotebookDoc } from './cell-types.ts';
import { exportNotebook, importNotebook, parseNotebookDoc } from './notebook-schema.ts';

function sample(): NotebookDoc {
  const p = { ...(createCell('prompt', 'p', 3) as PromptCell), prompt: 'fox' };
  return { ...createNotebookDoc('Foxes'), cells: [p, createCell('upscale', 'u', 4), createCell('sweep', 's', 5), { id: 'n', kind: 'note', markdown: '# hi' }] };
}

describe('notebook import/export', () => {
  it('round-trips every cell kind', () => {
    const doc = sample();
    const text = exportNotebook(doc, '2025-01-01T00:00:00Z');
    expect(JSON.parse(text)).toMatchObject({ format: 'imagen-ts-notebook', exportedAt: '2025-01-01T00:00:00Z' });
    expect(importNotebook(text)).toEqual({ ok: true, doc });
    expect(importNotebook(JSON.stringify(doc))).toEqual({ ok: true, doc });
  });

  it('loads a saved draft whose fields are out of range: the cell reports them, the notebook still opens', () => {
    const doc = sample();
    const draft = { ...doc, cells: [{ ...doc.cells[0], steps: 5000, n: 0, prompt: 'x'.repeat(3000) }, ...doc.cells.slice(1)] };
    expect(parseNotebookDoc(JSON.parse(JSON.stringify(draft)))).toEqual({ ok: true, doc: draft });
  });

  it('rejects bad documents naming the field', () => {
    const doc = sample();
    const bad = { ...doc, cells: [{ ...doc.cells[0], steps: 'ten' }] };
    const r = importNotebook(JSON.stringify(bad));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/^cells\.0\.steps: /);
    expect(importNotebook('{nope')).toMatchObject({ ok: false, error: expect.stringMatching(/^not JSON/) as string });
    expect(importNotebook(JSON.stringify({ format: 'other', notebook: doc }))).toEqual({ ok: false, error: 'format: expected "imagen-ts-notebook", got "other"' });
    const dup = { ...doc, cells: [doc.cells[0], doc.cells[0]] };
    expect(parseNotebookDoc(dup)).toEqual({ ok: false, error: 'cells: cell ids must be unique' });
  });
});
