// Pure notebook semantics: validation, the tasks a cell runs, input hashing,
// staleness and lineage. Outputs are input-addressed: a task's hash covers every
// value that determines its images, and an upscale task's hash covers the hash of
// the task that made its source image, so a change anywhere up the chain changes
// every hash below it. That one rule gives caching ("same hash → same images, no
// request"), staleness ("hash differs from the one the stored run used") and
// parent propagation ("the parent's hash is part of mine").
import type { Canonical } from './hash.ts';
import { hashValue } from './hash.ts';
import type { Cell, NotebookDoc, PromptCell, RunnableCell, Sampler, SweepCell, UpscaleCell, UpscaleSize } from './cell-types.ts';
import { baseSize, imageCount, inputSizeFor, isRunnable, limits, outputSize, samplers } from './cell-types.ts';

export interface FieldError {
  field: string;
  message: string;
}

export interface GenerateInput {
  prompt: string;
  negativePrompt: string;
  seed: number;
  n: number;
  size: typeof baseSize;
  steps: number;
  sampler: Sampler;
  guidance: number;
}

export interface UpscaleInput {
  size: UpscaleSize;
  seed: number;
  noiseAugmentation: number;
  steps: number;
  sampler: Sampler;
  guidance: number;
}

export interface GenerateTask {
  kind: 'generate';
  hash: string;
  input: GenerateInput;
}

/** source: the task that produced the image to upscale, and the image's index in it */
export interface UpscaleTask {
  kind: 'upscale';
  hash: string;
  source: { taskHash: string; index: number };
  input: UpscaleInput;
}

export type Task = GenerateTask | UpscaleTask;

export type TaskPlan =
  | { ok: true; tasks: Task[]; inputHash: string; ownHash: string }
  | { ok: false; errors: FieldError[] };

export type CellStatus =
  | { status: 'note' }
  | { status: 'invalid'; errors: FieldError[] }
  | { status: 'never-run' }
  | { status: 'fresh' }
  | { status: 'stale'; reason: 'inputs' | 'source' };

function intIn(errors: FieldError[], field: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) errors.push({ field, message: `${field} must be an integer in [${min}, ${max}], got ${value}` });
}

function numIn(errors: FieldError[], field: string, value: number, min: number, max: number): void {
  if (!Number.isFinite(value) || value < min || value > max) errors.push({ field, message: `${field} must be a number in [${min}, ${max}], got ${value}` });
}

function checkSampling(errors: FieldError[], cell: { steps: number; sampler: Sampler; guidance: number }): void {
  intIn(errors, 'steps', cell.steps, 1, limits.stepsMax);
  numIn(errors, 'guidance', cell.guidance, 0, limits.guidanceMax);
  if (!samplers.includes(cell.sampler)) errors.push({ field: 'sampler', message: `sampler must be one of ${samplers.join(', ')}, got ${String(cell.sampler)}` });
}

function checkPrompt(errors: FieldError[], prompt: string, negativePrompt: string): void {
  if (prompt.trim() === '') errors.push({ field: 'prompt', message: 'prompt must not be empty' });
  if (prompt.length > limits.promptMaxChars) errors.push({ field: 'prompt', message: `prompt must be at most ${limits.promptMaxChars} characters` });
  if (negativePrompt.length > limits.promptMaxChars) errors.push({ field: 'negativePrompt', message: `negativePrompt must be at most ${limits.promptMaxChars} characters` });
}

export function cellIndex(doc: NotebookDoc, cellId: string): number {
  return doc.cells.findIndex((c) => c.id === cellId);
}

export function findCell(doc: NotebookDoc, cellId: string): Cell | undefined {
  return doc.cells.find((c) => c.id === cellId);
}

/** Field-level problems that keep a cell from running (empty for a note). */
export function validateCell(doc: NotebookDoc, cell: Cell): FieldError[] {
  const errors: FieldError[] = [];
  switch (cell.kind) {
    case 'note':
      return errors;
    case 'prompt':
      checkPrompt(errors, cell.prompt, cell.negativePrompt);
      intIn(errors, 'seed', cell.seed, 0, limits.seedMax);
      intIn(errors, 'n', cell.n, 1, limits.nMax);
      checkSampling(errors, cell);
      return errors;
    case 'sweep': {
      checkPrompt(errors, cell.prompt, cell.negativePrompt);
      checkSampling(errors, cell);
      if (cell.seeds.length === 0 || cell.seeds.length > limits.sweepAxisMax) errors.push({ field: 'seeds', message: `seeds must list 1 to ${limits.sweepAxisMax} seeds` });
      cell.seeds.forEach((s, i) => intIn(errors, `seeds[${i}]`, s, 0, limits.seedMax));
      if (cell.values.length === 0 || cell.values.length > limits.sweepAxisMax) errors.push({ field: 'values', message: `values must list 1 to ${limits.sweepAxisMax} ${cell.axis} values` });
      cell.values.forEach((v, i) => {
        if (cell.axis === 'steps') intIn(errors, `values[${i}]`, v, 1, limits.stepsMax);
        else numIn(errors, `values[${i}]`, v, 0, limits.guidanceMax);
      });
      const points = cell.seeds.length * cell.values.length;
      if (points > limits.sweepPointsMax) errors.push({ field: 'values', message: `a sweep may have at most ${limits.sweepPointsMax} points, this one has ${points}` });
      return errors;
    }
    case 'upscale':
      intIn(errors, 'seed', cell.seed, 0, limits.seedMax);
      intIn(errors, 'noiseAugmentation', cell.noiseAugmentation, 0, limits.noiseAugmentationMax);
      checkSampling(errors, cell);
      if (cell.size !== 256 && cell.size !== 1024) errors.push({ field: 'size', message: `size must be 256 or 1024, got ${String(cell.size)}` });
      errors.push(...validateSource(doc, cell));
      return errors;
  }
}

function validateSource(doc: NotebookDoc, cell: UpscaleCell): FieldError[] {
  if (!cell.source) return [{ field: 'source', message: 'choose an image to upscale (the "Upscale" button on an image of an earlier cell)' }];
  const own = cellIndex(doc, cell.id);
  const at = cellIndex(doc, cell.source.cellId);
  const parent = doc.cells[at];
  if (at < 0 || !parent) return [{ field: 'source', message: 'the source cell no longer exists' }];
  if (own >= 0 && at >= own) return [{ field: 'source', message: 'the source must be an earlier cell' }];
  if (!isRunnable(parent)) return [{ field: 'source', message: 'the source must be a prompt, sweep or upscale cell' }];
  const count = imageCount(parent);
  if (!Number.isInteger(cell.source.index) || cell.source.index < 0 || cell.source.index >= count) {
    return [{ field: 'source', message: `the source cell has ${count} image(s); image ${cell.source.index + 1} does not exist` }];
  }
  const need = inputSizeFor(cell.size);
  if (outputSize(parent) !== need) {
    return [{ field: 'source', message: `a ${cell.size}×${cell.size} upscale needs a ${need}×${need} image; the source cell makes ${outputSize(parent)}×${outputSize(parent)}` }];
  }
  return [];
}

/**
 * The cell's own fields: everything except identity, results and the seed mode
 * (locking a seed does not change what the cell makes).
 */
function ownFields(cell: RunnableCell): Canonical {
  const { id: _id, run: _run, ...rest } = cell;
  if ('seedMode' in rest) delete (rest as { seedMode?: unknown }).seedMode;
  // what a recreated cell should reproduce is a check on its output, not an input
  if ('expected' in rest) delete (rest as { expected?: unknown }).expected;
  return rest as unknown as Canonical;
}

function generateTask(input: GenerateInput): GenerateTask {
  return { kind: 'generate', hash: hashValue({ task: 'generate', ...input }), input };
}

function promptTasks(cell: PromptCell): Task[] {
  const { prompt, negativePrompt, seed, n, size, steps, sampler, guidance } = cell;
  return [generateTask({ prompt, negativePrompt, seed, n, size, steps, sampler, guidance })];
}

/** Row-major: point k is seeds[k / values.length] at values[k % values.length]. */
function sweepTasks(cell: SweepCell): Task[] {
  const tasks: Task[] = [];
  for (const seed of cell.seeds) {
    for (const value of cell.values) {
      tasks.push(generateTask({
        prompt: cell.prompt,
        negativePrompt: cell.negativePrompt,
        seed,
        n: 1,
        size: baseSize,
        steps: cell.axis === 'steps' ? value : cell.steps,
        sampler: cell.sampler,
        guidance: cell.axis === 'guidance' ? value : cell.guidance,
      }));
    }
  }
  return tasks;
}

/** Where image `index` of a cell's outputs comes from, given the cell's tasks. */
export function imageOrigin(cell: RunnableCell, tasks: readonly Task[], index: number): { taskHash: string; index: number } | undefined {
  const task = cell.kind === 'sweep' ? tasks[index] : tasks[0];
  if (!task) return undefined;
  return { taskHash: task.hash, index: cell.kind === 'sweep' ? 0 : index };
}

/**
 * The tasks the cell would run now, with its input hash. Recurses up the source
 * chain; sources are always earlier cells, so it terminates.
 */
export function planTasks(doc: NotebookDoc, cellId: string): TaskPlan {
  const cell = findCell(doc, cellId);
  if (!cell) return { ok: false, errors: [{ field: 'cell', message: `no cell ${cellId}` }] };
  if (!isRunnable(cell)) return { ok: false, errors: [{ field: 'cell', message: 'a note cell does not run' }] };
  const errors = validateCell(doc, cell);
  if (errors.length > 0) return { ok: false, errors };
  const ownHash = hashValue(ownFields(cell));
  let tasks: Task[];
  if (cell.kind === 'prompt') tasks = promptTasks(cell);
  else if (cell.kind === 'sweep') tasks = sweepTasks(cell);
  else {
    // validateSource guarantees a runnable, earlier parent with that image index.
    const source = cell.source!;
    const parent = findCell(doc, source.cellId) as RunnableCell;
    const parentPlan = planTasks(doc, parent.id);
    if (!parentPlan.ok) return { ok: false, errors: [{ field: 'source', message: `the source cell cannot run: ${parentPlan.errors.map((e) => e.message).join('; ')}` }] };
    const origin = imageOrigin(parent, parentPlan.tasks, source.index)!;
    const { size, seed, noiseAugmentation, steps, sampler, guidance } = cell;
    const input: UpscaleInput = { size, seed, noiseAugmentation, steps, sampler, guidance };
    tasks = [{ kind: 'upscale', hash: hashValue({ task: 'upscale', source: origin, ...input }), source: origin, input }];
  }
  const inputHash = hashValue({ own: ownHash, tasks: tasks.map((t) => t.hash) });
  return { ok: true, tasks, inputHash, ownHash };
}

export function cellStatus(doc: NotebookDoc, cellId: string): CellStatus {
  const cell = findCell(doc, cellId);
  if (!cell || cell.kind === 'note') return { status: 'note' };
  const plan = planTasks(doc, cellId);
  if (!plan.ok) return { status: 'invalid', errors: plan.errors };
  if (!cell.run) return { status: 'never-run' };
  if (cell.run.inputHash === plan.inputHash) {
    // Same inputs, but a forced re-run upstream may have replaced the source
    // image with a different one (a non-reproducible run): then this is stale too.
    const first = plan.tasks[0];
    if (first?.kind === 'upscale' && cell.run.sourceSha256 !== undefined) {
      const src = doc.cache[first.source.taskHash]?.[first.source.index];
      if (src && src.sha256 !== cell.run.sourceSha256) return { status: 'stale', reason: 'source' };
    }
    return { status: 'fresh' };
  }
  return { status: 'stale', reason: cell.run.ownHash === plan.ownHash ? 'source' : 'inputs' };
}

/** The cell's source chain, root first (empty for cells without a source). */
export function ancestors(doc: NotebookDoc, cellId: string): string[] {
  const chain: string[] = [];
  const seen = new Set<string>([cellId]);
  let cell = findCell(doc, cellId);
  while (cell?.kind === 'upscale' && cell.source) {
    const parentId = cell.source.cellId;
    // A malformed import could hold a cycle; the walk must still end.
    if (seen.has(parentId)) break;
    seen.add(parentId);
    const parent = findCell(doc, parentId);
    if (!parent) break;
    chain.unshift(parentId);
    cell = parent;
  }
  return chain;
}

/** Every cell whose source chain passes through cellId, in notebook order. */
export function descendants(doc: NotebookDoc, cellId: string): string[] {
  return doc.cells.filter((c) => c.id !== cellId && ancestors(doc, c.id).includes(cellId)).map((c) => c.id);
}

/**
 * The cells to run, in notebook order, so that each target runs after the
 * sources it depends on: a target's not-fresh ancestors come along.
 */
export function planRun(doc: NotebookDoc, targetIds: readonly string[]): string[] {
  const wanted = new Set<string>();
  for (const id of targetIds) {
    const cell = findCell(doc, id);
    if (!cell || !isRunnable(cell)) continue;
    for (const a of ancestors(doc, id)) {
      if (cellStatus(doc, a).status !== 'fresh') wanted.add(a);
    }
    wanted.add(id);
  }
  return doc.cells.filter((c) => wanted.has(c.id)).map((c) => c.id);
}

/** Every runnable cell in order: what "run all" runs (fresh ones come from the cache). */
export function runAllPlan(doc: NotebookDoc): string[] {
  return doc.cells.filter(isRunnable).map((c) => c.id);
}
