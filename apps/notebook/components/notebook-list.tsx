'use client';
// The notebook index: list, create, rename, delete, import.
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useRef, useState } from 'react';
import useSWR from 'swr';
import type { NotebookSummary } from '../lib/api-types.ts';
import { createNotebookDoc, newCellId } from '../lib/cell-types.ts';
import { exampleNotebook } from '../lib/example-notebook.ts';
import { useModelDefaults } from '../hooks/use-model-defaults.ts';
import type { EdgeClient } from '../lib/edge-client.ts';
import { describeError } from '../lib/edge-client.ts';
import { importNotebook, parseNotebookDoc } from '../lib/notebook-schema.ts';
import { WithClient } from './settings-context.tsx';

export function NotebookList() {
  return (
    <section className="page" aria-labelledby="list-title">
      <div className="intro">
        <p><strong>Type a prompt, get 64×64 images, upscale the ones you like to 256 and 1024</strong>: each cell is one step of the Imagen cascade, running on the model this edge serves.</p>
        <p className="muted">Same prompt, seed and parameters give the same pixels: notebooks save every run, and any PNG made here recreates the cells that made it.</p>
      </div>
      <h1 id="list-title">Notebooks</h1>
      <WithClient>{(client) => <ListBody client={client} />}</WithClient>
    </section>
  );
}

function ListBody({ client }: { client: EdgeClient }) {
  const router = useRouter();
  const { data, error, isLoading, mutate } = useSWR<NotebookSummary[], Error>(['notebooks', client.baseUrl, client], () => client.listNotebooks(), { revalidateOnFocus: true });
  const [title, setTitle] = useState('');
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<string | null>(null);
  const fileRef = useRef<HTMLInputElement>(null);
  const model = useModelDefaults(client);

  const openExample = async () => {
    setBusy(true);
    setActionError(null);
    try {
      const doc = exampleNotebook(model.defaults, () => newCellId());
      const created = await client.createNotebook(doc.title, doc);
      router.push(`/notebooks/${encodeURIComponent(created.value.id)}`);
    } catch (err) {
      setActionError(`Could not create the example notebook: ${describeError(err)}`);
      setBusy(false);
    }
  };

  const create = async (e: React.FormEvent) => {
    e.preventDefault();
    const t = title.trim() || 'Untitled notebook';
    setBusy(true);
    setActionError(null);
    try {
      const created = await client.createNotebook(t, createNotebookDoc(t));
      router.push(`/notebooks/${encodeURIComponent(created.value.id)}`);
    } catch (err) {
      setActionError(`Could not create the notebook: ${describeError(err)}`);
      setBusy(false);
    }
  };

  const onImport = async (file: File) => {
    setActionError(null);
    const parsed = importNotebook(await file.text());
    if (!parsed.ok) {
      setActionError(`Could not import ${file.name}: ${parsed.error}`);
      return;
    }
    setBusy(true);
    try {
      const created = await client.createNotebook(parsed.doc.title || file.name, parsed.doc);
      router.push(`/notebooks/${encodeURIComponent(created.value.id)}`);
    } catch (err) {
      setActionError(`Could not import ${file.name}: ${describeError(err)}`);
      setBusy(false);
    }
  };

  return (
    <>
      <form className="row" onSubmit={(e) => void create(e)} aria-label="New notebook">
        <label className="inline-field">
          <span>Title</span>
          <input value={title} onChange={(e) => setTitle(e.target.value)} placeholder="Untitled notebook" maxLength={200} />
        </label>
        <button type="submit" disabled={busy}>
          New notebook
        </button>
        <button type="button" onClick={() => fileRef.current?.click()} disabled={busy}>
          Import JSON…
        </button>
        <button type="button" onClick={() => void openExample()} disabled={busy}>
          Open an example notebook
        </button>
        <input ref={fileRef} type="file" accept="application/json,.json" hidden aria-label="Import notebook JSON file" onChange={(e) => {
          const f = e.target.files?.[0];
          e.target.value = '';
          if (f) void onImport(f);
        }} />
      </form>
      {actionError && <p role="alert" className="error">{actionError}</p>}
      {isLoading && <p role="status">Loading notebooks…</p>}
      {error !== undefined && (
        <div role="alert" className="error">
          <p>Could not load notebooks: {describeError(error)}</p>
          <button type="button" onClick={() => void mutate()}>Retry</button>
        </div>
      )}
      {data && data.length === 0 && <p className="muted">No notebooks yet. Create one above, or import an exported JSON file.</p>}
      {data && data.length > 0 && (
        <ul className="notebook-list">
          {data.map((nb) => (
            <NotebookRow key={nb.id} nb={nb} client={client} onChanged={() => void mutate()} />
          ))}
        </ul>
      )}
    </>
  );
}

function NotebookRow({ nb, client, onChanged }: { nb: NotebookSummary; client: EdgeClient; onChanged: () => void }) {
  const [editing, setEditing] = useState(false);
  const [title, setTitle] = useState(nb.title);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  // Rename and delete read the current version first, so that the If-Match
  // they send is fresh; a concurrent edit in between still yields a 412.
  const rename = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const current = await client.getNotebook(nb.id);
      const parsed = parseNotebookDoc(current.value.content);
      const doc = parsed.ok ? { ...parsed.doc, title } : createNotebookDoc(title);
      await client.saveNotebook(nb.id, title, doc, current.etag);
      setEditing(false);
      onChanged();
    } catch (err) {
      setError(`Rename failed: ${describeError(err)}`);
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    if (!window.confirm(`Delete the notebook "${nb.title}"? This cannot be undone.`)) return;
    setBusy(true);
    setError(null);
    try {
      const current = await client.getNotebook(nb.id);
      await client.deleteNotebook(nb.id, current.etag);
      onChanged();
    } catch (err) {
      setError(`Delete failed: ${describeError(err)}`);
      setBusy(false);
    }
  };

  return (
    <li>
      {editing ? (
        <form className="row" onSubmit={(e) => void rename(e)}>
          <label className="inline-field">
            <span className="sr-only">New title for {nb.title}</span>
            <input value={title} onChange={(e) => setTitle(e.target.value)} maxLength={200} autoFocus />
          </label>
          <button type="submit" disabled={busy || title.trim() === ''}>Save</button>
          <button type="button" onClick={() => { setEditing(false); setTitle(nb.title); }}>Cancel</button>
        </form>
      ) : (
        <div className="row">
          <Link href={`/notebooks/${encodeURIComponent(nb.id)}`} className="nb-link">{nb.title || 'Untitled notebook'}</Link>
          {nb.updatedAt && <span className="muted small">updated {new Date(nb.updatedAt).toLocaleString()}</span>}
          <button type="button" onClick={() => setEditing(true)} aria-label={`Rename ${nb.title}`}>Rename</button>
          <button type="button" className="danger" onClick={() => void remove()} disabled={busy} aria-label={`Delete ${nb.title}`}>Delete</button>
        </div>
      )}
      {error && <p role="alert" className="error">{error}</p>}
    </li>
  );
}
