'use client';
// One cell: header with status and actions, its fields (collapsed to a summary
// once it has run), live run state, outputs. Shift+Enter anywhere inside runs it
// (renders it, for a note). A field's error shows once, next to the field, and
// only after the field was touched or a run was asked for.
import { useEffect, useRef, useState } from 'react';
import type { CellRuntime } from '../hooks/use-runner.ts';
import type { Cell, ImageRef, NotebookDoc, OutputImage, RunnableCell } from '../lib/cell-types.ts';
import type { CellStatus, FieldError } from '../lib/cells.ts';
import type { EdgeClient } from '../lib/edge-client.ts';
import type { ModelDefaults } from '../lib/model-defaults.ts';
import { shortHash } from '../lib/hash.ts';
import { defaultsFor, differences } from '../lib/model-defaults.ts';
import type { CellPatch } from '../lib/notebook-reducer.ts';
import { expectedOutcome } from '../lib/run-record.ts';
import { NoteBody, PromptBody, SweepBody, UpscaleBody } from './cell-bodies.tsx';
import { CellOutputs } from './cell-outputs.tsx';
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
  defaults: ModelDefaults;
  update: (patch: CellPatch) => void;
  onRun: (force: boolean) => void;
  onCancel: () => void;
  onMove: (delta: -1 | 1) => void;
  onDelete: () => void;
  onUpscale: (ref: ImageRef, fromSize: number) => void;
}

const fieldOf = (e: FieldError) => e.field.replace(/\[.*$/, '');

/** One line that stands for the collapsed fields. */
function summary(cell: RunnableCell): string {
  const sampling = `${cell.sampler} ${cell.steps} steps, guidance ${cell.guidance}`;
  switch (cell.kind) {
    case 'prompt':
      return `“${cell.prompt}” · seed ${cell.seed}${cell.n > 1 ? ` (+${cell.n - 1})` : ''} · ${sampling}`;
    case 'upscale':
      return `to ${cell.size}×${cell.size} · seed ${cell.seed} · noise aug. ${cell.noiseAugmentation} · ${sampling}`;
    case 'sweep':
      return `“${cell.prompt}” · ${cell.seeds.length} seeds × ${cell.values.length} ${cell.axis} values · ${sampling}`;
  }
}

export function CellView(props: CellViewProps) {
  const { cell, position, count, status, runtime, update, onRun, onCancel, onMove, onDelete, defaults } = props;
  const [editingNote, setEditingNote] = useState(cell.kind === 'note' && cell.markdown === '');
  const [touched, setTouched] = useState<ReadonlySet<string>>(new Set());
  const [showAllErrors, setShowAllErrors] = useState(false);
  const ranAt = cell.kind === 'note' ? undefined : cell.run?.ranAt;
  const [paramsOpen, setParamsOpen] = useState(ranAt === undefined);
  const lastRanAt = useRef(ranAt);
  const root = useRef<HTMLElement>(null);
  const active = runtime?.phase === 'running' || runtime?.phase === 'queued';
  const title = `Cell ${position + 1}: ${kindLabel[cell.kind]}`;
  const allErrors = status.status === 'invalid' ? status.errors : [];
  const errors = showAllErrors ? allErrors : allErrors.filter((e) => touched.has(fieldOf(e)));
  const diffs = differences(cell, defaults);

  // a finished run folds the fields away: the images come first
  useEffect(() => {
    if (ranAt !== undefined && ranAt !== lastRanAt.current) setParamsOpen(false);
    lastRanAt.current = ranAt;
  }, [ranAt]);
  // the runner found this cell invalid (run directly, or as another cell's source)
  useEffect(() => {
    if (runtime?.phase === 'invalid') reveal();
  }, [runtime]);

  function reveal() {
    setShowAllErrors(true);
    setParamsOpen(true);
    // after the errors render: the first invalid field gets focus
    setTimeout(() => root.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus(), 0);
  }

  const edit = (patch: CellPatch) => {
    setTouched((prev) => new Set([...prev, ...Object.keys(patch)]));
    update(patch);
  };
  const run = (force: boolean) => {
    if (status.status === 'invalid') return reveal();
    onRun(force);
  };
  const onKeyDown = (e: React.KeyboardEvent) => {
    if (e.key !== 'Enter' || !e.shiftKey) return;
    e.preventDefault();
    if (cell.kind === 'note') setEditingNote(false);
    else if (!active) run(false);
  };
  const body = { update: edit, errors, defaults, diffs, client: props.client };

  return (
    <section ref={root} className={`cell cell-${cell.kind} status-${status.status === "invalid" && errors.length === 0 ? "never-run" : status.status}`} aria-label={title} onKeyDown={onKeyDown} data-cell-id={cell.id}>
      <header className="cell-head">
        <h2>
          <span className="cell-pos">[{position + 1}]</span> {kindLabel[cell.kind]}
        </h2>
        <StatusBadge status={status} runtime={runtime} errorsShown={errors.length > 0} />
        <ExpectedBadge cell={cell} />
        <div className="spacer" />
        {cell.kind === 'note' ? (
          <button type="button" onClick={() => setEditingNote(!editingNote)}>{editingNote ? 'Render' : 'Edit'}</button>
        ) : active ? (
          <button type="button" className="danger" onClick={onCancel} aria-label={`Cancel ${title}`}>Cancel</button>
        ) : (
          <>
            <button type="button" className="primary" onClick={() => run(false)} aria-label={`Run ${title}`} title="Run (Shift+Enter); unchanged inputs cost nothing">Run</button>
            <button type="button" onClick={() => run(true)} disabled={!cell.run} aria-label={`Re-run ${title} and compare`} title="Run again without the cache and compare each image's sha256 with the stored one">Re-run &amp; compare</button>
          </>
        )}
        <button type="button" className="icon" onClick={() => onMove(-1)} disabled={position === 0} aria-label={`Move ${title} up`}>↑</button>
        <button type="button" className="icon" onClick={() => onMove(1)} disabled={position === count - 1} aria-label={`Move ${title} down`}>↓</button>
        <button type="button" className="icon danger" onClick={onDelete} aria-label={`Delete ${title}`}>✕</button>
      </header>
      {cell.kind === 'note' ? (
        <NoteBody cell={cell} update={update} editing={editingNote} />
      ) : (
        <details className="params-box" open={paramsOpen} onToggle={(e) => setParamsOpen(e.currentTarget.open)}>
          <summary>
            <span className="small">{paramsOpen ? 'Parameters' : summary(cell)}</span>
            {diffs.length > 0 && <span className="badge warn" title={`Differs from the model's defaults: ${diffs.map((d) => d.field).join(', ')}`}>{diffs.length} differ from the model</span>}
          </summary>
          {cell.kind === 'prompt' && <PromptBody cell={cell} {...body} />}
          {cell.kind === 'sweep' && <SweepBody cell={cell} {...body} />}
          {cell.kind === 'upscale' && <UpscaleBody cell={cell} {...body} doc={props.doc} />}
          {diffs.length > 0 && (
            <p className="row small">
              <span className="muted">Model defaults ({defaults.modelId ?? 'built-in'}): {diffs.map((d) => `${d.field} ${d.model}`).join(', ')}.</span>
              <button type="button" onClick={() => edit(defaultsFor(cell, defaults))}>Reset to model defaults</button>
            </p>
          )}
        </details>
      )}
      <RunState runtime={runtime} stale={status.status === 'stale'} />
      {cell.kind !== 'note' && <Outputs {...props} cell={cell} />}
    </section>
  );
}

/** A cell recreated from a PNG: does its last run make the pixels that PNG's chain recorded? */
function ExpectedBadge({ cell }: { cell: Cell }) {
  if ((cell.kind !== 'prompt' && cell.kind !== 'upscale') || !cell.expected) return null;
  const { file, pixelSha256 } = cell.expected;
  const outcome = expectedOutcome(cell);
  const hash = `pixel hash ${shortHash(pixelSha256)}`;
  if (outcome === 'reproduced') return <span className="badge ok" data-testid="expected" title={`Its image has the ${hash} recorded in ${file}: the same pixels`}>reproduces {file}</span>;
  if (outcome === 'differs') return <span className="badge bad" data-testid="expected" title={`${file} recorded the ${hash}; this run made other pixels`}>differs from {file}</span>;
  return <span className="badge" data-testid="expected" title={`Recreated from ${file}; a run should make the ${hash}`}>from {file}</span>;
}

function Outputs({ cell, runtime, client, onUpscale, position }: CellViewProps & { cell: RunnableCell }) {
  const partial = runtime?.phase === 'running' ? runtime.progress?.images : undefined;
  const images: OutputImage[] = partial && partial.length > 0 ? partial : (cell.run?.images ?? []);
  if (images.length === 0) return cell.run ? <p className="muted small">The last run produced no images.</p> : null;
  return <CellOutputs cell={cell} images={images} position={position} client={client} onUpscale={onUpscale} />;
}
