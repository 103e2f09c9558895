'use client';
// The open notebook. Reads go through get() as well as the rendered value, so
// that a run started now sees edits dispatched a moment ago, before React renders.
import { useCallback, useRef, useState } from 'react';
import type { NotebookDoc } from '../lib/cell-types.ts';
import type { NotebookAction } from '../lib/notebook-reducer.ts';
import { notebookReducer } from '../lib/notebook-reducer.ts';

export interface DocStore {
  doc: NotebookDoc;
  dispatch: (a: NotebookAction) => void;
  get: () => NotebookDoc;
}

export function useDocStore(initial: NotebookDoc): DocStore {
  const ref = useRef(initial);
  const [doc, setDoc] = useState(initial);
  const dispatch = useCallback((a: NotebookAction) => {
    ref.current = notebookReducer(ref.current, a);
    setDoc(ref.current);
  }, []);
  const get = useCallback(() => ref.current, []);
  return { doc, dispatch, get };
}
