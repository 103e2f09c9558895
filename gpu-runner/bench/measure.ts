// Measuring helpers for bench.ts: the machine, Python helpers run in their own
// processes, onnxruntime step timing, and FLOPs from an ONNX graph probe.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { createFeed, runModel, type Feed, type ModelSession, type OutputTensor } from '../src/runtime/ort.ts';

export const PYTHON = '/usr/bin/python3';

export interface Machine {
  cpu: string;
  logicalCores: number;
  physicalCores: number | null;
  node: string;
}

export function machine(): Machine {
  let cpu = 'unknown CPU';
  let physicalCores: number | null = null;
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    cpu = /^model name\s*:\s*(.+)$/m.exec(info)?.[1]?.trim() ?? cpu;
    const perSocket = Number(/^cpu cores\s*:\s*(\d+)$/m.exec(info)?.[1]);
    const sockets = new Set([...info.matchAll(/^physical id\s*:\s*(\d+)$/gm)].map((m) => m[1])).size || 1;
    if (perSocket) physicalCores = perSocket * sockets;
  } catch {
    // not Linux: keep the defaults
  }
  return { cpu, logicalCores: availableParallelism(), physicalCores, node: process.version };
}

/** Runs a Python helper; returns its last stdout line parsed as JSON. */
export function python<T>(args: string[], cwd: string): T {
  const r = spawnSync(PYTHON, args, { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${PYTHON} ${args[0]} failed (${r.status}): ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`);
  const last = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as T;
}

export function hasPythonTorch(): boolean {
  return existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torch, onnx'], { encoding: 'utf8' }).status === 0;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** Median wall time (ms) of `iters` runs after `warmup` runs. */
export async function timeRuns(session: ModelSession, feeds: Record<string, Feed>, warmup: number, iters: number): Promise<{ ms: number; all: number[]; last: Record<string, OutputTensor> }> {
  let last: Record<string, OutputTensor> = {};
  for (let i = 0; i < warmup; i++) last = await runModel(session, feeds);
  const all: number[] = [];
  for (let i = 0; i < iters; i++) {
    const t0 = performance.now();
    last = await runModel(session, feeds);
    all.push(performance.now() - t0);
  }
  return { ms: median(all), all, last };
}

export interface DumpedInput {
  name: string;
  type: 'float32' | 'int64';
  dims: number[];
  file: string;
}

/** Feeds from raw little-endian files written by torch_step.py. */
export function feedsFromDump(inputs: readonly DumpedInput[]): Record<string, Feed> {
  const feeds: Record<string, Feed> = {};
  for (const i of inputs) {
    const buf = readFileSync(i.file);
    const bytes = new Uint8Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    feeds[i.name] = createFeed(i.type === 'int64' ? new BigInt64Array(bytes.buffer) : new Float32Array(bytes.buffer), i.dims);
  }
  return feeds;
}

/** Contract inputs for a stage without PyTorch: seeded values of the same shapes torch_step.py uses. */
export function syntheticFeeds(inChannels: number, res: number, batch: number, tokens: number, hidden: number, sr: boolean): Record<string, Feed> {
  let s = 12345;
  const rand = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
  const sample = Float32Array.from({ length: batch * inChannels * res * res }, () => 2 * rand());
  const text = Float32Array.from({ length: batch * tokens * hidden }, () => 2 * rand());
  const mask = new BigInt64Array(batch * tokens);
  for (let b = 0; b < batch; b++) for (let t = 0; t < Math.min(tokens, 5 + 7 * b); t++) mask[b * tokens + t] = 1n;
  const feeds: Record<string, Feed> = {
    sample: createFeed(sample, [batch, inChannels, res, res]),
    timestep: createFeed(Float32Array.from({ length: batch }, (_, i) => 999 - 500 * i), [batch]),
    encoder_hidden_states: createFeed(text, [batch, tokens, hidden]),
    encoder_attention_mask: createFeed(mask, [batch, tokens]),
  };
  if (sr) feeds['noise_level'] = createFeed(new BigInt64Array(batch).fill(100n), [batch]);
  return feeds;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

interface ProbeNode {
  op: 'Conv' | 'ConvTranspose' | 'MatMul' | 'Gemm';
  inputs: string[];
  output: string;
  attrs: { transA?: number; transB?: number; group?: number };
}

export interface ProbeDescription {
  nodes: ProbeNode[];
  initializerShapes: Record<string, number[]>;
}

export function readProbe(dir: string): ProbeDescription {
  return JSON.parse(readFileSync(join(dir, 'probe.json'), 'utf8')) as ProbeDescription;
}

const prod = (xs: readonly number[]) => xs.reduce((a, b) => a * b, 1);

/** 2 FLOPs per multiply-add of every Conv / MatMul / Gemm, from the dims the probe run reported. */
export function countFlops(probe: ProbeDescription, outputs: Record<string, OutputTensor>): { flops: number; byOp: Record<string, number>; unresolved: number } {
  const dims = (name: string | undefined): readonly number[] | undefined => (name === undefined ? undefined : (outputs[name]?.dims ?? probe.initializerShapes[name]));
  const byOp: Record<string, number> = {};
  let unresolved = 0;
  for (const n of probe.nodes) {
    const x = dims(n.inputs[0]);
    const w = dims(n.inputs[1]);
    const y = dims(n.output);
    if (!x || !w || !y) {
      unresolved++;
      continue;
    }
    let flops: number;
    if (n.op === 'Conv') flops = 2 * prod(y) * prod(w.slice(1)); // each output element: Cin/g · kh · kw MACs
    else if (n.op === 'ConvTranspose') flops = 2 * prod(x) * prod(w.slice(1)); // each input element scatters Cout/g · kh · kw
    else if (n.op === 'MatMul') flops = 2 * prod(y) * (x[x.length - 1] ?? 0);
    else flops = 2 * prod(y) * ((n.attrs.transA ? x[0] : x[1]) ?? 0);
    byOp[n.op] = (byOp[n.op] ?? 0) + flops;
  }
  return { flops: Object.values(byOp).reduce((a, b) => a + b, 0), byOp, unresolved };
}
