// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { IMAGEN_FORMAT, PIXEL_HASH_ALGORITHM } from '@imagen-ts/protocol';
import { createNotebookDoc } from '../lib/cell-types.ts';
import { createEdgeClient } from '../lib/edge-client.ts';
import { createFakeEdge } from '../lib/testing/fake-edge.ts';
import { NotebookWorkspace } from './notebook-workspace.tsx';

beforeAll(() => {
  URL.createObjectURL = () => 'blob:fake';
  URL.revokeObjectURL = () => undefined;
  Element.prototype.scrollIntoView = () => undefined;
});
afterEach(cleanup);

async function open(options: Parameters<typeof createFakeEdge>[0] = {}) {
  const edge = createFakeEdge(options);
  const client = createEdgeClient({ baseUrl: 'http://edge.test', apiKey: 'test-key', fetch: edge.fetch });
  const created = await client.createNotebook('Foxes', createNotebookDoc('Foxes'));
  render(<NotebookWorkspace client={client} id={created.value.id} initial={createNotebookDoc('Foxes')} etag={created.etag} />);
  return { edge, client, id: created.value.id };
}

const cell = (n: number) => screen.getByRole('region', { name: new RegExp(`^Cell ${n}: `) });

describe('NotebookWorkspace', () => {
  it('runs a prompt cell with Shift+Enter, shows its images, marks edits stale, and autosaves', async () => {
    const { edge, id } = await open();
    expect(screen.getByText(/This notebook is empty/)).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: '+ Prompt' }));
    const c1 = cell(1);
    fireEvent.change(within(c1).getByLabelText('Prompt'), { target: { value: 'a red fox in snow' } });
    const seed = within(c1).getByLabelText('Seed');
    fireEvent.change(seed, { target: { value: '1234' } });
    fireEvent.keyDown(seed, { key: 'Enter', shiftKey: true });
    await waitFor(() => expect(within(c1).getAllByRole('figure')).toHaveLength(4));
    expect(within(c1).getByText('up to date')).toBeTruthy();
    expect(within(c1).getAllByRole('figure').map((f) => f.querySelector('strong')?.textContent)).toEqual(['1234', '1235', '1236', '1237']);
    expect([...edge.jobs.values()][0]!.request).toMatchObject({ prompt: 'a red fox in snow', seed: 1234, n: 4, size: 64 });

    // unchanged: Run again costs nothing
    fireEvent.click(within(c1).getByRole('button', { name: 'Run Cell 1: Prompt' }));
    await waitFor(() => expect(within(c1).getByText(/taken from the cache, no request made/)).toBeTruthy());
    expect(edge.jobs.size).toBe(1);

    fireEvent.change(within(c1).getByLabelText('Guidance'), { target: { value: '9' } });
    expect(within(c1).getByText('stale: inputs changed')).toBeTruthy();

    await waitFor(() => expect(screen.getByTestId('save-state').textContent).toBe('All changes saved'), { timeout: 3000 });
    const stored = edge.notebooks.get(id)!.content as { cells: { prompt: string; guidance: number }[] };
    expect(stored.cells[0]).toMatchObject({ prompt: 'a red fox in snow', guidance: 9 });
  });

  it('upscales an image into a new cell chained to it, and re-run shows "matched"', async () => {
    const { edge } = await open();
    fireEvent.click(screen.getByRole('button', { name: '+ Prompt' }));
    fireEvent.change(within(cell(1)).getByLabelText('Prompt'), { target: { value: 'a lighthouse' } });
    fireEvent.change(within(cell(1)).getByLabelText('Images (n)'), { target: { value: '2' } });
    fireEvent.click(within(cell(1)).getByRole('button', { name: 'Run Cell 1: Prompt' }));
    await waitFor(() => expect(within(cell(1)).getAllByRole('figure')).toHaveLength(2));
    // one actions menu per image
    fireEvent.click(within(within(cell(1)).getByRole('group', { name: 'Actions for Image 2' })).getByRole('button', { name: 'Upscale to 256' }));
    const c2 = cell(2);
    expect(within(c2).getByLabelText<HTMLSelectElement>('Source image').selectedOptions[0]!.textContent).toMatch(/^Cell 1 \(prompt\) · image 2/);
    fireEvent.click(within(c2).getByRole('button', { name: 'Run Cell 2: Upscale' }));
    await waitFor(() => expect(within(cell(2)).getAllByRole('figure')).toHaveLength(1));
    expect(within(cell(2)).getByText('256×256')).toBeTruthy();
    const source = [...edge.jobs.values()][0]!.images[1]!;
    expect(edge.calls).toContain(`POST /v1/images/${source.id}/upscale`);

    fireEvent.click(within(cell(1)).getByRole('button', { name: 'Re-run Cell 1: Prompt and compare' }));
    await waitFor(() => expect(within(cell(1)).getAllByText('matched')).toHaveLength(2));
    expect(edge.jobs.size).toBe(3);
    // the upscale still matches its source image
    expect(within(cell(2)).getByText('up to date')).toBeTruthy();
  });

  it("shows the edge's error message and keeps the cell runnable", async () => {
    await open();
    fireEvent.click(screen.getByRole('button', { name: '+ Prompt' }));
    fireEvent.change(within(cell(1)).getByLabelText('Prompt'), { target: { value: 'x' } });
    fireEvent.change(within(cell(1)).getByLabelText('Steps'), { target: { value: '600' } });
    fireEvent.click(within(cell(1)).getByRole('button', { name: 'Run Cell 1: Prompt' }));
    await waitFor(() => expect(within(cell(1)).getByRole('alert').textContent).toBe('steps: must be at most 500'));
    expect(within(cell(1)).getByRole('button', { name: 'Run Cell 1: Prompt' })).toBeTruthy();
  });

  it('reports a conflicting save from elsewhere and lets the user load their version', async () => {
    const { client, id } = await open();
    const theirs = await client.getNotebook(id);
    await client.saveNotebook(id, 'Renamed elsewhere', { ...createNotebookDoc('Renamed elsewhere') }, theirs.etag);
    fireEvent.click(screen.getByRole('button', { name: '+ Note' }));
    await waitFor(() => expect(screen.getByTestId('conflict')).toBeTruthy(), { timeout: 3000 });
    expect(screen.getByTestId('save-state').textContent).toBe('Not saved: conflict');
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Load their version (drop my changes)' }));
      await Promise.resolve();
    });
    await waitFor(() => expect(screen.queryByTestId('conflict')).toBeNull());
    expect(screen.getByLabelText<HTMLInputElement>('Notebook title').value).toBe('Renamed elsewhere');
    expect(screen.queryByRole('region', { name: /^Cell 1/ })).toBeNull();
  });

  it('cancels a running cell', async () => {
    const { edge } = await open({ autoComplete: false });
    fireEvent.click(screen.getByRole('button', { name: '+ Prompt' }));
    fireEvent.change(within(cell(1)).getByLabelText('Prompt'), { target: { value: 'slow' } });
    fireEvent.click(within(cell(1)).getByRole('button', { name: 'Run Cell 1: Prompt' }));
    const cancel = await within(cell(1)).findByRole('button', { name: 'Cancel Cell 1: Prompt' });
    await waitFor(() => expect(edge.jobs.size).toBe(1));
    fireEvent.click(cancel);
    await waitFor(() => expect(within(cell(1)).getByText('Canceled.')).toBeTruthy());
    expect([...edge.jobs.values()][0]!.status).toBe('canceled');
    expect(within(cell(1)).getByText('not run')).toBeTruthy();
  });

  it('recreates a cell from a dropped PNG', async () => {
    await open();
    const png = new File([new Uint8Array([137, 80, 78, 71])], 'fox.png', { type: 'image/png' });
    fireEvent.drop(screen.getByTestId('notebook-workspace'), { dataTransfer: { files: [png], types: ['Files'] } });
    await waitFor(() => expect(screen.getByText(/Recreated a prompt cell from fox.png \(imagen-ts metadata\)/)).toBeTruthy());
    expect(within(cell(1)).getByLabelText<HTMLTextAreaElement>('Prompt').value).toBe('a fox from a PNG');
    expect(within(cell(1)).getByLabelText<HTMLInputElement>('Seed').value).toBe('4242');
    expect(within(cell(1)).getByLabelText<HTMLInputElement>('Steps').value).toBe('12');
  });

  it('recreates the whole chain from a dropped 1024 PNG and says whether a run reproduces its pixels', async () => {
    const px = (c: string) => ({ algorithm: PIXEL_HASH_ALGORITHM, sha256: c.repeat(64) });
    const fingerprint = { engineVersion: '0.1.0', ortVersion: '1.30.0', provider: 'cpu', modelId: 'fake', textEncoderSha256: 'a'.repeat(64), stageSha256: {}, prng: 'p' };
    const step = (size: number, seed: number, c: string, stage: string) => ({
      request: { prompt: 'a fox', seed, n: 1, size, ...(size > 64 ? { init: { width: size / 4, height: size / 4, fromStage: stage } } : {}) },
      image: { index: 0, seed, width: size, height: size, pixels: px(c) },
      stages: [{ name: stage, resolution: size, steps: 6, sampler: 'ddim', guidance: 1.5 }],
      fingerprint,
    });
    const imagen = { format: IMAGEN_FORMAT, ...step(1024, 3, 'c', 'sr1024'), lineage: [step(64, 1, 'a', 'base64'), step(256, 2, 'b', 'sr256')] };
    await open({ inspect: { source: 'imagen-ts', text: {}, parameters: null, imagen, request: null } });
    const png = new File([new Uint8Array([137, 80, 78, 71])], 'chain.png', { type: 'image/png' });
    fireEvent.drop(screen.getByTestId('notebook-workspace'), { dataTransfer: { files: [png], types: ['Files'] } });
    await waitFor(() => expect(screen.getByText(/Recreated the chain prompt → 256 → 1024 \(3 cells\) from chain.png/)).toBeTruthy());
    expect(within(cell(2)).getByLabelText<HTMLSelectElement>('Source image').value).toMatch(/:0$/);
    expect([1, 2, 3].map((n) => within(cell(n)).getByLabelText<HTMLInputElement>('Seed').value)).toEqual(['1', '2', '3']);
    expect([1, 2, 3].map((n) => within(cell(n)).getByTestId('expected').textContent)).toEqual(['from chain.png', 'from chain.png', 'from chain.png']);
    // the fake edge's pixels are not the recorded ones: the badge says so, cell by cell
    fireEvent.click(within(cell(3)).getByRole('button', { name: 'Run Cell 3: Upscale' }));
    await waitFor(() => expect(within(cell(3)).getByTestId('expected').textContent).toBe('differs from chain.png'));
    expect(within(cell(1)).getByTestId('expected').textContent).toBe('differs from chain.png');
  });

  it('runs a sweep as a seeds × guidance grid', async () => {
    const { edge } = await open();
    fireEvent.click(screen.getByRole('button', { name: '+ Sweep' }));
    const c1 = cell(1);
    fireEvent.change(within(c1).getByLabelText('Prompt'), { target: { value: 'a fox' } });
    const seeds = within(c1).getByLabelText('Seeds (rows)');
    fireEvent.change(seeds, { target: { value: '10, 20' } });
    fireEvent.blur(seeds);
    fireEvent.keyDown(within(cell(1)).getByLabelText('Prompt'), { key: 'Enter', shiftKey: true });
    await waitFor(() => expect(within(cell(1)).getAllByRole('figure')).toHaveLength(8));
    // a labelled grid: a header per guidance value (around the model's default 2) and per seed
    const grid = within(cell(1)).getByRole('table');
    expect(within(grid).getAllByRole('columnheader').map((h) => h.textContent)).toEqual(['seed \\ guidance', ...[1, 2, 4, 8].map((g) => `guidance ${g}`)]);
    expect(within(grid).getAllByRole('rowheader').map((h) => h.textContent)).toEqual(['seed 10', 'seed 20']);
    const rows = within(grid).getAllByRole('row').slice(1);
    expect(rows.map((r) => within(r).getAllByRole('figure').map((f) => f.querySelector('strong')?.textContent))).toEqual([['10', '10', '10', '10'], ['20', '20', '20', '20']]);
    expect(within(grid).getByRole('button', { name: 'Open seed 20, guidance 4 in the viewer' })).toBeTruthy();
    expect([...edge.jobs.values()].map((j) => [j.seed, j.request.guidance, j.n])).toEqual([10, 20].flatMap((seed) => [1, 2, 4, 8].map((g) => [seed, g, 1])));
  });
});
