// Turning task results into notebook state: the output cache, a cell's run
// record, reproducibility matches, and the seed roll of random-seed cells.
import type { Cell, CellRun, MatchKind, NotebookDoc, OutputImage } from './cell-types.ts';
import { randomSeed } from './cell-types.ts';
import type { Task, TaskPlan, UpscaleTask } from './cells.ts';
import { findCell } from './cells.ts';

export interface TaskResult {
  task: Task;
  images: OutputImage[];
  fromCache: boolean;
}

export function expectedImageCount(task: Task): number {
  return task.kind === 'generate' ? task.input.n : 1;
}

/** The cached images of a task, when the cache holds a complete set. */
export function cachedImages(doc: NotebookDoc, task: Task): OutputImage[] | undefined {
  const images = doc.cache[task.hash];
  return images && images.length === expectedImageCount(task) ? images : undefined;
}

/** The image an upscale task starts from, once the task that makes it has run. */
export function sourceImage(doc: NotebookDoc, task: UpscaleTask): OutputImage | undefined {
  return doc.cache[task.source.taskHash]?.[task.source.index];
}

/**
 * Same file, same pixels in a file whose metadata differs, or other pixels. Without
 * both pixel hashes (images of older runs) only the files can be compared.
 */
export function compareImages(before: Pick<OutputImage, 'sha256' | 'pixelSha256'>, now: Pick<OutputImage, 'sha256' | 'pixelSha256'>): MatchKind {
  if (before.sha256 === now.sha256) return 'matched';
  if (before.pixelSha256 !== undefined && now.pixelSha256 !== undefined && before.pixelSha256 === now.pixelSha256) return 'pixels-match';
  return 'differs';
}

/**
 * Marks each fresh image against the image stored for the same task and index.
 * With nothing stored there is nothing to compare: no mark.
 */
export function markMatches(previous: readonly OutputImage[] | undefined, fresh: readonly OutputImage[]): OutputImage[] {
  return fresh.map((img) => {
    const { match: _old, matchNote: _note, ...rest } = img;
    const before = previous?.find((p) => p.index === img.index);
    if (!before) return rest;
    return { ...rest, match: compareImages(before, img) };
  });
}

/** Whether a cell recreated from a PNG made the pixels that PNG's chain recorded; undefined before it ran. */
export function expectedOutcome(cell: Cell): 'reproduced' | 'differs' | undefined {
  if ((cell.kind !== 'prompt' && cell.kind !== 'upscale') || !cell.expected || !cell.run) return undefined;
  const first = cell.run.images[0];
  if (!first?.pixelSha256) return undefined;
  return first.pixelSha256 === cell.expected.pixelSha256 ? 'reproduced' : 'differs';
}

/**
 * Records a finished run: fills the cache with the tasks that actually ran and
 * stores the run on the cell. The hashes are the plan's, taken when the run
 * started, so an edit made while it ran leaves the cell stale, as it should.
 */
export function recordRun(doc: NotebookDoc, cellId: string, plan: Extract<TaskPlan, { ok: true }>, results: readonly TaskResult[], ranAt: string): NotebookDoc {
  const cache = { ...doc.cache };
  const images: OutputImage[] = [];
  for (const r of results) {
    if (!r.fromCache) cache[r.task.hash] = r.images;
    images.push(...r.images);
  }
  const run: CellRun = {
    inputHash: plan.inputHash,
    ownHash: plan.ownHash,
    taskHashes: plan.tasks.map((t) => t.hash),
    images,
    ranAt,
    fromCache: results.every((r) => r.fromCache),
  };
  const first = plan.tasks[0];
  if (first?.kind === 'upscale') {
    const src = sourceImage(doc, first);
    if (src) run.sourceSha256 = src.sha256;
  }
  const cells = doc.cells.map((c): Cell => (c.id === cellId && c.kind !== 'note' ? { ...c, run } : c));
  return { ...doc, cells, cache };
}

/**
 * A random-seed cell draws a new seed when it is run on its own; "run all" keeps
 * the seed it has, so bringing a notebook up to date never re-rolls dice.
 */
export function rollSeed(doc: NotebookDoc, cellId: string, explicit: boolean, rng: () => number = Math.random): NotebookDoc {
  const cell = findCell(doc, cellId);
  if (!explicit || !cell || (cell.kind !== 'prompt' && cell.kind !== 'upscale') || cell.seedMode !== 'random') return doc;
  const seed = randomSeed(rng);
  return { ...doc, cells: doc.cells.map((c) => (c.id === cellId ? { ...cell, seed } : c)) };
}

/**
 * Bounds the cache: entries that a cell's current run uses are always kept;
 * beyond that the oldest entries go first (objects keep insertion order).
 */
export function pruneCache(doc: NotebookDoc, maxEntries: number): NotebookDoc {
  const keys = Object.keys(doc.cache);
  if (keys.length <= maxEntries) return doc;
  const used = new Set<string>();
  for (const c of doc.cells) if (c.kind !== 'note' && c.run) for (const h of c.run.taskHashes) used.add(h);
  let excess = keys.length - maxEntries;
  const cache: Record<string, OutputImage[]> = {};
  for (const k of keys) {
    if (excess > 0 && !used.has(k)) {
      excess--;
      continue;
    }
    cache[k] = doc.cache[k]!;
  }
  return { ...doc, cache };
}
