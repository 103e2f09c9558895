'use client';
// One cell: header with status and actions, its fields, live run state, outputs.
// Shift+Enter anywhere inside runs it (renders it, for a note).
import { useState } from 'react';
import type { CellRuntime } from '../hooks/use-runner.ts';
import type { Cell, ImageRef, NotebookDoc, OutputImage, RunnableCell } from '../lib/cell-types.ts';
import type { CellStatus } from '../lib/cells.ts';
import type { EdgeClient } from '../lib/edge-client.ts';
import type { CellPatch } from '../lib/notebook-reducer.ts';
import { NoteBody, PromptBody, SweepBody, UpscaleBody } from './cell-bodies.tsx';
import { ImageCard } from './image-card.tsx';
import { RunState, StatusBadge } from './run-status.tsx';

const kindLabel: Record<Cell['kind'], string> = { prompt: 'Prompt', upscale: 'Upscale', sweep: 'Sweep', note: 'Note' };

export interface CellViewProps {
  cell: Cell;
  position: number;
  count: number;
  doc: NotebookDoc;
  status: CellStatus;
  runtime: CellRuntime | undefined;
  client: EdgeClient;
  update: (patch: CellPatch) => void;
  onRun: (force: boolean) => void;
  onCancel: () => void;
  onMove: (delta: -1 | 1) => void;
  onDelete: () => void;
  onUpscale: (ref: ImageRef, fromSize: number) => void;
}

export function CellView(props: CellViewProps) {
  const { cell, position, count, status, runtime, update, onRun, onCancel, onMove, onDelete } = props;
  const [editingNote, setEditingNote] = useState(cell.kind === 'note' && cell.markdown === '');
  const active = runtime?.phase === 'running' || runtime?.phase === 'queued';
  const title = `Cell ${position + 1}: ${kindLabel[cell.kind]}`;
  const errors = status.status === 'invalid' ? status.errors : [];

  const onKeyDown = (e: React.KeyboardEvent) => {
    if (e.key !== 'Enter' || !e.shiftKey) return;
    e.preventDefault();
    if (cell.kind === 'note') setEditingNote(false);
    else if (!active) onRun(false);
  };

  return (
    <section className={`cell cell-${cell.kind} status-${status.status}`} aria-label={title} onKeyDown={onKeyDown} data-cell-id={cell.id}>
      <header className="cell-head">
        <h2>
          <span className="cell-pos">[{position + 1}]</span> {kindLabel[cell.kind]}
        </h2>
        <StatusBadge status={status} />
        <div className="spacer" />
        {cell.kind === 'note' ? (
          <button type="button" onClick={() => setEditingNote(!editingNote)}>{editingNote ? 'Render' : 'Edit'}</button>
        ) : active ? (
          <button type="button" className="danger" onClick={onCancel} aria-label={`Cancel ${title}`}>Cancel</button>
        ) : (
          <>
            <button type="button" className="primary" onClick={() => onRun(false)} aria-label={`Run ${title}`} title="Run (Shift+Enter); unchanged inputs cost nothing">Run</button>
            <button type="button" onClick={() => onRun(true)} disabled={!cell.run} aria-label={`Re-run ${title} and compare`} title="Run again without the cache and compare each image's sha256 with the stored one">Re-run &amp; compare</button>
          </>
        )}
        <button type="button" className="icon" onClick={() => onMove(-1)} disabled={position === 0} aria-label={`Move ${title} up`}>↑</button>
        <button type="button" className="icon" onClick={() => onMove(1)} disabled={position === count - 1} aria-label={`Move ${title} down`}>↓</button>
        <button type="button" className="icon danger" onClick={onDelete} aria-label={`Delete ${title}`}>✕</button>
      </header>
      {cell.kind === 'prompt' && <PromptBody cell={cell} update={update} errors={errors} />}
      {cell.kind === 'sweep' && <SweepBody cell={cell} update={update} errors={errors} />}
      {cell.kind === 'upscale' && <UpscaleBody cell={cell} update={update} errors={errors} doc={props.doc} />}
      {cell.kind === 'note' && <NoteBody cell={cell} update={update} editing={editingNote} />}
      {errors.length > 0 && cell.kind !== 'note' && (
        <ul className="error small" aria-label="Problems">
          {errors.map((e) => <li key={`${e.field}:${e.message}`}>{e.message}</li>)}
        </ul>
      )}
      <RunState runtime={runtime} />
      {cell.kind !== 'note' && <Outputs {...props} cell={cell} />}
    </section>
  );
}

function Outputs({ cell, runtime, client, onUpscale, position }: CellViewProps & { cell: RunnableCell }) {
  const partial = runtime?.phase === 'running' ? runtime.progress?.images : undefined;
  const images: OutputImage[] = partial && partial.length > 0 ? partial : (cell.run?.images ?? []);
  if (images.length === 0) return cell.run ? <p className="muted small">The last run produced no images.</p> : null;
  const card = (img: OutputImage, i: number, label: string) => (
    <ImageCard
      client={client}
      image={img}
      label={label}
      onUpscale={img.width < 1024 ? () => onUpscale({ cellId: cell.id, index: i }, img.width) : undefined}
    />
  );
  if (cell.kind === 'sweep') {
    // Row-major by seed: a row ends where the seed changes.
    const firstSeed = images[0]!.seed;
    const cols = Math.max(1, images.findIndex((img) => img.seed !== firstSeed) === -1 ? images.length : images.findIndex((img) => img.seed !== firstSeed));
    const axis = cell.axis;
    return (
      <div className="sweep-grid" style={{ gridTemplateColumns: `repeat(${cols}, minmax(0, max-content))` }} role="list" aria-label={`Sweep of seeds × ${axis}`}>
        {images.map((img, i) => (
          <div role="listitem" key={`${img.imageId}:${i}`}>
            {card(img, i, `seed ${img.seed}, ${axis} ${axis === 'steps' ? img.params.steps : img.params.guidance}`)}
          </div>
        ))}
      </div>
    );
  }
  return (
    <div className="image-grid" role="list" aria-label={`Outputs of cell ${position + 1}`}>
      {images.map((img, i) => (
        <div role="listitem" key={`${img.imageId}:${i}`}>
          {card(img, i, `Image ${i + 1}`)}
        </div>
      ))}
    </div>
  );
}
