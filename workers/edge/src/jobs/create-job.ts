// Creating a job from a route: idempotency, the embedding-cache lookup (so the
// response can say hit or miss and a bad prompt fails before a job exists),
// the Durable Object, and Prefer: wait.
import type { Context } from 'hono';
import { bytesToBase64, isTerminalStatus, maxWaitSeconds, type Job } from '@imagen-ts/protocol';
import type { AppEnv } from '../app-env.ts';
import { loadConfig } from '../config.ts';
import { EmbedError, embedPrompt, normalizePrompt, type CacheOutcome } from '../embedding-cache.ts';
import { errors, unwrap } from '../errors.ts';
import { admitted } from './admission.ts';
import { sha256HexOf } from '../keys.ts';
import { rememberImage } from '../images/recent-images.ts';
import { createRunnerPool, RunnerUnavailableError, type RunnerHandle, type RunnerPool } from '../runner/runner-pool.ts';
import type { WebhookTarget } from '../webhooks/webhook-queue.ts';
import type { ResolvedEmbeddings } from './drive.ts';
import { JobRequestError, negativeFromEncoder, stageParams, type JobInput } from './job-model.ts';

export interface CreateHeaders {
  'idempotency-key'?: string | undefined;
  prefer?: string | undefined;
}

export interface CreatedJob {
  job: Job;
  status: 200 | 202;
  headers: Record<string, string>;
}

const idAlphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';

function idFromBytes(bytes: Uint8Array, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += idAlphabet[(bytes[i] ?? 0) % idAlphabet.length];
  return s;
}

export async function jobIdFor(keyId: string, idempotencyKey: string | undefined): Promise<string> {
  if (idempotencyKey === undefined) {
    const bytes = new Uint8Array(26);
    crypto.getRandomValues(bytes);
    return `job_${idFromBytes(bytes, 26)}`;
  }
  // The same key and Idempotency-Key always name the same job object.
  const hex = await sha256HexOf(`${keyId}\n${idempotencyKey}`);
  const bytes = new Uint8Array(26);
  for (let i = 0; i < 26; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return `job_${idFromBytes(bytes, 26)}`;
}

export function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0] ?? 0;
}

export function jobStub(env: Env, id: string): DurableObjectStub<import('./job-object.ts').JobObject> {
  return env.JOBS.get(env.JOBS.idFromName(id));
}

export function waitSeconds(prefer: string | undefined): number {
  const m = prefer === undefined ? null : /wait=(\d+)/.exec(prefer);
  return m?.[1] ? Math.min(maxWaitSeconds, Number(m[1])) : 0;
}

/**
 * A runner for the model, or 503. When none is ready but one was lately (taken out for
 * a stall or a timeout under load), its handle, recentOnly: the request is checked
 * against its model and the job object waits for a runner, instead of a 503.
 */
export async function pickRunner(env: Env, modelId: string | undefined, pool: RunnerPool = createRunnerPool(loadConfig(env))): Promise<RunnerHandle> {
  try {
    return await pool.pick(modelId ? { modelId } : {});
  } catch (e) {
    if (e instanceof RunnerUnavailableError) {
      const recent = pool.recent(modelId)[0];
      if (recent) return recent;
      if (modelId !== undefined) {
        const models = (await pool.models()).map((m) => m.id);
        if (models.length > 0) throw errors.invalid(`model: no runner serves "${modelId}"`, { field: 'model', allowed: models });
      }
      throw errors.unavailable(e.message);
    }
    throw e;
  }
}

type NewInput = Omit<JobInput, 'ownerKeyId' | 'requestHash' | 'prompt' | 'negativePrompt'> & { prompt: string; negativePrompt: string | undefined; webhook?: WebhookTarget | undefined };

/**
 * Checks the job against the runner's model and resolves the prompt's and the
 * null/negative prompt's embeddings (KV, or the runner on a miss), so a bad prompt
 * fails before a job exists and the job object need not look them up again.
 */
async function resolveEmbeddings(env: Env, pool: RunnerPool, handle: RunnerHandle, input: JobInput): Promise<{ cache: CacheOutcome | null; resolved: ResolvedEmbeddings | undefined }> {
  try {
    stageParams(input, handle.model);
  } catch (e) {
    if (e instanceof JobRequestError) throw errors.invalid(e.message, { ...(e.field ? { field: e.field } : {}), ...(e.allowed ? { allowed: e.allowed } : {}) });
    throw e;
  }
  // no runner to ask now: the job object embeds the prompt once one is ready
  if (handle.recentOnly) return { cache: null, resolved: undefined };
  try {
    const [positive, negative] = await Promise.all([
      embedPrompt(env.EMBEDDINGS, pool, handle, input.prompt),
      negativeFromEncoder(handle.model, input.negativePrompt) ? embedPrompt(env.EMBEDDINGS, pool, handle, input.negativePrompt) : undefined,
    ]);
    const { id, sha256, maxTokens } = handle.model.textEncoder;
    const resolved = { encoder: { id, sha256, maxTokens }, embeddings: bytesToBase64(positive.bytes), negativeEmbeddings: negative ? bytesToBase64(negative.bytes) : undefined };
    return { cache: positive.cache, resolved };
  } catch (e) {
    // the runner's encoder is busy: the job is created all the same, and its object
    // embeds the prompt when it dispatches, waiting out the runner as for a busy submit
    if (e instanceof EmbedError && e.busy) return { cache: 'miss', resolved: undefined };
    if (e instanceof EmbedError) {
      if (e.runnerFault) {
        pool.markBad(handle.spec, e.message);
        throw errors.upstream(`the runner could not encode the prompt: ${e.message}`);
      }
      throw errors.invalid(`prompt: ${e.message}`, { field: 'prompt' });
    }
    throw e;
  }
}

export async function createJob(c: Context<AppEnv>, raw: unknown, { webhook, ...draft }: NewInput, headers: CreateHeaders, runner?: RunnerHandle): Promise<CreatedJob> {
  const key = c.get('apiKey');
  const requestHash = await sha256HexOf(JSON.stringify(raw));
  const id = await jobIdFor(key.id, headers['idempotency-key']);
  const stub = jobStub(c.env, id);
  const wait = waitSeconds(headers.prefer);

  const input: JobInput = { ...draft, ownerKeyId: key.id, requestHash, prompt: normalizePrompt(draft.prompt), negativePrompt: normalizePrompt(draft.negativePrompt ?? '') };
  let cache: CacheOutcome | null = null;
  let job: Job | undefined;
  let created = false;
  // admitted a few at a time (admission.ts): the place was taken at the door; a waited request waits outside it
  const leave = await admitted(c.get('leaveAdmission'));
  try {
    if (headers['idempotency-key'] !== undefined) job = unwrap(await stub.existing(key.id, requestHash)) ?? undefined;
    if (!job) {
      const pool = createRunnerPool(loadConfig(c.env));
      const handle = runner ?? (await pickRunner(c.env, draft.model, pool));
      const r = await resolveEmbeddings(c.env, pool, handle, input);
      ({ job, created } = unwrap(await stub.create({ id, input: { ...input, model: draft.model ?? handle.model.id }, embeddingCache: r.cache, resolved: r.resolved, ...(webhook ? { webhook } : {}) })));
      cache = r.cache;
    }
  } finally {
    leave();
  }
  if (wait > 0 && !isTerminalStatus(job.status)) {
    const waited = unwrap(await stub.waitFor(key.id, wait * 1000));
    job = waited.job;
    // the client's next request is likely the image: this isolate answers it from memory
    for (const { id: imageId, png } of waited.pngs ?? []) rememberImage(imageId, png);
  }
  const out: Record<string, string> = { Location: `/v1/jobs/${job.id}` };
  if (cache) out['X-Embedding-Cache'] = cache;
  else if (job.embeddingCache) out['X-Embedding-Cache'] = job.embeddingCache;
  if (!created) out['Idempotent-Replayed'] = 'true';
  if (wait > 0) out['Preference-Applied'] = `wait=${wait}`;
  return { job, status: isTerminalStatus(job.status) ? 200 : 202, headers: out };
}
