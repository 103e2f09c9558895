// The runner's configuration: the one module that reads process.env for the
// GPU runner service. Validated with zod at start; errors name the variable and
// the allowed values, and never echo a secret.
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

export interface RunnerConfig {
  port: number;
  host: string;
  /**
   * the id request signatures must name (the edge's RUNNERS entry `id`); undefined = the
   * listen address "host:port", set once listening (so port 0 works)
   */
  runnerId: string | undefined;
  /** where the replay file lives (request-auth.ts), so a restart keeps the nonces it has seen */
  stateDir: string;
  modelDir: string;
  /** true when modelDir is the default (models/embedded), so a missing model gets a hint */
  modelDirIsDefault: boolean;
  device: 'cpu' | 'cuda';
  /** folder holding onnxruntime's CUDA provider libraries when npm did not install them (runtime/cuda-provider.ts) */
  cudaProviderDir: string | undefined;
  threads: number | undefined;
  /** prompts whose embeddings the engine keeps (LRU); 0 = every prompt runs the text encoder */
  embeddingCacheSize: number;
  queueLimit: number;
  /** POST /v1/embed calls encoding or waiting at once; beyond → 429 with Retry-After */
  embedQueueLimit: number;
  /** most images (sum of jobs' n) in one engine batch */
  maxBatch: number;
  batchWaitMs: number;
  jobDeadlineMs: number;
  shutdownGraceMs: number;
  maxBodyBytes: number;
  /** finished jobs kept for GET/SSE/images, oldest evicted first */
  retainJobs: number;
  previewEvery: number;
  /** keyId → secret */
  keys: Record<string, string>;
  /** origins a callbackUrl may point at; "*" as port matches any port */
  callbackAllowList: string[];
  logPrompts: boolean;
  metricsPublic: boolean;
  /** skip the warm-up run (tests only; readiness then only means "loaded") */
  skipWarmup: boolean;
}

const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `an integer in [${min}, ${max}]`)
    .transform(Number)
    .pipe(z.number().int().min(min, `an integer in [${min}, ${max}]`).max(max, `an integer in [${min}, ${max}]`));

const flag = z.enum(['0', '1', 'true', 'false']).transform((v) => v === '1' || v === 'true');

const keyList = z
  .string()
  .min(1, 'one or more id:secret pairs separated by ","')
  .transform((text, ctx) => {
    const keys: Record<string, string> = {};
    for (const [i, part] of text.split(',').entries()) {
      const colon = part.indexOf(':');
      const id = part.slice(0, colon).trim();
      const secret = part.slice(colon + 1).trim();
      // The message names the position only: the pair contains a secret.
      if (colon < 1 || !/^[A-Za-z0-9._-]{1,64}$/.test(id)) ctx.addIssue({ code: 'custom', message: `pair ${i + 1}: key id must be 1-64 of [A-Za-z0-9._-] before ":"` });
      else if (secret.length < 16) ctx.addIssue({ code: 'custom', message: `pair ${i + 1} (key "${id}"): secret must be at least 16 characters` });
      else if (id in keys) ctx.addIssue({ code: 'custom', message: `pair ${i + 1}: duplicate key id "${id}"` });
      else keys[id] = secret;
    }
    return keys;
  });

const origin = z.string().refine((o) => /^https?:\/\/[^/\s]+$/.test(o), 'origins like https://edge.example.com or http://127.0.0.1:* (no path)');

const Env = z.object({
  RUNNER_PORT: int(0, 65535).default(8790),
  RUNNER_HOST: z.string().min(1).default('127.0.0.1'),
  RUNNER_ID: z.string().regex(/^[A-Za-z0-9._:[\]-]{1,128}$/, '1-128 of [A-Za-z0-9._:[]-], the id in the edge\'s RUNNERS entry for this runner').optional(),
  RUNNER_STATE_DIR: z.string().min(1).optional(),
  RUNNER_MODEL_DIR: z.string().min(1).optional(),
  RUNNER_DEVICE: z.enum(['cpu', 'cuda']).default('cpu'),
  RUNNER_CUDA_PROVIDER_DIR: z.string().min(1, 'a folder holding libonnxruntime_providers_shared.so and libonnxruntime_providers_cuda.so').optional(),
  RUNNER_THREADS: int(1, 1024).optional(),
  RUNNER_EMBEDDING_CACHE: int(0, 100_000).default(32),
  RUNNER_QUEUE_LIMIT: int(1, 100_000).default(64),
  RUNNER_EMBED_QUEUE_LIMIT: int(1, 100_000).default(64),
  RUNNER_MAX_BATCH: int(1, 256).default(4),
  RUNNER_BATCH_WAIT_MS: int(0, 60_000).default(25),
  RUNNER_JOB_DEADLINE_MS: int(1000, 86_400_000).default(600_000),
  RUNNER_SHUTDOWN_GRACE_MS: int(0, 3_600_000).default(30_000),
  RUNNER_MAX_BODY_BYTES: int(1024, 1 << 30).default(16 << 20),
  RUNNER_RETAIN_JOBS: int(1, 1_000_000).default(256),
  RUNNER_PREVIEW_EVERY: int(0, 1000).default(10),
  RUNNER_KEYS: keyList.optional(),
  RUNNER_KEYS_FILE: z.string().min(1).optional(),
  RUNNER_CALLBACK_ALLOWLIST: z
    .string()
    .default('')
    .transform((s) => s.split(',').map((o) => o.trim()).filter((o) => o.length > 0))
    .pipe(z.array(origin)),
  RUNNER_LOG_PROMPTS: flag.default(false),
  RUNNER_METRICS_PUBLIC: flag.default(false),
  RUNNER_SKIP_WARMUP: flag.default(false),
});

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** relative paths resolve against where npm was invoked (INIT_CWD), else the working directory */
function resolvePath(p: string, env: NodeJS.ProcessEnv): string {
  return isAbsolute(p) ? p : resolve(env.INIT_CWD ?? process.cwd(), p);
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): RunnerConfig {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid runner configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  let keys = e.RUNNER_KEYS;
  if (!keys && e.RUNNER_KEYS_FILE) {
    const file = resolvePath(e.RUNNER_KEYS_FILE, env);
    if (!existsSync(file)) throw new ConfigError(`RUNNER_KEYS_FILE: ${file} does not exist`);
    const fromFile = keyList.safeParse(readFileSync(file, 'utf8').trim());
    if (!fromFile.success) throw new ConfigError(`RUNNER_KEYS_FILE ${file}:\n${fromFile.error.issues.map((i) => `  ${i.message}`).join('\n')}`);
    keys = fromFile.data;
  }
  if (!e.RUNNER_ID && /^(0\.0\.0\.0|::|\[::\])$/.test(e.RUNNER_HOST)) {
    throw new ConfigError(`RUNNER_ID: required when RUNNER_HOST is ${e.RUNNER_HOST} (no address to name this runner by); set it to the id of this runner's entry in the edge's RUNNERS`);
  }
  if (!keys) throw new ConfigError('RUNNER_KEYS (id1:secret1,id2:secret2) or RUNNER_KEYS_FILE is required; `npm run start -w gpu-runner` generates a dev key into .local/');
  return {
    port: e.RUNNER_PORT,
    host: e.RUNNER_HOST,
    runnerId: e.RUNNER_ID,
    stateDir: e.RUNNER_STATE_DIR ? resolvePath(e.RUNNER_STATE_DIR, env) : resolve(repoRoot, '.local/runner-state'),
    modelDir: e.RUNNER_MODEL_DIR ? resolvePath(e.RUNNER_MODEL_DIR, env) : resolve(repoRoot, 'models/embedded'),
    modelDirIsDefault: !e.RUNNER_MODEL_DIR,
    device: e.RUNNER_DEVICE,
    cudaProviderDir: e.RUNNER_CUDA_PROVIDER_DIR ? resolvePath(e.RUNNER_CUDA_PROVIDER_DIR, env) : undefined,
    threads: e.RUNNER_THREADS,
    embeddingCacheSize: e.RUNNER_EMBEDDING_CACHE,
    queueLimit: e.RUNNER_QUEUE_LIMIT,
    embedQueueLimit: e.RUNNER_EMBED_QUEUE_LIMIT,
    maxBatch: e.RUNNER_MAX_BATCH,
    batchWaitMs: e.RUNNER_BATCH_WAIT_MS,
    jobDeadlineMs: e.RUNNER_JOB_DEADLINE_MS,
    shutdownGraceMs: e.RUNNER_SHUTDOWN_GRACE_MS,
    maxBodyBytes: e.RUNNER_MAX_BODY_BYTES,
    retainJobs: e.RUNNER_RETAIN_JOBS,
    previewEvery: e.RUNNER_PREVIEW_EVERY,
    keys,
    callbackAllowList: e.RUNNER_CALLBACK_ALLOWLIST,
    logPrompts: e.RUNNER_LOG_PROMPTS,
    metricsPublic: e.RUNNER_METRICS_PUBLIC,
    skipWarmup: e.RUNNER_SKIP_WARMUP,
  };
}

/**
 * RUNNER_CUDA_PROVIDER_DIR alone, for the generate CLI (which needs no keys): the default of its
 * --cuda-provider-dir, so one variable serves the runner, its container and the CLI.
 */
export function readCudaProviderDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dir = env.RUNNER_CUDA_PROVIDER_DIR;
  return dir ? resolvePath(dir, env) : undefined;
}

/** the id a runner without RUNNER_ID answers to: the authority of the URL it is reached at */
export function listenId(host: string, port: number): string {
  return `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
}

/** the configuration as it may be logged: key ids, never secrets */
export function describeConfig(c: RunnerConfig): Record<string, unknown> {
  const { keys, ...rest } = c;
  return { ...rest, keyIds: Object.keys(keys) };
}
