// The example notebook the home page offers: a note that says what to do, a
// prompt cell with one of the model's own example prompts, a 256 upscale of its
// first image and a small guidance sweep, all at the model's defaults and not
// yet run (opening it costs nothing; Run all makes the images).
import type { NoteCell, NotebookDoc, PromptCell, SweepCell, UpscaleCell } from './cell-types.ts';
import { createCell, createNotebookDoc } from './cell-types.ts';
import type { ModelDefaults } from './model-defaults.ts';

/** A prompt from the embedded model's world, for a model that lists no examples. */
export const fallbackExamplePrompt = 'two red circles above a blue square';

export function exampleNotebook(defaults: ModelDefaults, newId: () => string, seed = 1234): NotebookDoc {
  const prompt = defaults.examplePrompts[0] ?? fallbackExamplePrompt;
  const note: NoteCell = {
    id: newId(),
    kind: 'note',
    markdown:
      '## An example\nA prompt cell makes 64×64 images; the upscale cell raises the first one to 256×256; the sweep shows the prompt across seeds and guidance values. ' +
      'Press **Run all** (or Shift+Enter in a cell). Every image can be opened, downloaded, and recreated later from its PNG.',
  };
  const p = { ...(createCell('prompt', newId(), seed, defaults) as PromptCell), prompt, n: 2 };
  const up: UpscaleCell = { ...(createCell('upscale', newId(), seed + 100, defaults) as UpscaleCell), source: { cellId: p.id, index: 0 } };
  const sweepPrompt = defaults.examplePrompts[1] ?? prompt;
  const sw = { ...(createCell('sweep', newId(), seed, defaults) as SweepCell), prompt: sweepPrompt };
  return { ...createNotebookDoc('Example: shapes'), cells: [note, p, up, sw] };
}
