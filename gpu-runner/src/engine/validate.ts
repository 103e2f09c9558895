// GenerateRequest → a checked plan: which stages run and with what settings.
// Every error names the field and the allowed values.
import { z } from 'zod';
import { LIMITS, samplerNames, type SamplerName } from '@imagen-ts/protocol';
import type { Manifest, Stage } from '../manifest/schema.ts';
import { RequestError } from './errors.ts';
import type { GenerateOptions, GenerateRequest, TextEmbeddings } from './types.ts';

export { LIMITS };

export interface StagePlan {
  /** index in manifest.stages */
  index: number;
  stage: Stage;
  steps: number;
  sampler: SamplerName;
  guidance: number;
  /** SR stages only */
  noiseAugmentation: number | undefined;
}

export interface RequestPlan {
  request: GenerateRequest;
  /** the stages to run, in order (from init.fromStage or the base stage up to `size`) */
  stages: StagePlan[];
  /** per image: seed + i mod 2^32 */
  seeds: number[];
  /** requests with equal keys can share ONNX calls */
  batchKey: string;
}

const intIn = (lo: number, hi: number) => {
  const msg = `must be an integer in ${lo}..${hi}`;
  return z.number(msg).int(msg).min(lo, msg).max(hi, msg);
};
const numIn = (lo: number, hi: number) => {
  const msg = `must be a number in ${lo}..${hi}`;
  return z.number(msg).min(lo, msg).max(hi, msg);
};

function stageParamsSchema(stage: Stage, isSr: boolean) {
  const aug = stage.lowRes?.augmentationSchedule ?? stage.schedule;
  return z.strictObject({
    steps: intIn(LIMITS.steps[0], LIMITS.steps[1]).optional(),
    sampler: z.enum(samplerNames, `must be one of ${samplerNames.join(', ')}`).optional(),
    guidance: numIn(LIMITS.guidance[0], LIMITS.guidance[1]).optional(),
    noiseAugmentation: isSr
      ? intIn(0, aug.trainSteps - 1).optional()
      : z.undefined(`only super-resolution stages take noiseAugmentation (${stage.name} is the base stage)`).optional(),
  });
}

function requestSchema(manifest: Manifest) {
  const sizes = manifest.stages.map((s) => s.resolution);
  const names = manifest.stages.map((s) => s.name);
  const stageShape: Record<string, z.ZodOptional<ReturnType<typeof stageParamsSchema>>> = {};
  manifest.stages.forEach((s, i) => (stageShape[s.name] = stageParamsSchema(s, i > 0).optional()));
  return z.object({
    // the PNG's imagen-ts chunk records the prompts; the protocol bounds them, and so the chunk
    prompt: z.string('must be a string').max(LIMITS.promptChars, `must be at most ${LIMITS.promptChars} characters`),
    negativePrompt: z.string('must be a string').max(LIMITS.promptChars, `must be at most ${LIMITS.promptChars} characters`).optional(),
    seed: intIn(LIMITS.seed[0], LIMITS.seed[1]),
    n: intIn(LIMITS.n[0], LIMITS.n[1]),
    size: z.number().refine((v) => sizes.includes(v), `must be one of ${sizes.join(', ')} (the manifest's stage resolutions)`),
    stages: z.strictObject(stageShape, `must be an object keyed by stage name (${names.join(', ')})`).optional(),
    mark: z.boolean('must be true or false').optional(),
    init: z
      .object({
        image: z.instanceof(Uint8Array, { error: 'must be a Uint8Array of RGB8 pixels' }),
        width: z.number().int().positive(),
        height: z.number().int().positive(),
        fromStage: z.enum(names.slice(1) as [string, ...string[]], `must name a super-resolution stage: ${names.slice(1).join(', ')}`),
      })
      .optional(),
  });
}

function fail(issue: z.core.$ZodIssue, manifest: Manifest): never {
  const field = issue.path.map(String).join('.') || '(request)';
  let msg = issue.message;
  if (issue.code === 'unrecognized_keys') {
    const where = issue.path.length ? field : 'request';
    const allowed = issue.path[0] === 'stages' ? manifest.stages.map((s) => s.name) : [];
    throw new RequestError(issue.keys.map((k) => (issue.path.length ? `${field}.${k}` : k)).join(', '), `unknown ${where} key(s)${allowed.length ? `; allowed: ${allowed.join(', ')}` : ''}`);
  }
  const input = (issue as { input?: unknown }).input;
  if (input === undefined || ['string', 'number', 'boolean'].includes(typeof input)) msg += ` (got ${JSON.stringify(input) ?? 'nothing'})`;
  throw new RequestError(field, msg);
}

function checkEmbeddings(field: string, e: TextEmbeddings, tokens: number, hidden: number): void {
  const want = `batch 1, tokens ${tokens}, hidden ${hidden} (the manifest's maxTokens and hiddenSize)`;
  if (e.batch !== 1 || e.tokens !== tokens || e.hidden !== hidden) throw new RequestError(field, `must have ${want}; got batch ${e.batch}, tokens ${e.tokens}, hidden ${e.hidden}`);
  if (!(e.hiddenStates instanceof Float32Array) || e.hiddenStates.length !== tokens * hidden)
    throw new RequestError(`${field}.hiddenStates`, `must be a Float32Array of ${tokens}·${hidden} = ${tokens * hidden} values`);
  if (!(e.attentionMask instanceof BigInt64Array) || e.attentionMask.length !== tokens)
    throw new RequestError(`${field}.attentionMask`, `must be a BigInt64Array of ${tokens} values (0 or 1)`);
}

/** Validates a request against the manifest and resolves every stage's settings. */
export function planRequest(request: GenerateRequest, manifest: Manifest): RequestPlan {
  if (typeof request !== 'object' || request === null) throw new RequestError('(request)', 'must be an object');
  const r = requestSchema(manifest).safeParse(request, { reportInput: true });
  if (!r.success) fail(r.error.issues[0] as z.core.$ZodIssue, manifest);

  const end = manifest.stages.findIndex((s) => s.resolution === request.size);
  let start = 0;
  if (request.init) {
    const init = request.init;
    start = manifest.stages.findIndex((s) => s.name === init.fromStage);
    const from = manifest.stages[start];
    const low = manifest.stages[start - 1];
    if (!from || !low) throw new RequestError('init.fromStage', `must name a super-resolution stage`);
    if (start > end) throw new RequestError('init.fromStage', `stage "${from.name}" outputs ${from.resolution} px, above the requested size ${request.size}`);
    if (init.width !== low.resolution || init.height !== low.resolution)
      throw new RequestError('init', `stage "${from.name}" upsamples ${low.resolution}×${low.resolution} images (the output of "${low.name}"); got ${init.width}×${init.height}`);
    if (init.image.length !== init.width * init.height * 3)
      throw new RequestError('init.image', `must hold width·height·3 = ${init.width * init.height * 3} RGB8 bytes; got ${init.image.length}`);
  }
  const { maxTokens, hiddenSize } = manifest.textEncoder;
  if (request.embeddings !== undefined) checkEmbeddings('embeddings', request.embeddings, maxTokens, hiddenSize);
  if (request.negativeEmbeddings !== undefined) checkEmbeddings('negativeEmbeddings', request.negativeEmbeddings, maxTokens, hiddenSize);

  const stages: StagePlan[] = [];
  for (let i = start; i <= end; i++) {
    const stage = manifest.stages[i] as Stage;
    const p = request.stages?.[stage.name] ?? {};
    stages.push({
      index: i,
      stage,
      steps: p.steps ?? stage.defaults.steps,
      sampler: p.sampler ?? stage.defaults.sampler,
      guidance: p.guidance ?? stage.defaults.guidance,
      noiseAugmentation: stage.lowRes ? (p.noiseAugmentation ?? stage.lowRes.noiseAugmentation) : undefined,
    });
  }
  const seeds = Array.from({ length: request.n }, (_, i) => (request.seed + i) >>> 0);
  const batchKey = `${request.size}|${stages.map((s) => `${s.stage.name}:${s.sampler}:${s.steps}`).join('|')}`;
  return { request, stages, seeds, batchKey };
}

/** Checks the per-request options (previews, progress callback, abort signal). */
export function checkOptions(options: GenerateOptions): void {
  const { previewEvery, onProgress, signal } = options;
  if (previewEvery !== undefined && !(Number.isInteger(previewEvery) && previewEvery >= 0 && previewEvery <= LIMITS.steps[1]))
    throw new RequestError('previewEvery', `must be an integer in 0..${LIMITS.steps[1]} (0 = no previews); got ${String(previewEvery)}`);
  if (onProgress !== undefined && typeof onProgress !== 'function') throw new RequestError('onProgress', 'must be a function');
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new RequestError('signal', 'must be an AbortSignal');
}
