import { describe, expect, it } from 'vitest';
import { cellStatus, planTasks } from './cells.ts';
import { exampleNotebook, fallbackExamplePrompt } from './example-notebook.ts';
import { fallbackDefaults } from './model-defaults.ts';
import { parseNotebookDoc } from './notebook-schema.ts';

describe('example notebook', () => {
  it('is a valid notebook whose cells can all run, at the model defaults, with the model example prompt', () => {
    let n = 0;
    const defaults = { ...fallbackDefaults, examplePrompts: ['a green triangle', 'a red circle'] };
    const doc = exampleNotebook(defaults, () => `c_${n++}`);
    expect(parseNotebookDoc(JSON.parse(JSON.stringify(doc)))).toMatchObject({ ok: true });
    expect(doc.cells.map((c) => c.kind)).toEqual(['note', 'prompt', 'upscale', 'sweep']);
    for (const c of doc.cells.slice(1)) {
      expect(cellStatus(doc, c.id)).toEqual({ status: 'never-run' });
      expect(planTasks(doc, c.id).ok).toBe(true);
    }
    expect(doc.cells[1]).toMatchObject({ prompt: 'a green triangle', ...defaults.base });
    expect(doc.cells[3]).toMatchObject({ prompt: 'a red circle' });
    expect(exampleNotebook(fallbackDefaults, () => `d_${n++}`).cells[1]).toMatchObject({ prompt: fallbackExamplePrompt });
  });
});
