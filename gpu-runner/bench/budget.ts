// The per-request time budget of `npm run bench`: for one request at each size,
// the wall time against the sum of its U-Net (ONNX) calls, and everything else
// by phase (the engine's CascadeOptions.onPhase hook). What no phase claims is
// "awaits": the event-loop turns between an ONNX call finishing and the engine
// resuming, and between stages. Also the last stage's time per image in the
// 'padded' row mode (a lone unguided row padded to two) against the default.
import { createCascade, type Cascade, type CascadeOptions, type ModelCallEvent } from '../src/engine/cascade.ts';
import type { GenerateRequest, Phase, PhaseEvent } from '../src/engine/types.ts';

export const PHASES: readonly Phase[] = ['text', 'noise', 'resize', 'prepare', 'guidance', 'progress', 'handoff', 'pixels', 'png'];

export interface RequestBudget {
  wallMs: number;
  /** sum of the U-Net calls */
  modelMs: number;
  calls: number;
  /** per phase, summed over stages */
  phasesMs: Record<Phase, number>;
  /** wall − model − phases */
  awaitsMs: number;
  wallOverModel: number;
  stagesMs: Record<string, number>;
}

/** Collects the hooks' events; pass `hooks` to createCascade and `take()` after each request. */
export function createRecorder() {
  const calls: ModelCallEvent[] = [];
  const phases: PhaseEvent[] = [];
  const hooks: Pick<CascadeOptions, 'onModelCall' | 'onPhase'> = { onModelCall: (e) => calls.push(e), onPhase: (e) => phases.push(e) };
  return {
    hooks,
    calls,
    reset() {
      calls.length = 0;
      phases.length = 0;
    },
    budget(wallMs: number, stagesMs: Record<string, number>): RequestBudget {
      const modelMs = calls.reduce((a, c) => a + c.ms, 0);
      const phasesMs = Object.fromEntries(PHASES.map((p) => [p, 0])) as Record<Phase, number>;
      for (const e of phases) phasesMs[e.phase] += e.ms;
      const claimed = modelMs + Object.values(phasesMs).reduce((a, b) => a + b, 0);
      return { wallMs, modelMs, calls: calls.length, phasesMs, awaitsMs: wallMs - claimed, wallOverModel: wallMs / modelMs, stagesMs };
    },
  };
}

export type Recorder = ReturnType<typeof createRecorder>;

/** One request, timed from generate() to its result, with its budget. */
export async function timeRequest(cascade: Cascade, recorder: Recorder, request: GenerateRequest): Promise<{ budget: RequestBudget; rgb: Uint8Array }> {
  recorder.reset();
  const t0 = performance.now();
  const r = await cascade.generate(request);
  const wallMs = performance.now() - t0;
  const image = r.images[0];
  if (!image) throw new Error('bench: the request produced no image');
  return { budget: recorder.budget(wallMs, r.timings.stagesMs), rgb: image.rgb };
}

export interface PaddedComparison {
  stage: string;
  guidance: number;
  /** the stage's wall time for one image, median of `runs` upscales, each mode */
  splitMs: number;
  paddedMs: number;
  ratio: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

/**
 * The last stage alone (an upscale of `low`, n = 1, manifest defaults) in the default row mode and in 'padded',
 * alternating runs so that load on the machine hits both alike.
 */
export async function compareWithPadded(cascade: Cascade, options: CascadeOptions, low: { rgb: Uint8Array; size: number }, runs = 3): Promise<PaddedComparison> {
  const stages = cascade.manifest.stages;
  const last = stages[stages.length - 1];
  if (!last || stages.length < 2) throw new Error('bench: the padded comparison needs an SR stage');
  const padded = await createCascade({ ...options, batchInvariance: 'padded', onModelCall: undefined, onPhase: undefined });
  try {
    const request: GenerateRequest = { prompt: 'a red circle on a blue square', seed: 7, n: 1, size: last.resolution, init: { image: low.rgb, width: low.size, height: low.size, fromStage: last.name } };
    const warm: GenerateRequest = { ...request, stages: { [last.name]: { steps: 1 } } };
    await padded.generate(warm);
    const split: number[] = [];
    const pad: number[] = [];
    for (let i = 0; i < runs; i++) {
      split.push((await cascade.generate(request)).timings.stagesMs[last.name] ?? Number.NaN);
      pad.push((await padded.generate(request)).timings.stagesMs[last.name] ?? Number.NaN);
    }
    const splitMs = median(split);
    const paddedMs = median(pad);
    return { stage: last.name, guidance: last.defaults.guidance, splitMs, paddedMs, ratio: splitMs / paddedMs };
  } finally {
    await padded.dispose();
  }
}

const fmt = (x: number, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');

/** The budget table: one column per size, rows in ms. */
export function formatBudget(budgets: Record<string, RequestBudget>): string[] {
  const sizes = Object.keys(budgets);
  const col = (s: string) => s.padStart(9);
  const row = (label: string, f: (b: RequestBudget) => string) => `  ${label.padEnd(26)}${sizes.map((s) => col(f(budgets[s] as RequestBudget))).join('')}`;
  const lines = [`  ${'ms per request (n = 1)'.padEnd(26)}${sizes.map((s) => col(`${s} px`)).join('')}`];
  lines.push(row('wall', (b) => fmt(b.wallMs)));
  lines.push(row('U-Net (ONNX) calls', (b) => fmt(b.modelMs)));
  lines.push(row('  number of calls', (b) => String(b.calls)));
  for (const p of PHASES) lines.push(row(`  ${p}`, (b) => fmt(b.phasesMs[p], 1)));
  lines.push(row('  awaits (unclaimed)', (b) => fmt(b.awaitsMs, 1)));
  lines.push(row('wall / ONNX (goal ≤ 1.10)', (b) => fmt(b.wallOverModel, 3)));
  return lines;
}
