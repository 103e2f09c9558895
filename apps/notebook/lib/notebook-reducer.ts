// Every edit to an open notebook goes through this reducer, so the document
// stays a plain value that autosave can send and tests can reason about.
import type { Cell, NotebookDoc, OutputImage } from './cell-types.ts';
import type { TaskPlan } from './cells.ts';
import type { TaskResult } from './run-record.ts';
import { pruneCache, recordRun } from './run-record.ts';

/** Cache entries kept (those in use are never dropped); bounds the saved notebook under the edge's 1 MiB limit. */
export const cacheLimit = 64;

export type CellPatch = { [K in Cell as K['kind']]: Partial<Omit<K, 'id' | 'kind'>> }[Cell['kind']];

export type NotebookAction =
  | { type: 'replace'; doc: NotebookDoc }
  | { type: 'setTitle'; title: string }
  /** after: a cell id, null for the top, undefined for the end */
  | { type: 'addCells'; cells: Cell[]; after?: string | null }
  | { type: 'updateCell'; id: string; patch: CellPatch }
  | { type: 'removeCell'; id: string }
  | { type: 'moveCell'; id: string; delta: -1 | 1 }
  | { type: 'recordRun'; cellId: string; plan: Extract<TaskPlan, { ok: true }>; results: TaskResult[]; ranAt: string }
  /** keep what a canceled or failed run had finished, without marking the cell run */
  | { type: 'cacheResults'; results: TaskResult[] };

export function notebookReducer(doc: NotebookDoc, action: NotebookAction): NotebookDoc {
  switch (action.type) {
    case 'replace':
      return action.doc;
    case 'setTitle':
      return { ...doc, title: action.title };
    case 'addCells': {
      // An unknown `after` (a cell deleted meanwhile) appends.
      const after = action.after === undefined ? -1 : doc.cells.findIndex((c) => c.id === action.after);
      const at = action.after === null ? 0 : after < 0 ? doc.cells.length : after + 1;
      const cells = [...doc.cells];
      cells.splice(at, 0, ...action.cells);
      return { ...doc, cells };
    }
    case 'updateCell':
      return { ...doc, cells: doc.cells.map((c) => (c.id === action.id ? ({ ...c, ...action.patch } as Cell) : c)) };
    case 'removeCell':
      return { ...doc, cells: doc.cells.filter((c) => c.id !== action.id) };
    case 'moveCell': {
      const i = doc.cells.findIndex((c) => c.id === action.id);
      const j = i + action.delta;
      if (i < 0 || j < 0 || j >= doc.cells.length) return doc;
      const cells = [...doc.cells];
      [cells[i], cells[j]] = [cells[j]!, cells[i]!];
      return { ...doc, cells };
    }
    case 'recordRun':
      return pruneCache(recordRun(doc, action.cellId, action.plan, action.results, action.ranAt), cacheLimit);
    case 'cacheResults': {
      if (action.results.length === 0) return doc;
      const cache: Record<string, OutputImage[]> = { ...doc.cache };
      for (const r of action.results) if (!r.fromCache) cache[r.task.hash] = r.images;
      return pruneCache({ ...doc, cache }, cacheLimit);
    }
  }
}
