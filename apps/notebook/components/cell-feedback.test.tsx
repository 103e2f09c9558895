// @vitest-environment jsdom
// The model's defaults in new cells, "reset to model defaults", errors shown
// once and only after a field was touched, and the image viewer.
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ModelInfo } from '../lib/api-types.ts';
import { createNotebookDoc } from '../lib/cell-types.ts';
import { createEdgeClient } from '../lib/edge-client.ts';
import { createFakeEdge } from '../lib/testing/fake-edge.ts';
import { testModelInfo } from '../lib/testing/model-info.ts';
import { NotebookWorkspace } from './notebook-workspace.tsx';

beforeAll(() => {
  Element.prototype.scrollIntoView = () => undefined;
  // jsdom has no <dialog> methods
  HTMLDialogElement.prototype.showModal = function showModal(this: HTMLDialogElement) {
    this.setAttribute('open', '');
  };
  HTMLDialogElement.prototype.close = function close(this: HTMLDialogElement) {
    this.removeAttribute('open');
    this.dispatchEvent(new Event('close'));
  };
});
afterEach(cleanup);

const model: ModelInfo = testModelInfo({
  id: 'shapes-test',
  stages: [
    ['ddim', 25, 3, null],
    ['dpmpp-2m', 12, 1.5, 150],
    ['dpmpp-2m', 6, 1, 100],
  ],
  examplePrompts: ['a green star on a white background'],
});

async function open() {
  const edge = createFakeEdge({ models: [model] });
  const client = createEdgeClient({ baseUrl: 'http://edge.test', apiKey: 'test-key', fetch: edge.fetch });
  const created = await client.createNotebook('T', createNotebookDoc('T'));
  render(<NotebookWorkspace client={client} id={created.value.id} initial={createNotebookDoc('T')} etag={created.etag} />);
  await waitFor(() => expect(screen.getByTestId('model').textContent).toBe('model: shapes-test'));
  return edge;
}

const cell = (n: number) => screen.getByRole('region', { name: new RegExp(`^Cell ${n}: `) });
const value = (scope: HTMLElement, label: string) => within(scope).getByLabelText<HTMLInputElement>(label).value;

describe('cells and the model', () => {
  it('new cells start at the model defaults; a changed value says so and can be reset', async () => {
    const edge = await open();
    fireEvent.click(screen.getByRole('button', { name: '+ Prompt' }));
    const c1 = cell(1);
    expect([value(c1, 'Steps'), value(c1, 'Sampler'), value(c1, 'Guidance')]).toEqual(['25', 'ddim', '3']);
    expect(within(c1).getByLabelText('Prompt').getAttribute('placeholder')).toBe('e.g. a green star on a white background');
    expect(within(c1).queryByText(/differ from the model/)).toBeNull();
    fireEvent.change(within(c1).getByLabelText('Steps'), { target: { value: '50' } });
    expect(within(c1).getByText('1 differ from the model')).toBeTruthy();
    expect(within(c1).getByText('model default: 25')).toBeTruthy();
    fireEvent.click(within(c1).getByRole('button', { name: 'Reset to model defaults' }));
    expect(value(c1, 'Steps')).toBe('25');
    expect(within(c1).queryByText(/differ from the model/)).toBeNull();

    // an upscale takes its stage's defaults, and the 1024 stage's when it goes to 1024
    fireEvent.change(within(c1).getByLabelText('Prompt'), { target: { value: 'a red circle' } });
    fireEvent.click(within(c1).getByRole('button', { name: 'Run Cell 1: Prompt' }));
    await waitFor(() => expect(within(cell(1)).getAllByRole('figure')).toHaveLength(4));
    expect([...edge.jobs.values()][0]!.request).toMatchObject({ steps: 25, sampler: 'ddim', guidance: 3 });
    fireEvent.click(within(within(cell(1)).getByRole('group', { name: 'Actions for Image 1' })).getByRole('button', { name: 'Upscale to 256' }));
    expect([value(cell(2), 'Steps'), value(cell(2), 'Guidance'), value(cell(2), 'Noise augmentation')]).toEqual(['12', '1.5', '150']);
  });

  it('shows each error once, next to its field, only once the field was touched or a run was asked for', async () => {
    await open();
    fireEvent.click(screen.getByRole('button', { name: '+ Prompt' }));
    const c1 = cell(1);
    // a new empty cell: nothing to complain about yet
    expect(within(c1).queryByText('prompt must not be empty')).toBeNull();
    expect(within(c1).getByText('not run')).toBeTruthy();
    fireEvent.change(within(c1).getByLabelText('Steps'), { target: { value: '5000' } });
    expect(within(c1).getAllByText('steps must be an integer in [1, 1000], got 5000')).toHaveLength(1);
    expect(within(c1).queryByText('prompt must not be empty')).toBeNull();
    // Run reveals the rest, each once, and focuses the first invalid field
    fireEvent.click(within(c1).getByRole('button', { name: 'Run Cell 1: Prompt' }));
    expect(within(c1).getAllByText('prompt must not be empty')).toHaveLength(1);
    expect(within(c1).getAllByText('steps must be an integer in [1, 1000], got 5000')).toHaveLength(1);
    expect(within(c1).getByText('needs input')).toBeTruthy();
    expect(within(c1).queryByRole('alert')).toBeNull();
    await waitFor(() => expect(document.activeElement).toBe(within(c1).getByLabelText('Prompt')));
  });

  it('counts tokens against the model, warns of a cut prompt and of unknown words, and offers its examples', async () => {
    await open();
    fireEvent.click(screen.getByRole('button', { name: '+ Prompt' }));
    const c1 = cell(1);
    // an empty prompt: the model's examples to start from
    fireEvent.click(within(c1).getByRole('button', { name: 'a green star on a white background' }));
    expect(within(c1).getByLabelText<HTMLTextAreaElement>('Prompt').value).toBe('a green star on a white background');
    await waitFor(() => expect(within(c1).getByTestId('token-count').textContent).toBe('8 / 48 tokens'));
    fireEvent.change(within(c1).getByLabelText('Prompt'), { target: { value: 'a r2d2 star' } });
    await waitFor(() => expect(within(c1).getByText(/Words the model does not know/).textContent).toMatch(/r2d2\.$/));
    fireEvent.change(within(c1).getByLabelText('Prompt'), { target: { value: Array.from({ length: 60 }, () => 'star').join(' ') } });
    await waitFor(() => expect(within(c1).getByText(/The model reads only the first 48 tokens/)).toBeTruthy());
    expect(within(c1).getByTestId('token-count').textContent).toBe('61 / 48 tokens');
  });

  it('collapses the parameters after a run and opens images in a viewer that steps with the arrow keys', async () => {
    await open();
    fireEvent.click(screen.getByRole('button', { name: '+ Prompt' }));
    fireEvent.change(within(cell(1)).getByLabelText('Prompt'), { target: { value: 'a blue square' } });
    fireEvent.change(within(cell(1)).getByLabelText('Images (n)'), { target: { value: '2' } });
    fireEvent.click(within(cell(1)).getByRole('button', { name: 'Run Cell 1: Prompt' }));
    await waitFor(() => expect(within(cell(1)).getAllByRole('figure')).toHaveLength(2));
    const details = cell(1).querySelector('details.params-box')!;
    await waitFor(() => expect(details.hasAttribute('open')).toBe(false));
    expect(details.querySelector('summary')!.textContent).toMatch(/“a blue square” · seed \d+ \(\+1\) · ddim 25 steps, guidance 3/);
    // 64 px images are shown at 256, sharp
    const img = within(cell(1)).getAllByRole<HTMLImageElement>('img')[0]!;
    expect([img.width, img.className]).toEqual([256, 'pixelated loading']);

    fireEvent.click(within(cell(1)).getByRole('button', { name: 'Open Image 1 in the viewer' }));
    const viewer = screen.getByRole('dialog', { name: 'Image viewer: Image 1' });
    expect(within(viewer).getByText(/1 of 2 · 64×64/)).toBeTruthy();
    expect(within(within(viewer).getByRole('complementary', { name: 'Parameters' })).getByText(/^a blue square Steps: 25, Sampler: DDIM, CFG scale: 3, Seed: \d+, Size: 64x64/)).toBeTruthy();
    fireEvent.keyDown(viewer, { key: 'ArrowRight' });
    expect(screen.getByRole('dialog', { name: 'Image viewer: Image 2' })).toBeTruthy();
    fireEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: '4×' }));
    expect(within(screen.getByRole('dialog')).getByRole<HTMLImageElement>('img').style.width).toBe('256px');
    fireEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Close the viewer' }));
    expect(screen.queryByRole('dialog')).toBeNull();
  });
});
