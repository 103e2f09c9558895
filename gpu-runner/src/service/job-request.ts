// POST /v1/jobs bodies, once the protocol's RunnerJobRequest has parsed them: the checks that need the
// loaded model (sizes, stage names, embeddings' encoder, init image size).
import { createHash } from 'node:crypto';
import { ApiError, base64ToBytes, decodeEmbeddings, EmbeddingCodecError, readPngMetadata, type ImagenPngInfo, type RunnerJobRequest } from '@imagen-ts/protocol';
import type { GenerateRequest, TextEmbeddings } from '../engine/types.ts';
import { RequestError } from '../engine/errors.ts';
import { planRequest } from '../engine/validate.ts';
import type { Manifest } from '../manifest/schema.ts';
import { decodePngRgb } from '../png/index.ts';

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

/**
 * The `imagen-ts` metadata of an upscale's init PNG, which the output records as its lineage.
 * A PNG without it, or with a chunk that does not parse, gives none: the output then records
 * only the pixels it received (what they claim to be is not this runner's to vouch for).
 */
export async function initParent(spec: JobSpec, body: RunnerJobRequest): Promise<ImagenPngInfo | undefined> {
  if (!spec.request.init || !body.init) return undefined;
  try {
    return (await readPngMetadata(base64ToBytes(body.init.image))).imagen;
  } catch {
    return undefined;
  }
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
export function resolveJob(body: RunnerJobRequest, ctx: ResolveContext): JobSpec {
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
