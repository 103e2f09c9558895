'use client';
// A cell's saved status (fresh, stale, …) and its live run state.
import type { CellStatus } from '../lib/cells.ts';
import type { CellRuntime } from '../hooks/use-runner.ts';

export function StatusBadge({ status }: { status: CellStatus }) {
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
      return <span className="badge bad">needs input</span>;
  }
}

export function RunState({ runtime }: { runtime: CellRuntime | undefined }) {
  if (!runtime) return null;
  switch (runtime.phase) {
    case 'queued':
      return <p role="status" className="small muted">Queued…</p>;
    case 'running': {
      const p = runtime.progress;
      const pct = p?.step && p.total ? Math.round((100 * p.step) / p.total) : undefined;
      return (
        <div className="run-state" role="status" aria-live="polite">
          <span className="small">
            {!p || p.phase === 'submitting' ? 'Submitting…' : p.phase === 'queued' ? 'Waiting for a GPU…' : `Running${p.stage ? ` ${p.stage}` : ''}${p.step !== undefined && p.total ? `: step ${p.step}/${p.total}` : ''}`}
            {p && p.tasks > 1 ? ` (task ${p.task + 1} of ${p.tasks})` : ''}
          </span>
          <progress max={100} value={pct} aria-label="Progress" />
          {p?.preview && <img className="preview pixelated" src={p.preview} alt="Preview of the image being denoised" width={128} height={128} />}
        </div>
      );
    }
    case 'done':
      return runtime.fromCache ? <p role="status" className="small muted">Inputs unchanged: outputs taken from the cache, no request made.</p> : null;
    case 'error':
      return <p role="alert" className="error">{runtime.message}</p>;
    case 'canceled':
      return <p role="status" className="small muted">{runtime.message === 'canceled' ? 'Canceled.' : runtime.message}</p>;
  }
}
