'use client';
// An open notebook: loads it, then hands it to the workspace, which keeps it
// saved and runs its cells.
import Link from 'next/link';
import { useEffect, useState } from 'react';
import type { NotebookDoc } from '../lib/cell-types.ts';
import { createNotebookDoc } from '../lib/cell-types.ts';
import type { EdgeClient } from '../lib/edge-client.ts';
import { describeError } from '../lib/edge-client.ts';
import { parseNotebookDoc } from '../lib/notebook-schema.ts';
import { NotebookWorkspace } from './notebook-workspace.tsx';
import { WithClient } from './settings-context.tsx';

type Load = { state: 'loading' } | { state: 'error'; message: string } | { state: 'ready'; doc: NotebookDoc; etag: string };

export function NotebookEditor({ id }: { id: string }) {
  return <WithClient>{(client) => <Loader client={client} id={id} />}</WithClient>;
}

function Loader({ client, id }: { client: EdgeClient; id: string }) {
  // Not SWR: a cached (stale) copy shown first would carry an old ETag, and the
  // first autosave would then report a conflict with ourselves. The editor
  // always starts from the stored version.
  const [load, setLoad] = useState<Load>({ state: 'loading' });
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let cancelled = false;
    setLoad({ state: 'loading' });
    client.getNotebook(id).then(
      ({ value, etag }) => {
        if (cancelled) return;
        // A notebook created by another client may hold an empty object.
        if (value.content === null || (typeof value.content === 'object' && Object.keys(value.content).length === 0)) return setLoad({ state: 'ready', doc: createNotebookDoc(value.title), etag });
        const parsed = parseNotebookDoc(value.content);
        setLoad(parsed.ok ? { state: 'ready', doc: parsed.doc, etag } : { state: 'error', message: `the stored document is not one this app can open: ${parsed.error}` });
      },
      (e: unknown) => {
        if (!cancelled) setLoad({ state: 'error', message: describeError(e) });
      },
    );
    return () => {
      cancelled = true;
    };
  }, [client, id, attempt]);

  if (load.state === 'loading') return <p role="status" className="page">Loading notebook…</p>;
  if (load.state === 'error') {
    return (
      <div role="alert" className="page error">
        <p>Could not load this notebook: {load.message}</p>
        <button type="button" onClick={() => setAttempt((n) => n + 1)}>Retry</button> <Link href="/">Back to notebooks</Link>
      </div>
    );
  }
  return <NotebookWorkspace key={`${id}:${load.etag}`} client={client} id={id} initial={load.doc} etag={load.etag} />;
}
