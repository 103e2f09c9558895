// `npm run bench [-- --json] [--model DIR] [--threads N] [--iters N] [--no-torch]`
//
// 1. peak: what onnxruntime reaches on this CPU for one big 3×3 conv and one
//    1024³ matmul (ONNX written by make_microbench.py);
// 2. the base stage's step at batch 2 (classifier-free guidance) on identical
//    weights: onnxruntime vs PyTorch eager (torch_step.py, its own process,
//    same inputs, outputs compared), FLOPs from the ONNX graph (onnx_flops.py
//    probe) → achieved GFLOP/s and its share of peak;
// 3. engine overhead: per stage, the share of stage time spent outside ONNX
//    runs (guidance, thresholding, scheduler, RNG, resizing), from the engine's
//    onModelCall hook;
// 4. seconds per image at each output size, manifest defaults, n = 1, and the
//    request's time budget (budget.ts): wall time against the sum of its ONNX
//    calls, the rest by phase; the last stage's time per image against the
//    'padded' row mode (a lone unguided row padded to two, the engine < 0.2.0).
// Never run by the tests. Prints a table (stderr with --json, stdout without);
// --json puts one JSON object on the last stdout line.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { createCascade } from '../src/engine/cascade.ts';
import { compareWithPadded, createRecorder, formatBudget, timeRequest, type RequestBudget } from './budget.ts';
import { loadManifest } from '../src/manifest/load-manifest.ts';
import { createFeed, createSession, ortVersion, runModel } from '../src/runtime/ort.ts';
import { countFlops, feedsFromDump, hasPythonTorch, machine, maxAbsDiff, python, readProbe, syntheticFeeds, timeRuns, type DumpedInput } from './measure.ts';

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const benchDir = join(root, 'gpu-runner/bench');
const EMBEDDED = join(root, 'models/embedded');
const FIXTURE = join(root, 'models/fixtures/tiny');

const opts = new Command('bench')
  .option('--model <dir>', 'model folder (default: models/embedded, else the tiny fixture)')
  .option('--threads <n>', 'intra-op threads for onnxruntime and torch (default: all logical cores)')
  .option('--iters <n>', 'timed runs per microbenchmark / step', '10')
  .option('--no-torch', 'skip the PyTorch comparison')
  .option('--no-prefetch-noise', "draw the SR stages' starting noise between stages instead of on a worker ahead of time")
  .option('--json', 'print one JSON object on the last stdout line (table on stderr)')
  .parse()
  .opts<{ model?: string; threads?: string; iters: string; torch: boolean; prefetchNoise: boolean; json?: boolean }>();

const mach = machine();
const threads = Number(opts.threads ?? mach.logicalCores);
const iters = Math.max(1, Number(opts.iters));
const modelDir = resolve(opts.model ?? (existsSync(join(EMBEDDED, 'manifest.json')) ? EMBEDDED : FIXTURE));
const modelKind = modelDir === EMBEDDED ? 'embedded' : modelDir === FIXTURE ? 'fixture' : 'other';
const out = (s: string) => (opts.json ? process.stderr : process.stdout).write(`${s}\n`);
const fmt = (x: number | null, d = 1) => (x === null || !Number.isFinite(x) ? 'n/a' : x.toFixed(d));
const tmp = mkdtempSync(join(tmpdir(), 'imagen-bench-'));

try {
  const { manifest, files } = await loadManifest(modelDir);
  const base = manifest.stages[0];
  if (!base) throw new Error('manifest has no stages');
  out(`imagen-ts bench — ${mach.cpu}, ${mach.logicalCores} logical / ${mach.physicalCores ?? '?'} physical cores; node ${mach.node}, onnxruntime ${ortVersion}; threads ${threads}`);
  out(`model: ${manifest.id} (${relative(root, modelDir) || modelDir})${modelKind === 'fixture' ? ' — the random-weight test fixture: models/embedded is not built yet' : ''}`);

  // 1. peak
  const micro = python<Record<'conv' | 'matmul', { file: string; input: number[]; flops: number }>>([join(benchDir, 'make_microbench.py'), tmp], root);
  const peak: Record<string, number> = {};
  for (const [name, m] of Object.entries(micro)) {
    const s = await createSession(join(tmp, m.file), { device: 'cpu', intraOpThreads: threads });
    const data = new Float32Array(m.input.reduce((a, b) => a * b, 1)).map((_, i) => Math.sin(i));
    const t = await timeRuns(s, { x: createFeed(data, m.input) }, 2, iters);
    peak[name] = m.flops / (t.ms / 1000) / 1e9;
    await s.dispose();
  }
  const peakGflops = Math.max(...Object.values(peak));
  out(`peak (onnxruntime microbenchmarks): conv 3×3 256→256 @64²: ${fmt(peak['conv'] ?? null)} GFLOP/s, matmul 1024³: ${fmt(peak['matmul'] ?? null)} GFLOP/s`);

  // 2. base stage step, batch 2 = one CFG step
  const batch = 2;
  const res = base.resolution;
  const torchName = modelKind === 'embedded' ? 'embedded' : modelKind === 'fixture' ? 'tiny' : null;
  const useTorch = opts.torch && torchName !== null && hasPythonTorch();
  type TorchStep = { msMedian: number; profilerFlops: number; inputs: DumpedInput[]; output: { file: string; dims: number[] }; torch: string };
  let torch: TorchStep | null = null;
  let torchSkipped = !opts.torch ? '--no-torch' : torchName === null ? 'no PyTorch definition for this model' : useTorch ? '' : 'no python3 with torch + onnx';
  if (useTorch) {
    try {
      const args = ['--model', torchName, '--stage', base.name, '--batch', String(batch), '--res', String(res), '--threads', String(threads), '--iters', String(iters)];
      torch = python<TorchStep>([join(benchDir, 'torch_step.py'), ...args, '--dump', join(tmp, 'torch')], root);
    } catch (e) {
      torchSkipped = `failed: ${(e as Error).message}`;
    }
  }
  const baseFile = files.stages[base.name] ?? '';
  const session = await createSession(baseFile, { device: 'cpu', intraOpThreads: threads });
  const feeds = torch ? feedsFromDump(torch.inputs) : syntheticFeeds(3, res, batch, manifest.textEncoder.maxTokens, manifest.textEncoder.hiddenSize, false);
  const step = await timeRuns(session, feeds, 3, iters);
  let agreement: number | null = null;
  if (torch) {
    const buf = readFileSync(torch.output.file);
    agreement = maxAbsDiff(new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)), step.last[base.outputName]?.data as Float32Array);
  }
  await session.dispose();
  python([join(benchDir, 'onnx_flops.py'), baseFile, join(tmp, 'probe')], root);
  const probeSession = await createSession(join(tmp, 'probe', 'probe.onnx'), { device: 'cpu', intraOpThreads: threads });
  const flops = countFlops(readProbe(join(tmp, 'probe')), await runModel(probeSession, feeds));
  await probeSession.dispose();
  const achieved = flops.flops / (step.ms / 1000) / 1e9;
  const peakFraction = achieved / peakGflops;
  const ortVsTorch = torch ? torch.msMedian / step.ms : null;
  out(`\nbase stage "${base.name}" — one step at batch ${batch} (CFG), ${res}×${res}`);
  out(`  FLOPs/step      ${fmt(flops.flops / 1e9, 3)} GFLOP (ONNX graph walk${flops.unresolved ? `, ${flops.unresolved} nodes unresolved` : ''}${torch ? `; torch profiler ${fmt(torch.profilerFlops / 1e9, 3)}` : ''})`);
  out(`  onnxruntime     ${fmt(step.ms, 2)} ms → ${fmt(achieved)} GFLOP/s = ${fmt(100 * peakFraction)}% of peak`);
  if (torch) out(`  PyTorch eager   ${fmt(torch.msMedian, 2)} ms (torch ${torch.torch}) → onnxruntime ${fmt(ortVsTorch, 2)}× the speed of torch; max |ORT − torch| = ${agreement?.toExponential(1)}`);
  else out(`  PyTorch eager   skipped (${torchSkipped})`);

  // 3 + 4. engine overhead and seconds per image
  const recorder = createRecorder();
  const cascadeOptions = { modelDir, threads, prefetchNoise: opts.prefetchNoise };
  const cascade = await createCascade({ ...cascadeOptions, ...recorder.hooks });
  const calls = recorder.calls;
  const sizes = manifest.stages.map((s) => s.resolution);
  const largest = Math.max(...sizes);
  await cascade.generate({ prompt: 'warm-up', seed: 1, n: 1, size: largest });
  const secondsPerImage: Record<string, number | null> = { '64': null, '256': null, '1024': null };
  const overheadByStage: Record<string, { steps: number; stageMs: number; onnxMs: number; fraction: number; msPerStep: number; onnxMsPerStep: number }> = {};
  const budgets: Record<string, RequestBudget> = {};
  const wallOverModel: Record<string, number | null> = { '64': null, '256': null, '1024': null };
  let secondLargest: { rgb: Uint8Array; size: number } | null = null;
  for (const size of [...sizes].sort((a, b) => a - b)) {
    const { budget, rgb } = await timeRequest(cascade, recorder, { prompt: `a red circle on a blue square, ${size} px`, seed: 7, n: 1, size });
    budgets[String(size)] = budget;
    wallOverModel[String(size)] = budget.wallOverModel;
    secondsPerImage[String(size)] = budget.wallMs / 1000;
    if (size !== largest) {
      secondLargest = { rgb, size };
      continue;
    }
    for (const s of manifest.stages) {
      const stageMs = budget.stagesMs[s.name] ?? 0;
      const mine = calls.filter((c) => c.stage === s.name);
      const onnxMs = mine.reduce((a, c) => a + c.ms, 0);
      const perStep = (ms: number) => (mine.length ? ms / mine.length : 0);
      overheadByStage[s.name] = { steps: mine.length, stageMs, onnxMs, fraction: stageMs > 0 ? (stageMs - onnxMs) / stageMs : 0, msPerStep: perStep(stageMs - onnxMs), onnxMsPerStep: perStep(onnxMs) };
    }
  }
  const vsPadded = secondLargest ? await compareWithPadded(cascade, cascadeOptions, secondLargest) : null;
  await cascade.dispose();
  const totals = Object.values(overheadByStage).reduce((a, s) => ({ stage: a.stage + s.stageMs, onnx: a.onnx + s.onnxMs }), { stage: 0, onnx: 0 });
  const overheadFraction = totals.stage > 0 ? (totals.stage - totals.onnx) / totals.stage : 0;
  out(`\nengine overhead at ${largest} px (time in a stage outside its ONNX runs: guidance, thresholding, scheduler, RNG, resize)`);
  out(`  ${'stage'.padEnd(10)}${'steps'.padStart(6)}${'stage ms'.padStart(11)}${'ONNX ms'.padStart(11)}${'overhead'.padStart(10)}${'other ms/step'.padStart(15)}${'ONNX ms/step'.padStart(14)}`);
  for (const [name, s] of Object.entries(overheadByStage))
    out(
      `  ${name.padEnd(10)}${String(s.steps).padStart(6)}${fmt(s.stageMs).padStart(11)}${fmt(s.onnxMs).padStart(11)}${`${fmt(100 * s.fraction)}%`.padStart(10)}${fmt(s.msPerStep, 2).padStart(15)}${fmt(s.onnxMsPerStep, 2).padStart(14)}`,
    );
  out(`  ${'all'.padEnd(10)}${''.padStart(6)}${fmt(totals.stage).padStart(11)}${fmt(totals.onnx).padStart(11)}${`${fmt(100 * overheadFraction)}%`.padStart(10)}`);
  out(`  (standalone ${base.name} step above: ${fmt(step.ms, 2)} ms at batch ${batch}; compare with its ONNX ms/step inside the engine)`);
  out(`\nseconds per image (n = 1, manifest default steps, ${modelKind === 'fixture' ? 'fixture model' : manifest.id})`);
  for (const [size, s] of Object.entries(secondsPerImage)) out(`  ${size.padStart(5)} px  ${s === null ? 'n/a (no such stage)' : `${fmt(s, 2)} s`}`);
  out(`\ntime budget of those requests (ONNX = the U-Net calls; the rest by engine phase; awaits = what no phase claims)`);
  for (const line of formatBudget(budgets)) out(line);
  if (vsPadded)
    out(
      `\n${vsPadded.stage} alone (upscale, guidance ${vsPadded.guidance}, median of 3): ${fmt(vsPadded.splitMs, 0)} ms one row per call vs ${fmt(vsPadded.paddedMs, 0)} ms padded to 2 rows → ${fmt(vsPadded.ratio, 3)}× (goal ≤ 0.55)`,
    );

  if (opts.json) {
    process.stdout.write(
      `${JSON.stringify({
        machine: { ...mach, ortVersion, threads },
        model: { id: manifest.id, dir: relative(root, modelDir) || modelDir, kind: modelKind },
        peak: { convGflops: peak['conv'], matmulGflops: peak['matmul'], gflops: peakGflops },
        baseStep: { stage: base.name, batch, resolution: res, flops: flops.flops, flopsByOp: flops.byOp, torchProfilerFlops: torch?.profilerFlops ?? null, ortMs: step.ms, torchMs: torch?.msMedian ?? null, achievedGflops: achieved, maxAbsDiffVsTorch: agreement },
        ortVsTorch,
        peakFraction,
        prefetchNoise: opts.prefetchNoise,
        overheadFraction,
        overheadByStage,
        secondsPerImage,
        budgets,
        wallOverModel,
        paddedComparison: vsPadded,
        sr1024VsPadded: vsPadded?.ratio ?? null,
      })}\n`,
    );
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
