'use client';
// A cell's status badge (running with an estimate, fresh, stale, …) and its
// live run state: progress, preview, the run's error in the cell.
import Link from 'next/link';
import { useEffect, useRef, useState } from 'react';
import type { CellRuntime } from '../hooks/use-runner.ts';
import type { RunProgress } from '../lib/cell-runner.ts';
import type { CellStatus } from '../lib/cells.ts';

/**
 * Seconds left, from the step times measured so far in this run (the runner's
 * own pace on this model and machine), counting the tasks still to come.
 */
export function estimateSeconds(p: RunProgress | undefined, startedAt: { t: number; step: number; task: number } | undefined, now: number): number | undefined {
  if (!p || p.step === undefined || !p.total || !startedAt || p.task !== startedAt.task) return undefined;
  const done = p.step - startedAt.step;
  if (done < 2) return undefined;
  const perStep = (now - startedAt.t) / 1000 / done;
  const left = p.total - p.step + (p.tasks - p.task - 1) * p.total;
  return Math.max(0, Math.round(perStep * left));
}

function useEstimate(runtime: CellRuntime | undefined): number | undefined {
  const progress = runtime?.phase === 'running' ? runtime.progress : undefined;
  const start = useRef<{ t: number; step: number; task: number } | undefined>(undefined);
  const [now, setNow] = useState(0);
  useEffect(() => {
    if (!progress || progress.phase !== 'running' || progress.step === undefined) {
      if (!progress) start.current = undefined;
      return;
    }
    const t = Date.now();
    if (!start.current || start.current.task !== progress.task || progress.step < start.current.step) start.current = { t, step: progress.step, task: progress.task };
    setNow(t);
  }, [progress]);
  return estimateSeconds(progress, start.current, now);
}

export function StatusBadge({ status, runtime, errorsShown }: { status: CellStatus; runtime: CellRuntime | undefined; errorsShown: boolean }) {
  const eta = useEstimate(runtime);
  if (runtime?.phase === 'running' || runtime?.phase === 'queued') {
    return <span className="badge run" role="status">{runtime.phase === 'queued' ? 'queued' : `running${eta !== undefined ? ` · about ${eta} s left` : ''}`}</span>;
  }
  switch (status.status) {
    case 'note':
      return null;
    case 'never-run':
      return <span className="badge">not run</span>;
    case 'fresh':
      return <span className="badge ok">up to date</span>;
    case 'stale':
      return <span className="badge warn" title="Its outputs were made from other inputs; run it to update">stale: {status.reason === 'inputs' ? 'inputs changed' : 'source changed'}</span>;
    case 'invalid':
      // an untouched new cell is simply not run yet; its errors wait until a field is touched
      return errorsShown ? <span className="badge bad">needs input</span> : <span className="badge">not run</span>;
  }
}

/** "Inputs unchanged: …" is news only for a moment, and never under a cell that has since gone stale. */
function CacheNote({ stale }: { stale: boolean }) {
  const [shown, setShown] = useState(true);
  useEffect(() => {
    const t = setTimeout(() => setShown(false), 5000);
    return () => clearTimeout(t);
  }, []);
  return shown && !stale ? <p role="status" className="small muted toast-inline">Inputs unchanged: outputs taken from the cache, no request made.</p> : null;
}

export function RunState({ runtime, stale }: { runtime: CellRuntime | undefined; stale: boolean }) {
  if (!runtime) return null;
  switch (runtime.phase) {
    case 'queued':
    case 'invalid':
      return null;
    case 'running': {
      const p = runtime.progress;
      const pct = p?.step && p.total ? Math.round((100 * p.step) / p.total) : undefined;
      return (
        <div className="run-state">
          <span className="small" role="status">
            {!p || p.phase === 'submitting' ? 'Submitting…' : p.phase === 'queued' ? 'Waiting for a GPU…' : `Running${p.stage ? ` ${p.stage}` : ''}${p.step !== undefined && p.total ? `: step ${p.step}/${p.total}` : ''}`}
            {p && p.tasks > 1 ? ` (task ${p.task + 1} of ${p.tasks})` : ''}
          </span>
          <progress max={100} value={pct} aria-label="Progress" />
          {(p?.previews ?? (p?.preview ? [p.preview] : [])).map((src, i, all) => (
            <img key={i} className="preview pixelated" src={src} alt={all.length > 1 ? `Preview of image ${i + 1} being denoised` : 'Preview of the image being denoised'} width={128} height={128} />
          ))}
        </div>
      );
    }
    case 'done':
      return runtime.fromCache ? <CacheNote key={runtime.at} stale={stale} /> : null;
    case 'error':
      return (
        <p role="alert" className="error run-error">
          {runtime.message}
          {runtime.auth && <> <Link href="/settings">Check the API key in Settings</Link></>}
        </p>
      );
    case 'canceled':
      return <p role="status" className="small muted">{runtime.message === 'canceled' ? 'Canceled.' : runtime.message}</p>;
  }
}
