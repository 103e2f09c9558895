'use client';
// The notebook page proper: toolbar, conflict banner, PNG drop, the cells.
import { useEffect, useMemo, useRef, useState } from 'react';
import { useAutosave } from '../hooks/use-autosave.ts';
import { useDocStore } from '../hooks/use-doc-store.ts';
import { useModelDefaults } from '../hooks/use-model-defaults.ts';
import { useRunner } from '../hooks/use-runner.ts';
import type { CellKind, ImageRef, NotebookDoc } from '../lib/cell-types.ts';
import { createCell, newCellId, randomSeed } from '../lib/cell-types.ts';
import type { CellStatus } from '../lib/cells.ts';
import { cellStatus, descendants } from '../lib/cells.ts';
import type { EdgeClient } from '../lib/edge-client.ts';
import { describeError } from '../lib/edge-client.ts';
import { exportNotebook } from '../lib/notebook-schema.ts';
import { recreateFromInspect } from '../lib/recreate-chain.ts';
import { CellView } from './cell-view.tsx';
import { ConflictBanner, SaveIndicator } from './save-state.tsx';

interface Props {
  client: EdgeClient;
  id: string;
  initial: NotebookDoc;
  etag: string;
}

const addable: { kind: CellKind; label: string }[] = [
  { kind: 'prompt', label: 'Prompt' },
  { kind: 'upscale', label: 'Upscale' },
  { kind: 'sweep', label: 'Sweep' },
  { kind: 'note', label: 'Note' },
];

function isPng(f: File) {
  return f.type === 'image/png' || f.name.toLowerCase().endsWith('.png');
}

export function NotebookWorkspace({ client, id, initial, etag }: Props) {
  const store = useDocStore(initial);
  const { doc, dispatch } = store;
  const save = useAutosave(client, id, etag, doc);
  const runner = useRunner(client, store);
  const model = useModelDefaults(client);
  const [messages, setMessages] = useState<{ id: number; text: string; error?: boolean }[]>([]);
  const [dragging, setDragging] = useState(false);
  const pngInput = useRef<HTMLInputElement>(null);
  const focusCell = useRef<string | null>(null);
  const nextMessage = useRef(0);

  const statuses = useMemo(() => {
    const m = new Map<string, CellStatus>();
    for (const c of doc.cells) m.set(c.id, cellStatus(doc, c.id));
    return m;
  }, [doc]);

  useEffect(() => {
    const target = focusCell.current;
    if (!target) return;
    focusCell.current = null;
    const el = document.querySelector<HTMLElement>(`[data-cell-id="${CSS.escape(target)}"]`);
    el?.scrollIntoView({ block: 'center' });
    el?.querySelector<HTMLElement>('input, textarea, select')?.focus({ preventScroll: true });
  }, [doc.cells]);

  const dismiss = (mid: number) => setMessages((m) => m.filter((x) => x.id !== mid));
  const say = (text: string, error = false) => {
    const mid = nextMessage.current++;
    setMessages((m) => [...m.slice(-3), { id: mid, text, error }]);
    // news goes away by itself; an error stays until it is dismissed
    if (!error) setTimeout(() => dismiss(mid), 10_000);
  };

  const addCell = (kind: CellKind) => {
    const cell = createCell(kind, newCellId(), randomSeed(), model.defaults);
    focusCell.current = cell.id;
    dispatch({ type: 'addCells', cells: [cell] });
  };

  const upscaleFrom = (ref: ImageRef, fromSize: number) => {
    const base = createCell('upscale', newCellId(), randomSeed(), model.defaults);
    if (base.kind !== 'upscale') return;
    const size = fromSize <= 64 ? (256 as const) : (1024 as const);
    const cell = { ...base, ...model.defaults.upscale[size], source: ref, size };
    focusCell.current = cell.id;
    dispatch({ type: 'addCells', cells: [cell], after: ref.cellId });
  };

  const removeCell = (cellId: string, position: number) => {
    const deps = descendants(doc, cellId);
    const warn = deps.length > 0 ? ` ${deps.length} later cell(s) upscale its images and will lose their source.` : '';
    if (!window.confirm(`Delete cell ${position + 1}?${warn}`)) return;
    runner.cancel(cellId);
    dispatch({ type: 'removeCell', id: cellId });
  };

  const exportJson = () => {
    const blob = new Blob([exportNotebook(doc, new Date().toISOString())], { type: 'application/json' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `${(doc.title || 'notebook').replace(/[^\w.-]+/g, '-').slice(0, 60)}.imagen-notebook.json`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  };

  const recreateFromPngs = async (files: File[]) => {
    const pngs = files.filter(isPng);
    if (pngs.length === 0) return say('Drop a PNG made by imagen-ts or AUTOMATIC1111 to recreate its cell.', true);
    for (const file of pngs) {
      try {
        const result = await client.inspectImage(file);
        const made = recreateFromInspect(result, { file: file.name, newId: () => newCellId(), fallbackSeed: randomSeed(), defaults: model.defaults, modelId: model.defaults.modelId });
        if (!made.ok) {
          say(`Could not recreate a cell from ${file.name}: ${made.error}`, true);
          continue;
        }
        focusCell.current = made.cells[0]?.id ?? null;
        dispatch({ type: 'addCells', cells: made.cells });
        const what = made.chain ? `the chain prompt → ${made.cells.slice(1).map((c) => (c.kind === 'upscale' ? c.size : '?')).join(' → ')} (${made.cells.length} cells)` : 'a prompt cell';
        say(`Recreated ${what} from ${file.name} (${result.source} metadata).${made.warnings.length ? ` Note: ${made.warnings.join('; ')}.` : ''}`);
      } catch (e) {
        say(`Could not read the parameters of ${file.name}: ${describeError(e)}`, true);
      }
    }
  };

  return (
    <div
      className={`workspace${dragging ? ' dragging' : ''}`}
      onDragOver={(e) => {
        if (!e.dataTransfer.types.includes('Files')) return;
        e.preventDefault();
        e.dataTransfer.dropEffect = 'copy';
        setDragging(true);
      }}
      onDragLeave={(e) => {
        if (e.currentTarget === e.target) setDragging(false);
      }}
      onDrop={(e) => {
        e.preventDefault();
        setDragging(false);
        void recreateFromPngs([...e.dataTransfer.files]);
      }}
      data-testid="notebook-workspace"
    >
      <div className="toolbar" role="toolbar" aria-label="Notebook">
        <label className="title-field">
          <span className="sr-only">Notebook title</span>
          <input value={doc.title} onChange={(e) => dispatch({ type: 'setTitle', title: e.target.value })} maxLength={200} placeholder="Untitled notebook" />
        </label>
        <button type="button" className="primary" onClick={() => runner.run({ targets: 'all' })} disabled={doc.cells.length === 0} title="Run every cell in order; unchanged cells cost nothing, random seeds are kept">
          Run all
        </button>
        {addable.map((a) => (
          <button key={a.kind} type="button" onClick={() => addCell(a.kind)}>+ {a.label}</button>
        ))}
        <button type="button" onClick={exportJson}>Export JSON</button>
        <button type="button" onClick={() => pngInput.current?.click()}>Recreate from PNG…</button>
        <input ref={pngInput} type="file" accept="image/png" multiple hidden aria-label="PNG to recreate a cell from" onChange={(e) => {
          const files = [...(e.target.files ?? [])];
          e.target.value = '';
          void recreateFromPngs(files);
        }} />
        <span className="muted small" data-testid="model" title={model.error ? `The edge lists no model (${model.error.message}); new cells use built-in defaults` : undefined}>
          {model.loaded ? `model: ${model.defaults.modelId}` : model.error ? 'model: unavailable' : 'model: …'}
        </span>
        <SaveIndicator state={save.state} />
      </div>
      <ConflictBanner client={client} id={id} state={save.state} mine={doc} onLoadTheirs={(theirs, theirEtag) => {
        dispatch({ type: 'replace', doc: theirs });
        save.adopt(theirEtag, store.get());
      }} onKeepMine={(currentEtag) => save.adopt(currentEtag)} />
      <div aria-live="polite" className="toasts">
        {messages.map((m) => (
          <div key={m.id} className={`toast${m.error ? ' error' : ''}`} role={m.error ? 'alert' : 'status'}>
            <span>{m.text}</span>
            <button type="button" className="icon" onClick={() => dismiss(m.id)} aria-label="Dismiss">✕</button>
          </div>
        ))}
      </div>
      {dragging && <div className="drop-hint" aria-hidden="true">Drop a PNG to recreate its cell</div>}
      {doc.cells.length === 0 && (
        <div className="empty">
          <p>This notebook is empty. Add a prompt cell to start, or drop a PNG made by imagen-ts (or AUTOMATIC1111) here to recreate the cell that made it.</p>
          <button type="button" className="primary" onClick={() => addCell('prompt')}>+ Prompt cell</button>
        </div>
      )}
      {doc.cells.map((cell, i) => (
        <CellView
          key={cell.id}
          cell={cell}
          position={i}
          count={doc.cells.length}
          doc={doc}
          status={statuses.get(cell.id) ?? { status: 'never-run' }}
          runtime={runner.runtime[cell.id]}
          client={client}
          defaults={model.defaults}
          update={(patch) => dispatch({ type: 'updateCell', id: cell.id, patch })}
          onRun={(force) => runner.run({ targets: [cell.id], force })}
          onCancel={() => runner.cancel(cell.id)}
          onMove={(delta) => dispatch({ type: 'moveCell', id: cell.id, delta })}
          onDelete={() => removeCell(cell.id, i)}
          onUpscale={upscaleFrom}
        />
      ))}
    </div>
  );
}
