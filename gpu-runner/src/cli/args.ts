// Command-line parsing for `npm run generate`: commander reads the flags, zod
// checks them, and every failure becomes a UsageError naming the flag and the
// allowed values (the caller prints it as one line, never a stack trace).
import { Command, CommanderError, Option } from 'commander';
import { z } from 'zod';
import { LIMITS, samplerNames, type SamplerName } from '@imagen-ts/protocol';

export class UsageError extends Error {
  /** the flag at fault, e.g. "--size" */
  readonly field: string;
  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'UsageError';
    this.field = field;
  }
}

/** --help / --version: commander printed it; exit with this code. */
export class HelpShown extends Error {
  readonly exitCode: number;
  constructor(exitCode: number) {
    super('help shown');
    this.exitCode = exitCode;
  }
}

export interface GenerateArgs {
  prompt: string;
  negativePrompt?: string;
  /** undefined: the CLI draws one */
  seed?: number;
  n: number;
  size?: number;
  out: string;
  steps?: number;
  stageSteps: Record<string, number>;
  sampler?: SamplerName;
  guidance?: number;
  stageGuidance: Record<string, number>;
  noiseAug?: number;
  model?: string;
  device: 'cpu' | 'cuda';
  /** folder with onnxruntime's CUDA provider libraries (default: RUNNER_CUDA_PROVIDER_DIR) */
  cudaProviderDir?: string;
  threads?: number;
  mark: boolean;
  json: boolean;
  debug: boolean;
}

export const MAX_N: number = LIMITS.n[1];
const [STEPS_MIN, STEPS_MAX] = LIMITS.steps;
const [GUIDANCE_MIN, GUIDANCE_MAX] = LIMITS.guidance;
const [SEED_MIN, SEED_MAX] = LIMITS.seed;

const intIn = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `must be an integer in ${min}..${max}`)
    .transform(Number)
    .pipe(z.number().min(min, `must be an integer in ${min}..${max}`).max(max, `must be an integer in ${min}..${max}`));

const numIn = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^-?\d+(\.\d+)?$/, `must be a number in ${min}..${max}`)
    .transform(Number)
    .pipe(z.number().min(min, `must be a number in ${min}..${max}`).max(max, `must be a number in ${min}..${max}`));

/** "base64=20,sr256=10" → { base64: 20, sr256: 10 } */
const perStage = (value: z.ZodType<number, string>, what: string) =>
  z.string().transform((s, ctx) => {
    const out: Record<string, number> = {};
    for (const part of s.split(',')) {
      const m = /^\s*([a-z0-9][a-z0-9-]*)\s*=\s*(\S+)\s*$/.exec(part);
      if (!m?.[1] || !m[2]) {
        ctx.addIssue({ code: 'custom', message: `expected STAGE=${what}[,STAGE=${what}…] (e.g. base64=20,sr256=10), got ${JSON.stringify(part)}` });
        return z.NEVER;
      }
      const v = value.safeParse(m[2]);
      if (!v.success) {
        ctx.addIssue({ code: 'custom', message: `${m[1]}: ${v.error.issues[0]?.message ?? 'invalid'}` });
        return z.NEVER;
      }
      out[m[1]] = v.data;
    }
    return out;
  });

// keys are commander's camelCase option names; FLAGS maps them back for messages
const RawArgs = z.object({
  // the protocol's bound: the PNG's imagen-ts chunk records the prompt, and its size is bounded
  prompt: z.string().max(LIMITS.promptChars, `must be at most ${LIMITS.promptChars} characters`).refine((s) => s.trim() !== '', 'must not be empty'),
  negativePrompt: z.string().max(LIMITS.promptChars, `must be at most ${LIMITS.promptChars} characters`).optional(),
  seed: intIn(SEED_MIN, SEED_MAX).optional(),
  n: intIn(1, MAX_N).default(1),
  size: intIn(1, 65_536).optional(),
  out: z.string().min(1, 'must be a file path').default('out.png'),
  steps: intIn(STEPS_MIN, STEPS_MAX).optional(),
  stageSteps: perStage(intIn(STEPS_MIN, STEPS_MAX), 'STEPS').optional(),
  sampler: z.enum(samplerNames, `must be one of ${samplerNames.join(', ')}`).optional(),
  guidance: numIn(GUIDANCE_MIN, GUIDANCE_MAX).optional(),
  stageGuidance: perStage(numIn(GUIDANCE_MIN, GUIDANCE_MAX), 'GUIDANCE').optional(),
  noiseAug: intIn(0, 100_000).optional(),
  model: z.string().min(1, 'must be a directory').optional(),
  device: z.enum(['cpu', 'cuda'], 'must be one of cpu, cuda').default('cpu'),
  cudaProviderDir: z.string().min(1, 'must be a directory').optional(),
  threads: intIn(1, 1024).optional(),
  mark: z.boolean().default(true),
  json: z.boolean().default(false),
  debug: z.boolean().default(false),
});

const FLAGS: Record<string, string> = {
  prompt: '--prompt',
  negativePrompt: '--negative-prompt',
  seed: '--seed',
  n: '--n',
  size: '--size',
  out: '--out',
  steps: '--steps',
  stageSteps: '--stage-steps',
  sampler: '--sampler',
  guidance: '--guidance',
  stageGuidance: '--stage-guidance',
  noiseAug: '--noise-aug',
  model: '--model',
  device: '--device',
  cudaProviderDir: '--cuda-provider-dir',
  threads: '--threads',
};

export function buildCommand(): Command {
  return new Command('generate')
    .description('Generate images with an Imagen-style cascade (text encoder → 64 px base → super-resolution stages) on onnxruntime-node.')
    .requiredOption('--prompt <text>', 'what to draw')
    .option('--negative-prompt <text>', 'what to steer away from (default: the empty prompt)')
    .option('--seed <uint32>', 'seed of image 0; image i uses seed+i (default: random, printed)')
    .option('--n <count>', `number of images, 1..${MAX_N}; with n > 1 files are named <out>-0.png, <out>-1.png, …`)
    .option('--size <px>', "output resolution: one of the model's stage resolutions (default: the last stage)")
    .option('--out <file.png>', 'output file', 'out.png')
    .option('--steps <count>', `denoising steps for every stage that runs, ${STEPS_MIN}..${STEPS_MAX} (default: each stage's manifest default)`)
    .option('--stage-steps <list>', 'per-stage steps, e.g. base64=20,sr256=10 (overrides --steps)')
    .addOption(new Option('--sampler <name>', 'sampler for every stage').choices(samplerNames))
    .option('--guidance <w>', 'classifier-free guidance weight for every stage, 0..50 (1 = no guidance)')
    .option('--stage-guidance <list>', 'per-stage guidance, e.g. base64=7,sr256=4 (overrides --guidance)')
    .option('--noise-aug <t>', 'noise-augmentation timestep of the low-res input for every super-resolution stage')
    .option('--model <dir>', 'model folder with manifest.json (default: models/embedded)')
    .addOption(new Option('--device <device>', 'execution provider').choices(['cpu', 'cuda']).default('cpu'))
    .option('--cuda-provider-dir <dir>', 'with --device cuda: folder holding libonnxruntime_providers_{shared,cuda}.so of the same onnxruntime version (default: $RUNNER_CUDA_PROVIDER_DIR)')
    .option('--threads <count>', 'intra-op threads for onnxruntime (default: onnxruntime decides)')
    .option('--no-mark', 'leave out the visible provenance mark on images ≥ 256 px')
    .option('--json', 'print one JSON line on stdout: files, seeds, sha256s, timings, fingerprint')
    .option('--debug', 'print stack traces on failure')
    .allowExcessArguments(false)
    .exitOverride()
    .configureOutput({ writeErr: () => undefined, outputError: () => undefined });
}

/** argv without the node binary and script (process.argv.slice(2)). */
export function parseGenerateArgs(argv: readonly string[], command: Command = buildCommand()): GenerateArgs {
  try {
    command.parse([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.help' || e.code === 'commander.version') throw new HelpShown(e.exitCode);
      // commander's message already names the flag ("unknown option '--foo'", "option '--sampler <name>' argument 'x' is invalid. Allowed choices are …")
      const flag = /'(--?[\w-]+)/.exec(e.message)?.[1] ?? 'arguments';
      throw new UsageError(flag, e.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' '));
    }
    throw e;
  }
  const r = RawArgs.safeParse(command.opts());
  if (!r.success) {
    const issue = r.error.issues[0];
    const key = String(issue?.path[0] ?? '');
    throw new UsageError(FLAGS[key] ?? `--${key}`, issue?.message ?? 'invalid');
  }
  const a = r.data;
  const out: GenerateArgs = {
    prompt: a.prompt,
    n: a.n,
    out: a.out,
    stageSteps: a.stageSteps ?? {},
    stageGuidance: a.stageGuidance ?? {},
    device: a.device,
    mark: a.mark,
    json: a.json,
    debug: a.debug,
  };
  if (a.negativePrompt !== undefined) out.negativePrompt = a.negativePrompt;
  if (a.seed !== undefined) out.seed = a.seed;
  if (a.size !== undefined) out.size = a.size;
  if (a.steps !== undefined) out.steps = a.steps;
  if (a.sampler !== undefined) out.sampler = a.sampler;
  if (a.guidance !== undefined) out.guidance = a.guidance;
  if (a.noiseAug !== undefined) out.noiseAug = a.noiseAug;
  if (a.model !== undefined) out.model = a.model;
  if (a.threads !== undefined) out.threads = a.threads;
  if (a.cudaProviderDir !== undefined) out.cudaProviderDir = a.cudaProviderDir;
  return out;
}
