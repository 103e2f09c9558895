// `npm run generate -- --prompt "a red circle" --seed 42 --size 1024 --out out.png`
// Writes PNGs (with A1111 `parameters` + `imagen-ts` metadata), progress on
// stderr, a summary (or with --json one JSON line) on stdout. Any failure is
// one line on stderr, "error: <field>: <what is allowed>", and a non-zero exit:
// 2 for bad input, 1 for anything else (missing model, sha256 mismatch, runtime).
import { createHash, randomInt } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import cliProgress from 'cli-progress';
import { RequestError } from '../engine/errors.ts';
import type { GenerateRequest, GenerateResult, ProgressEvent, StageParams } from '../engine/types.ts';
import { readCudaProviderDir } from '../config.ts';
import { loadManifest, ManifestError } from '../manifest/load-manifest.ts';
import type { Manifest } from '../manifest/schema.ts';
import { HelpShown, parseGenerateArgs, UsageError, type GenerateArgs } from './args.ts';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
export const DEFAULT_MODEL_DIR = resolve(repoRoot, 'models/embedded');
const FIXTURE_HINT = 'models/fixtures/tiny';

/** The model folder: --model, else models/embedded when it holds a manifest. */
export function resolveModelDir(model: string | undefined): string {
  if (model === undefined) {
    if (!existsSync(resolve(DEFAULT_MODEL_DIR, 'manifest.json')))
      throw new UsageError('--model', `the default model (models/embedded) is not built yet; pass --model DIR, e.g. --model ${FIXTURE_HINT} (random-weight test fixture)`);
    return DEFAULT_MODEL_DIR;
  }
  const dir = resolve(model);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError('--model', `no such directory: ${model} (a model folder holds manifest.json, e.g. ${FIXTURE_HINT})`);
  return dir;
}

/** Output file names: out.png for one image, out-0.png, out-1.png, … for several. */
export function outputPaths(out: string, n: number): string[] {
  if (!/\.png$/i.test(out)) throw new UsageError('--out', `must end in .png (got ${JSON.stringify(out)})`);
  if (n === 1) return [resolve(out)];
  const stem = out.replace(/\.png$/i, '');
  return Array.from({ length: n }, (_, i) => resolve(`${stem}-${i}.png`));
}

/** CLI flags → a GenerateRequest for this manifest (the engine validates it again). */
export function buildRequest(args: GenerateArgs, manifest: Manifest, seed: number): GenerateRequest {
  const sizes = manifest.stages.map((s) => s.resolution);
  const size = args.size ?? sizes[sizes.length - 1] ?? 0;
  if (!sizes.includes(size)) throw new UsageError('--size', `must be one of ${sizes.join(', ')} (this model's stage resolutions; got ${size})`);
  const running = manifest.stages.filter((s) => s.resolution <= size);
  const names = manifest.stages.map((s) => s.name);
  for (const [flag, perStage] of [
    ['--stage-steps', args.stageSteps],
    ['--stage-guidance', args.stageGuidance],
  ] as const) {
    for (const name of Object.keys(perStage)) {
      if (!names.includes(name)) throw new UsageError(flag, `unknown stage "${name}"; this model's stages: ${names.join(', ')}`);
      if (!running.some((s) => s.name === name)) throw new UsageError(flag, `stage "${name}" does not run at --size ${size} (running: ${running.map((s) => s.name).join(', ')})`);
    }
  }
  const stages: Record<string, StageParams> = {};
  for (const s of running) {
    const p: StageParams = {};
    const steps = args.stageSteps[s.name] ?? args.steps;
    if (steps !== undefined) p.steps = steps;
    if (args.sampler !== undefined) p.sampler = args.sampler;
    const guidance = args.stageGuidance[s.name] ?? args.guidance;
    if (guidance !== undefined) p.guidance = guidance;
    if (s.lowRes && args.noiseAug !== undefined) {
      const limit = (s.lowRes.augmentationSchedule ?? s.schedule).trainSteps;
      if (args.noiseAug >= limit) throw new UsageError('--noise-aug', `must be an integer in 0..${limit - 1} (stage ${s.name}'s augmentation schedule)`);
      p.noiseAugmentation = args.noiseAug;
    }
    if (Object.keys(p).length) stages[s.name] = p;
  }
  const req: GenerateRequest = { prompt: args.prompt, seed, n: args.n, size, mark: args.mark };
  if (args.negativePrompt !== undefined) req.negativePrompt = args.negativePrompt;
  if (Object.keys(stages).length) req.stages = stages;
  return req;
}

/** An engine RequestError's field ("stages.sr256.steps") → the flag that set it. */
function flagFor(field: string): string {
  const [head, , leaf] = field.split('.');
  if (head === 'stages') return leaf === 'noiseAugmentation' ? '--noise-aug' : leaf === 'guidance' ? '--guidance' : leaf === 'sampler' ? '--sampler' : '--steps';
  return { size: '--size', n: '--n', seed: '--seed', prompt: '--prompt', negativePrompt: '--negative-prompt', mark: '--no-mark' }[head ?? ''] ?? field;
}

/** Multi-line messages (zod issue lists) folded onto one line. */
function oneLine(s: string): string {
  return s
    .replace(/:\s*\n\s*-\s*/g, ': ')
    .replace(/\s*\n\s*(-\s*)?/g, '; ')
    .trim();
}

/** runtime/ort.ts RuntimeError codes about the CUDA provider (matched by shape: importing ort.ts would load onnxruntime). */
function isDeviceError(e: Error): boolean {
  const code = (e as { code?: unknown }).code;
  return e.name === 'RuntimeError' && typeof code === 'string' && code.includes('CUDA');
}

export function describeError(e: unknown): { line: string; exitCode: number } {
  if (e instanceof UsageError) return { line: oneLine(e.message), exitCode: 2 };
  if (e instanceof ManifestError) return { line: oneLine(`--model: ${e.message}`), exitCode: 1 };
  if (e instanceof RequestError) return { line: oneLine(`${flagFor(e.field)}: ${e.message.replace(/^invalid request: /, '')}`), exitCode: 2 };
  if (e instanceof Error && isDeviceError(e)) return { line: oneLine(`--device: ${e.message}`), exitCode: 1 };
  if (e instanceof Error) return { line: oneLine(e.message || e.name), exitCode: 1 };
  return { line: oneLine(String(e)), exitCode: 1 };
}

function createProgress(n: number): { onProgress: (e: ProgressEvent) => void; stop: () => void } {
  // cli-progress draws nothing when stderr is not a terminal, so pipes and tests stay clean
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: `{stage} |{bar}| {value}/{total} steps · ${n} image${n > 1 ? 's' : ''} · {duration_formatted}`, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let current = '';
  return {
    onProgress(e) {
      if (e.stage !== current) {
        // one finished bar line per stage
        if (current !== '') bar.stop();
        current = e.stage;
        bar.start(e.totalSteps, 0, { stage: e.stage });
      }
      bar.update(e.step, { stage: e.stage });
    },
    stop: () => bar.stop(),
  };
}

export interface CliSummary {
  files: string[];
  seeds: number[];
  /** of the PNG files as written */
  sha256s: string[];
  /** the engine's: of the RGB pixels (mark included), independent of PNG encoding */
  pixelSha256s: string[];
  size: number;
  model: string;
  truncated: boolean;
  timings: GenerateResult['timings'] & { loadMs: number };
  fingerprint: GenerateResult['fingerprint'];
}

export async function runGenerate(args: GenerateArgs): Promise<CliSummary> {
  const paths = outputPaths(args.out, args.n);
  const modelDir = resolveModelDir(args.model);
  const t0 = performance.now();
  const { manifest } = await loadManifest(modelDir);
  const seed = args.seed ?? randomInt(0, 2 ** 32);
  const request = buildRequest(args, manifest, seed);
  // imported late so bad input is reported without loading onnxruntime
  const { createCascade } = await import('../engine/cascade.ts');
  const { configureCuda } = await import('../runtime/ort.ts');
  configureCuda({ providerDir: args.cudaProviderDir ?? readCudaProviderDir() });
  const cascade = await createCascade({ modelDir, device: args.device, ...(args.threads === undefined ? {} : { threads: args.threads }) });
  const loadMs = performance.now() - t0;
  const progress = createProgress(args.n);
  let result: GenerateResult;
  try {
    result = await cascade.generate(request, { onProgress: progress.onProgress });
  } finally {
    progress.stop();
    await cascade.dispose();
  }
  const sha256s: string[] = [];
  for (const [i, img] of result.images.entries()) {
    const path = paths[i] as string;
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, img.png);
    sha256s.push(createHash('sha256').update(img.png).digest('hex'));
  }
  return {
    files: paths,
    seeds: result.images.map((i) => i.seed),
    sha256s,
    pixelSha256s: result.images.map((i) => i.sha256),
    size: request.size,
    model: manifest.id,
    truncated: result.truncated,
    timings: { ...result.timings, loadMs: Math.round(loadMs) },
    fingerprint: result.fingerprint,
  };
}

function printSummary(s: CliSummary): void {
  for (const [i, f] of s.files.entries()) process.stdout.write(`${f}  seed ${s.seeds[i]}  sha256 ${s.sha256s[i]}\n`);
  const stages = Object.entries(s.timings.stagesMs)
    .map(([k, v]) => `${k} ${Math.round(v)} ms`)
    .join(', ');
  process.stdout.write(`${s.model} · ${s.size}px · load ${s.timings.loadMs} ms, encode ${Math.round(s.timings.encodeMs)} ms, ${stages}, total ${Math.round(s.timings.totalMs)} ms\n`);
  if (s.truncated) process.stdout.write('note: the prompt was longer than the text encoder takes and was cut\n');
}

async function main(argv: readonly string[]): Promise<number> {
  try {
    const args = parseGenerateArgs(argv);
    const summary = await runGenerate(args);
    if (args.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else printSummary(summary);
    return 0;
  } catch (e) {
    if (e instanceof HelpShown) return e.exitCode;
    const { line, exitCode } = describeError(e);
    process.stderr.write(`error: ${line}\n`);
    if (argv.includes('--debug') && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
    return exitCode;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
