'use client';
// Where the notebook stands with the edge, and the conflict choice.
import { useState } from 'react';
import type { SaveState } from '../lib/autosave.ts';
import type { NotebookDoc } from '../lib/cell-types.ts';
import type { EdgeClient } from '../lib/edge-client.ts';
import { describeError } from '../lib/edge-client.ts';
import { exportNotebook, parseNotebookDoc } from '../lib/notebook-schema.ts';

export function SaveIndicator({ state }: { state: SaveState }) {
  const text: Record<SaveState['status'], string> = {
    saved: 'All changes saved',
    dirty: 'Unsaved changes…',
    saving: 'Saving…',
    conflict: 'Not saved: conflict',
    error: `Save failed (${state.error ?? 'unknown error'}); retrying`,
  };
  return (
    <span className={`save-state save-${state.status}`} role="status" aria-live="polite" data-testid="save-state">
      {text[state.status]}
    </span>
  );
}

export function ConflictBanner({ client, id, state, mine, onLoadTheirs, onKeepMine }: {
  client: EdgeClient;
  id: string;
  state: SaveState;
  mine: NotebookDoc;
  onLoadTheirs: (doc: NotebookDoc, etag: string) => void;
  onKeepMine: (etag: string) => void;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (state.status !== 'conflict') return null;

  const resolve = async (keep: 'theirs' | 'mine') => {
    setBusy(true);
    setError(null);
    try {
      const current = await client.getNotebook(id);
      if (keep === 'mine') onKeepMine(current.etag);
      else {
        const parsed = parseNotebookDoc(current.value.content);
        if (!parsed.ok) throw new Error(`their version cannot be opened: ${parsed.error}`);
        onLoadTheirs(parsed.doc, current.etag);
      }
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };

  const downloadMine = () => {
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([exportNotebook(mine, new Date().toISOString())], { type: 'application/json' }));
    a.download = 'my-version.imagen-notebook.json';
    a.click();
  };

  return (
    <div className="conflict" role="alert" data-testid="conflict">
      <strong>This notebook was changed somewhere else</strong> (another tab or person saved it after you opened it). Your changes since then are not saved, and theirs were not overwritten.
      <div className="row">
        <button type="button" onClick={() => void resolve('theirs')} disabled={busy}>Load their version (drop my changes)</button>
        <button type="button" className="danger" onClick={() => void resolve('mine')} disabled={busy}>Keep mine (overwrite theirs)</button>
        <button type="button" onClick={downloadMine}>Download my version</button>
      </div>
      {error && <p className="error">Could not resolve: {error}</p>}
    </div>
  );
}
