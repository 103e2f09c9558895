'use client';
// Autosave of the open notebook to the edge (see lib/autosave.ts).
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { Autosaver, SaveState } from '../lib/autosave.ts';
import { createAutosaver } from '../lib/autosave.ts';
import type { NotebookDoc } from '../lib/cell-types.ts';
import type { EdgeClient } from '../lib/edge-client.ts';

export interface AutosaveHandle {
  state: SaveState;
  /** take `etag` as the stored version; with `doc`, that doc is what is stored */
  adopt: (etag: string, doc?: NotebookDoc) => void;
  flush: () => Promise<void>;
}

export function useAutosave(client: EdgeClient, id: string, initialEtag: string, doc: NotebookDoc): AutosaveHandle {
  const [state, setState] = useState<SaveState>({ status: 'saved', etag: initialEtag });
  const saver = useRef<Autosaver<NotebookDoc> | null>(null);
  // The doc known to be stored: the one loaded, or adopted from the server.
  const stored = useRef<NotebookDoc>(doc);

  useEffect(() => {
    const s = createAutosaver<NotebookDoc>({
      etag: initialEtag,
      save: (d, etag) => client.saveNotebook(id, d.title, d, etag),
      onState: setState,
    });
    saver.current = s;
    return () => {
      saver.current = null;
      void s.flush().finally(() => s.dispose());
    };
  }, [client, id, initialEtag]);

  // A layout effect: the "unsaved" state shows in the same frame as the edit
  // (or the new outputs), never a frame later.
  useLayoutEffect(() => {
    if (doc !== stored.current) saver.current?.change(doc);
  }, [doc]);

  useEffect(() => {
    const warn = (e: BeforeUnloadEvent) => {
      const st = saver.current?.state().status;
      if (st === 'dirty' || st === 'saving' || st === 'conflict') e.preventDefault();
    };
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, []);

  const adopt = useCallback((etag: string, d?: NotebookDoc) => {
    if (d) stored.current = d;
    saver.current?.adopt(etag, d);
  }, []);
  const flush = useCallback(async () => {
    await saver.current?.flush();
  }, []);
  return { state, adopt, flush };
}
