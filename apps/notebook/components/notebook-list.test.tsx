// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import type { ReactNode } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createNotebookDoc } from '../lib/cell-types.ts';
import { createEdgeClient } from '../lib/edge-client.ts';
import { saveSettings } from '../lib/settings.ts';
import { createFakeEdge } from '../lib/testing/fake-edge.ts';
import { NotebookList } from './notebook-list.tsx';
import { SettingsProvider } from './settings-context.tsx';

const push = vi.fn();
vi.mock('next/navigation', () => ({ useRouter: () => ({ push }) }));
vi.mock('next/link', () => ({ default: ({ href, children, ...rest }: { href: string; children: ReactNode }) => <a href={href} {...rest}>{children}</a> }));

let edge: ReturnType<typeof createFakeEdge>;

beforeEach(() => {
  edge = createFakeEdge();
  vi.stubGlobal('fetch', edge.fetch);
  localStorage.clear();
  saveSettings(localStorage, { edgeUrl: 'http://edge.test', apiKey: 'test-key' });
  push.mockReset();
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('NotebookList', () => {
  it('lists, renames, deletes and creates notebooks', async () => {
    const client = createEdgeClient({ baseUrl: 'http://edge.test', apiKey: 'test-key', fetch: edge.fetch });
    const a = await client.createNotebook('Foxes', createNotebookDoc('Foxes'));
    const b = await client.createNotebook('Wolves', createNotebookDoc('Wolves'));
    render(<SettingsProvider><NotebookList /></SettingsProvider>);
    expect(await screen.findByRole('link', { name: 'Foxes' })).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Wolves' }).getAttribute('href')).toBe(`/notebooks/${b.value.id}`);

    fireEvent.click(screen.getByRole('button', { name: 'Rename Foxes' }));
    fireEvent.change(screen.getByLabelText('New title for Foxes'), { target: { value: 'Red foxes' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByRole('link', { name: 'Red foxes' })).toBeTruthy();
    const stored = edge.notebooks.get(a.value.id)!;
    expect(stored.title).toBe('Red foxes');
    expect(stored.content).toMatchObject({ title: 'Red foxes', version: 1 });

    vi.stubGlobal('confirm', () => true);
    fireEvent.click(screen.getByRole('button', { name: 'Delete Wolves' }));
    await waitFor(() => expect(screen.queryByRole('link', { name: 'Wolves' })).toBeNull());
    expect(edge.notebooks.has(b.value.id)).toBe(false);

    fireEvent.change(within(screen.getByRole('form', { name: 'New notebook' })).getByLabelText('Title'), { target: { value: 'Owls' } });
    fireEvent.click(screen.getByRole('button', { name: 'New notebook' }));
    await waitFor(() => expect(push).toHaveBeenCalledTimes(1));
    const created = [...edge.notebooks.values()].find((n) => n.title === 'Owls')!;
    expect(push).toHaveBeenCalledWith(`/notebooks/${created.id}`);
  });

  it("shows the edge's error when the list cannot be loaded", async () => {
    saveSettings(localStorage, { edgeUrl: 'http://edge.test', apiKey: 'wrong-key' });
    render(<SettingsProvider><NotebookList /></SettingsProvider>);
    expect((await screen.findByRole('alert')).textContent).toContain('Could not load notebooks: unknown or revoked API key');
    expect(screen.getByRole('button', { name: 'Retry' })).toBeTruthy();
  });

  it('rejects an invalid import file, naming the field', async () => {
    render(<SettingsProvider><NotebookList /></SettingsProvider>);
    await screen.findByText(/No notebooks yet/);
    const bad = new File([JSON.stringify({ format: 'imagen-ts-notebook', notebook: { version: 1, title: 't', cells: [{ id: 'x', kind: 'prompt' }], cache: {} } })], 'bad.json', { type: 'application/json' });
    fireEvent.change(screen.getByLabelText('Import notebook JSON file'), { target: { files: [bad] } });
    expect((await screen.findByRole('alert')).textContent).toMatch(/^Could not import bad\.json: cells\.0\.prompt: /);
    expect(edge.notebooks.size).toBe(0);
  });
});
