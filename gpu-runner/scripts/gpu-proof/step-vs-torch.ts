// gpu-proof, part 3: the base stage's step time in onnxruntime-node vs PyTorch on identical
// weights and inputs. Reads torch_step.py's eager JSON (which dumped each batch's inputs and
// output) and optionally its compile JSON, runs the same ONNX file on each asked provider, and
// writes one JSON with ms per step, the ratios and the max abs difference of the outputs.
//   node gpu-runner/scripts/gpu-proof/step-vs-torch.ts --eager E.json [--compile C.json] --providers cuda,webgpu --out FILE
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { configureCuda, createSession, type ExecutionProvider } from '../../src/runtime/ort.ts';
import { feedsFromDump, maxAbsDiff, timeRuns, type DumpedInput } from '../../bench/measure.ts';

interface TorchRun {
  batch: number;
  msMedian: number;
  inputs?: DumpedInput[];
  output?: { file: string; dims: number[] };
}
interface TorchResult {
  torch?: string;
  device?: string;
  gpu?: string;
  onnx?: string;
  skipped?: string;
  runs?: TorchRun[];
}

interface Options {
  eager: string;
  compile?: string;
  providers: string;
  threads?: string;
  warmup: string;
  iters: string;
  cudaProviderDir?: string;
  out: string;
}

const o = new Command()
  .requiredOption('--eager <file>', "torch_step.py --mode eager's JSON line")
  .option('--compile <file>', "torch_step.py --mode compile's JSON line")
  .option('--providers <list>', 'onnxruntime providers to time: cuda, webgpu, cpu', 'cuda')
  .option('--threads <n>', 'intra-op threads for the cpu provider')
  .option('--warmup <n>', '', '5')
  .option('--iters <n>', '', '20')
  .option('--cuda-provider-dir <dir>')
  .requiredOption('--out <file>')
  .parse()
  .opts<Options>();

const readJson = (file: string | undefined): TorchResult | undefined => {
  if (!file || !existsSync(file)) return undefined;
  const last = readFileSync(file, 'utf8').trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as TorchResult;
  } catch {
    return { skipped: `unreadable output: ${last.slice(0, 300)}` };
  }
};

const round = (x: number) => Number(x.toFixed(3));
const eager = readJson(o.eager) ?? { skipped: `no output from the eager run (${o.eager})` };
// gpu-proof.sh runs torch.compile afterwards and summarize.py merges its times; --compile is for running this alone
const compiled = readJson(o.compile);
configureCuda({ providerDir: o.cudaProviderDir });

const providers: Record<string, unknown> = {};
for (const provider of o.providers.split(',').filter(Boolean) as ExecutionProvider[]) {
  if (!eager.runs || !eager.onnx) {
    providers[provider] = { skipped: `no PyTorch inputs to replay: ${eager.skipped ?? 'eager run missing'}` };
    continue;
  }
  try {
    const session = await createSession(eager.onnx, { device: provider, ...(provider === 'cpu' && o.threads ? { intraOpThreads: Number(o.threads) } : {}) });
    const rows = [];
    try {
      for (const run of eager.runs) {
        if (!run.inputs || !run.output) continue;
        const feeds = feedsFromDump(run.inputs);
        const t = await timeRuns(session, feeds, Number(o.warmup), Number(o.iters));
        const raw = readFileSync(run.output.file);
        const want = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
        const got = Object.values(t.last)[0]?.data as Float32Array;
        const compiledMs = compiled?.runs?.find((r) => r.batch === run.batch)?.msMedian;
        rows.push({
          batch: run.batch,
          ortMs: round(t.ms),
          torchEagerMs: round(run.msMedian),
          torchCompileMs: compiledMs === undefined ? null : round(compiledMs),
          // > 1: onnxruntime is faster
          eagerOverOrt: round(run.msMedian / t.ms),
          compileOverOrt: compiledMs === undefined ? null : round(compiledMs / t.ms),
          maxAbsDiffVsTorch: maxAbsDiff(got, want),
        });
      }
    } finally {
      await session.dispose();
    }
    providers[provider] = { rows };
  } catch (e) {
    providers[provider] = { error: `${(e as { code?: string }).code ?? 'ERROR'}: ${(e as Error).message}` };
  }
}

const result = {
  stage: 'base64',
  note: 'ORT is fed CPU tensors each call (as the engine feeds it), so its time includes the host-device copies; PyTorch keeps its tensors on the device',
  torch: { version: eager.torch, device: eager.device, gpu: eager.gpu, eagerSkipped: eager.skipped, compileSkipped: compiled?.skipped ?? 'merged later by summarize.py, or not asked for' },
  providers,
};
writeFileSync(o.out, `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(`step-vs-torch: wrote ${o.out}\n`);
