// POST /v1/jobs bodies: the static schema (zod), then the checks that need the
// loaded model (sizes, stage names, embeddings' encoder, init image size).
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { GenerateRequest, TextEmbeddings } from '../engine/types.ts';
import { RequestError } from '../engine/errors.ts';
import { LIMITS, planRequest } from '../engine/validate.ts';
import { samplerNames, type Manifest } from '../manifest/schema.ts';
import { decodePngRgb } from '../png/index.ts';
import { base64ToBytes, decodeEmbeddings, EmbeddingCodecError } from './embedding-codec.ts';
import { ApiError } from './errors.ts';

export const maxPromptChars = 4000;
export const maxImagesPerJob = LIMITS.n[1];

const StageParamsBody = z.strictObject({
  steps: z.number().int().min(1).max(1000).optional(),
  sampler: z.enum(samplerNames).optional(),
  guidance: z.number().min(0).max(50).optional(),
  noiseAugmentation: z.number().int().min(0).max(100_000).optional(),
});

export const JobBody = z
  .strictObject({
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, '1-128 characters of [A-Za-z0-9._:-], starting with a letter or digit'),
    prompt: z.string().max(maxPromptChars).optional(),
    /** base64 of the embedding codec (POST /v1/embed's response body), batch 1 */
    embeddings: z.string().min(1).optional(),
    negativePrompt: z.string().max(maxPromptChars).optional(),
    /** base64 of the embedding codec, batch 1: the negative prompt's embeddings, or the null prompt's when no negativePrompt is given */
    negativeEmbeddings: z.string().min(1).optional(),
    /** uint32; default: derived from the job id, so a resubmission repeats the images */
    seed: z.number().int().min(0).max(0xffffffff).optional(),
    n: z.number().int().min(1).max(maxImagesPerJob).default(1),
    /** output resolution; default: the last stage's */
    size: z.number().int().min(1).max(65_536).optional(),
    /** per-stage overrides, keyed by the manifest's stage names */
    stages: z.record(z.string().max(64), StageParamsBody).optional(),
    mark: z.boolean().optional(),
    init: z.strictObject({ image: z.string().min(1), fromStage: z.string().min(1).max(64) }).optional(),
    callbackUrl: z.url({ protocol: /^https?$/ }).max(2048).optional(),
  })
  .refine((b) => b.prompt !== undefined || b.embeddings !== undefined, { message: 'give prompt or embeddings (or both)', path: ['prompt'] });
export type JobBody = z.infer<typeof JobBody>;

export interface JobSpec {
  request: GenerateRequest;
  /** jobs with equal keys can share one engine batch */
  batchKey: string;
  callbackUrl: string | undefined;
  /** sha256 of the canonical body: same id + same hash = the same job */
  bodyHash: string;
}

export interface ResolveContext {
  manifest: Manifest;
  callbackAllowList: string[];
}

/** JSON with sorted keys, so key order and whitespace do not change a job's identity */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function seedFromId(id: string): number {
  return createHash('sha256').update(`seed:${id}`).digest().readUInt32LE(0);
}

export function callbackAllowed(url: string, allowList: string[]): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  return allowList.some((entry) => {
    const wildcard = entry.endsWith(':*');
    const base = new URL(wildcard ? entry.slice(0, -2) : entry);
    if (base.protocol !== u.protocol || base.hostname !== u.hostname) return false;
    return wildcard || base.port === u.port;
  });
}

type EmbeddingsField = 'embeddings' | 'negativeEmbeddings';

function embeddingsFrom(field: EmbeddingsField, b64: string, manifest: Manifest): TextEmbeddings {
  let decoded;
  try {
    decoded = decodeEmbeddings(base64ToBytes(b64));
  } catch (e) {
    if (e instanceof EmbeddingCodecError) throw new ApiError(400, 'invalid_request', `${field}: ${e.message}`, { field });
    throw e;
  }
  const { header } = decoded;
  const te = manifest.textEncoder;
  if (header.encoderId !== te.id || header.encoderSha256 !== te.sha256)
    throw new ApiError(400, 'encoder_mismatch', `${field}: made by encoder ${header.encoderId}@${header.encoderSha256.slice(0, 12)}; this runner's is ${te.id}@${te.sha256.slice(0, 12)}`, {
      field,
      allowed: [{ encoderId: te.id, encoderSha256: te.sha256 }],
    });
  if (header.batch !== 1) throw new ApiError(400, 'invalid_request', `${field}: batch must be 1 (one prompt), got ${header.batch}`, { field });
  if (header.tokens !== te.maxTokens || header.hidden !== te.hiddenSize)
    throw new ApiError(400, 'invalid_request', `${field}: shape [1, ${header.tokens}, ${header.hidden}] must be [1, ${te.maxTokens}, ${te.hiddenSize}]`, { field });
  return decoded.embeddings;
}

/**
 * With nullPrompt 'zeros' the null prompt is no encoder output but all-zero hidden
 * states under an all-ones mask (text/text-encoder.ts). An encoder output sent in its
 * place (e.g. the embeddings of "") would silently change the images, so only that
 * exact tensor is accepted; callers simply omit negativeEmbeddings there, as it
 * costs no encoder run anyway.
 */
function checkZerosNull(e: TextEmbeddings, manifest: Manifest): void {
  if (e.hiddenStates.every((v) => v === 0) && e.attentionMask.every((m) => m === 1n)) return;
  throw new ApiError(
    400,
    'invalid_request',
    `negativeEmbeddings: without negativePrompt they stand for the null prompt, which for model "${manifest.id}" is 'zeros' (no encoder output); omit negativeEmbeddings, or give the negativePrompt they encode`,
    { field: 'negativeEmbeddings' },
  );
}

/** validates a parsed body against the model and builds the engine request */
export function resolveJob(body: JobBody, ctx: ResolveContext): JobSpec {
  const { manifest } = ctx;
  const stages = manifest.stages;
  const resolutions = stages.map((s) => s.resolution);
  const size = body.size ?? resolutions[resolutions.length - 1] ?? 0;
  const last = resolutions.indexOf(size);
  if (last < 0) throw new ApiError(400, 'invalid_request', `size: must be one of ${resolutions.join(', ')}`, { field: 'size', allowed: resolutions });

  const stageNames = stages.map((s) => s.name);
  for (const [name, params] of Object.entries(body.stages ?? {})) {
    const stage = stages.find((s) => s.name === name);
    if (!stage) throw new ApiError(400, 'invalid_request', `stages: unknown stage "${name}"`, { field: `stages.${name}`, allowed: stageNames });
    if (params.noiseAugmentation !== undefined) {
      if (!stage.lowRes) throw new ApiError(400, 'invalid_request', `stages.${name}.noiseAugmentation: only super-resolution stages take it`, { field: `stages.${name}.noiseAugmentation` });
      const trainSteps = (stage.lowRes.augmentationSchedule ?? stage.schedule).trainSteps;
      if (params.noiseAugmentation >= trainSteps)
        throw new ApiError(400, 'invalid_request', `stages.${name}.noiseAugmentation: must be an integer in [0, ${trainSteps - 1}]`, { field: `stages.${name}.noiseAugmentation` });
    }
  }

  let init: GenerateRequest['init'];
  if (body.init) {
    const srNames = stages.filter((s, i) => i > 0 && i <= last).map((s) => s.name);
    const first = stageNames.indexOf(body.init.fromStage);
    if (first < 1 || first > last)
      throw new ApiError(400, 'invalid_request', `init.fromStage: must be a super-resolution stage up to size ${size}`, { field: 'init.fromStage', allowed: srNames });
    const inputRes = stages[first - 1]?.resolution ?? 0;
    let img;
    try {
      img = decodePngRgb(base64ToBytes(body.init.image));
    } catch {
      throw new ApiError(400, 'invalid_request', 'init.image: not a base64 PNG', { field: 'init.image' });
    }
    if (img.width !== inputRes || img.height !== inputRes)
      throw new ApiError(400, 'invalid_request', `init.image: must be ${inputRes}×${inputRes} (the input of stage ${body.init.fromStage}), got ${img.width}×${img.height}`, { field: 'init.image' });
    init = { image: img.rgb, width: img.width, height: img.height, fromStage: body.init.fromStage };
  }

  if (body.callbackUrl !== undefined && !callbackAllowed(body.callbackUrl, ctx.callbackAllowList))
    throw new ApiError(400, 'callback_not_allowed', 'callbackUrl: its origin is not on the runner\'s allow-list', { field: 'callbackUrl', allowed: ctx.callbackAllowList });

  const request: GenerateRequest = {
    prompt: body.prompt ?? '',
    seed: body.seed ?? seedFromId(body.id),
    n: body.n,
    size,
  };
  if (body.negativePrompt !== undefined) request.negativePrompt = body.negativePrompt;
  if (body.embeddings !== undefined) request.embeddings = embeddingsFrom('embeddings', body.embeddings, manifest);
  if (body.negativeEmbeddings !== undefined) {
    const negative = embeddingsFrom('negativeEmbeddings', body.negativeEmbeddings, manifest);
    if (body.negativePrompt === undefined && manifest.textEncoder.nullPrompt === 'zeros') checkZerosNull(negative, manifest);
    request.negativeEmbeddings = negative;
  }
  if (body.stages !== undefined) request.stages = body.stages;
  if (body.mark !== undefined) request.mark = body.mark;
  if (init) request.init = init;

  // The engine's own plan is the final check, and its batchKey says which requests can
  // share ONNX calls (same size and per-stage steps and sampler; guidance and seeds may differ).
  let batchKey: string;
  try {
    batchKey = planRequest(request, manifest).batchKey;
  } catch (e) {
    if (e instanceof RequestError) throw new ApiError(400, 'invalid_request', e.message.replace(/^invalid request: /, ''), { field: e.field });
    throw e;
  }
  const bodyHash = createHash('sha256').update(canonicalJson(body)).digest('hex');
  return { request, batchKey, callbackUrl: body.callbackUrl, bodyHash };
}
