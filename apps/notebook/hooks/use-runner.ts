'use client';
// Runs cells against the edge, one session at a time, in notebook order, and
// keeps the transient state of each cell (queued, progress, previews, errors),
// which is not part of the saved notebook.
import { useCallback, useRef, useState } from 'react';
import type { RunProgress } from '../lib/cell-runner.ts';
import { RunCanceled, RunFailed, runTasks } from '../lib/cell-runner.ts';
import { findCell, planRun, planTasks, runAllPlan } from '../lib/cells.ts';
import type { EdgeClient } from '../lib/edge-client.ts';
import { EdgeError, describeError } from '../lib/edge-client.ts';
import { rollSeed } from '../lib/run-record.ts';
import type { DocStore } from './use-doc-store.ts';

export type CellRuntime =
  | { phase: 'queued' }
  | { phase: 'running'; progress?: RunProgress }
  /** `at` tells one finished run from the next (its transient note restarts) */
  | { phase: 'done'; fromCache: boolean; at: number }
  /** the cell's own fields are invalid: the cell shows each error next to its field */
  | { phase: 'invalid' }
  /** auth: the edge refused the API key, so the message links to Settings */
  | { phase: 'error'; message: string; auth?: boolean }
  | { phase: 'canceled'; message: string };

export interface RunRequest {
  /** cell ids, or every runnable cell */
  targets: string[] | 'all';
  /** bypass the cache for the targets: a reproducibility check */
  force?: boolean;
}

export interface Runner {
  runtime: Record<string, CellRuntime>;
  run: (r: RunRequest) => void;
  cancel: (cellId: string) => void;
  busy: boolean;
}

export function useRunner(client: EdgeClient, store: DocStore): Runner {
  const [runtime, setRuntime] = useState<Record<string, CellRuntime>>({});
  const [active, setActive] = useState(0);
  const sessions = useRef(new Map<AbortController, Set<string>>());
  const chain = useRef<Promise<void>>(Promise.resolve());

  const set = useCallback((id: string, r: CellRuntime) => setRuntime((prev) => ({ ...prev, [id]: r })), []);

  const session = useCallback(async (req: RunRequest, controller: AbortController, ids: Set<string>) => {
    const doc0 = store.get();
    const order = req.targets === 'all' ? runAllPlan(doc0) : planRun(doc0, req.targets);
    for (const id of order) ids.add(id);
    setRuntime((prev) => ({ ...prev, ...Object.fromEntries(order.map((id) => [id, { phase: 'queued' }])) }));
    const stopRest = (from: number, message: string) => {
      for (const id of order.slice(from)) set(id, { phase: 'canceled', message });
    };
    for (let i = 0; i < order.length; i++) {
      const id = order[i]!;
      if (controller.signal.aborted) return stopRest(i, 'canceled');
      if (!findCell(store.get(), id)) continue;
      const explicit = req.targets !== 'all' && req.targets.includes(id);
      const rolled = rollSeed(store.get(), id, explicit);
      const cell = findCell(rolled, id);
      if (rolled !== store.get() && cell && (cell.kind === 'prompt' || cell.kind === 'upscale')) store.dispatch({ type: 'updateCell', id, patch: { seed: cell.seed } });
      const doc = store.get();
      const plan = planTasks(doc, id);
      if (!plan.ok) {
        set(id, { phase: 'invalid' });
        return stopRest(i + 1, 'not run: an earlier cell could not run');
      }
      set(id, { phase: 'running' });
      try {
        const results = await runTasks(client, doc, plan.tasks, {
          force: Boolean(req.force) && explicit,
          signal: controller.signal,
          onProgress: (progress) => set(id, { phase: 'running', progress }),
        });
        store.dispatch({ type: 'recordRun', cellId: id, plan, results, ranAt: new Date().toISOString() });
        set(id, { phase: 'done', fromCache: results.every((r) => r.fromCache), at: Date.now() });
      } catch (e) {
        if (e instanceof RunCanceled || e instanceof RunFailed) store.dispatch({ type: 'cacheResults', results: e.partial });
        if (e instanceof RunCanceled || controller.signal.aborted) {
          set(id, { phase: 'canceled', message: 'canceled' });
          return stopRest(i + 1, 'canceled');
        }
        const status = e instanceof RunFailed || e instanceof EdgeError ? e.status : undefined;
        const auth = status === 401 || status === 403;
        set(id, { phase: 'error', message: e instanceof RunFailed ? e.message : describeError(e), ...(auth ? { auth } : {}) });
        return stopRest(i + 1, 'not run: an earlier cell failed');
      }
    }
  }, [client, store, set]);

  const run = useCallback((req: RunRequest) => {
    const controller = new AbortController();
    const ids = new Set(req.targets === 'all' ? [] : req.targets);
    sessions.current.set(controller, ids);
    setActive((n) => n + 1);
    const targets = req.targets;
    if (targets !== 'all') setRuntime((prev) => ({ ...prev, ...Object.fromEntries(targets.map((id) => [id, { phase: 'queued' }])) }));
    chain.current = chain.current
      .then(() => session(req, controller, ids))
      .catch((e: unknown) => console.error('notebook run failed', e))
      .finally(() => {
        sessions.current.delete(controller);
        setActive((n) => n - 1);
      });
  }, [session]);

  const cancel = useCallback((cellId: string) => {
    for (const [controller, ids] of sessions.current) if (ids.has(cellId)) controller.abort();
  }, []);

  return { runtime, run, cancel, busy: active > 0 };
}
