// How createCascade() (./cascade.ts) runs requests: generateBatch() validates
// each request and groups compatible ones (equal batchKey); groups run one at a
// time, each as three steps — encode its prompts, runGroup() over every stage,
// and turn each request's pixels into images (the png module's file step).
import type { Manifest } from '../manifest/schema.ts';
import { lineageAfter } from '@imagen-ts/protocol';
import { createImageFile, pixelHashOf } from '../png/image-file.ts';
import { IMAGEN_FORMAT, jsonRequest, type ImagenPngInfo } from '../png/index.ts';
import type { TextEncoderRuntime } from '../text/text-encoder.ts';
import { GenerationAbortedError } from './errors.ts';
import { planarToRgb8 } from './pixels.ts';
import { runGroup, type GroupContext, type GroupItem } from './run-group.ts';
import type { GeneratedImage, GenerateOptions, GenerateRequest, GenerateResult, RuntimeFingerprint } from './types.ts';
import { checkOptions, planRequest, type RequestPlan } from './validate.ts';

export interface BatchItem {
  request: GenerateRequest;
  options?: GenerateOptions;
}

export interface GroupRunnerContext {
  manifest: Manifest;
  textEncoder: TextEncoderRuntime;
  fingerprint: RuntimeFingerprint;
  /** sessions, buffers and hooks for runGroup() */
  group: GroupContext;
}

export interface GroupRunner {
  /** one promise per item, settled independently */
  generateBatch(batch: readonly BatchItem[]): Promise<GenerateResult>[];
  /** resolves once every group queued so far has finished */
  idle(): Promise<void>;
}

interface Pending {
  plan: RequestPlan;
  options: GenerateOptions;
  resolve: (r: GenerateResult) => void;
  reject: (e: unknown) => void;
}

interface Encoded {
  item: GroupItem;
  encodeMs: number;
  pending: Pending;
}

/** The stages as they ran, for the PNG metadata. */
function stagesRun(plan: RequestPlan): ImagenPngInfo['stages'] {
  return plan.stages.map((s) => ({
    name: s.stage.name,
    resolution: s.stage.resolution,
    steps: s.steps,
    sampler: s.sampler,
    guidance: s.guidance,
    ...(s.noiseAugmentation !== undefined ? { noiseAugmentation: s.noiseAugmentation } : {}),
  }));
}

/**
 * What an upscale's PNG says of where it came from: the init pixels' hash as received,
 * and the chain its input's metadata recorded (none when the input had no imagen-ts chunk).
 */
function provenance(init: GenerateRequest['init']): Pick<ImagenPngInfo, 'source' | 'lineage'> {
  if (!init) return {};
  const pixels = pixelHashOf(init.image, init.width, init.height);
  const lineage = init.parent ? lineageAfter(init.parent, pixels) : undefined;
  return { source: { width: init.width, height: init.height, pixels }, ...(lineage ? { lineage } : {}) };
}

/** A finished item's planar output → RGB8 images, each made into its PNG file. */
function buildResult(item: GroupItem, encodeMs: number, startedAt: number, fingerprint: RuntimeFingerprint, onPhase: GroupContext['onPhase']): GenerateResult {
  const { plan } = item;
  const out = item.output;
  if (!out) throw new Error('generation produced no output');
  const R = plan.request.size;
  const per = 3 * R * R;
  const stages = stagesRun(plan);
  const request = jsonRequest(plan.request);
  const chain = provenance(plan.request.init);
  const images: GeneratedImage[] = plan.seeds.map((seed, i) => {
    const t0 = performance.now();
    const planes = out[i];
    if (!planes || planes.length !== per) throw new Error(`generation produced no ${R} px output for image ${i}`);
    const pixels = new Uint8Array(per);
    planarToRgb8(pixels, planes, 0, R, R);
    const t1 = performance.now();
    onPhase?.({ phase: 'pixels', stage: null, ms: t1 - t0 });
    const info: ImagenPngInfo = { format: IMAGEN_FORMAT, request, image: { index: i, seed, width: R, height: R }, stages, fingerprint, ...chain };
    const { rgb, png, sha256 } = createImageFile(pixels, info, plan.request.mark !== false);
    onPhase?.({ phase: 'png', stage: null, ms: performance.now() - t1 });
    return { seed, width: R, height: R, rgb, png, sha256 };
  });
  return {
    images,
    truncated: item.cond.truncated[0] ?? false,
    timings: { encodeMs, stagesMs: { ...item.stagesMs }, totalMs: performance.now() - startedAt },
    fingerprint,
  };
}

/** The prompt's embeddings and, when a stage is guided, the unconditional ones; null when aborted or failed. */
async function encodeOne(p: Pending, textEncoder: TextEncoderRuntime): Promise<Encoded | null> {
  const { request } = p.plan;
  if (p.options.signal?.aborted) {
    p.reject(new GenerationAbortedError('encode', 0, p.options.signal.reason));
    return null;
  }
  const t0 = performance.now();
  try {
    const cond = request.embeddings ?? (await textEncoder.encode([request.prompt]));
    const needUncond = p.plan.stages.some((s) => s.guidance !== 1);
    const uncond = !needUncond
      ? null
      : (request.negativeEmbeddings ?? (request.negativePrompt !== undefined ? await textEncoder.encode([request.negativePrompt]) : await textEncoder.nullEmbeddings()));
    const item: GroupItem = {
      plan: p.plan,
      options: p.options,
      cond,
      uncond,
      failed: false,
      fail(e) {
        if (item.failed) return;
        item.failed = true;
        p.reject(e);
      },
      stagesMs: {},
    };
    return { item, encodeMs: performance.now() - t0, pending: p };
  } catch (e) {
    p.reject(e);
    return null;
  }
}

/** Encode, run every stage, build the results: every pending item is settled here. */
async function runPending(group: Pending[], ctx: GroupRunnerContext): Promise<void> {
  const startedAt = performance.now();
  const items: Encoded[] = [];
  for (const p of group) {
    const encoded = await encodeOne(p, ctx.textEncoder);
    if (encoded) {
      items.push(encoded);
      ctx.group.onPhase?.({ phase: 'text', stage: null, ms: encoded.encodeMs });
    }
  }
  try {
    await runGroup(
      items.map((i) => i.item),
      ctx.group,
    );
  } catch (e) {
    for (const { item } of items) item.fail(e);
    return;
  }
  for (const { item, encodeMs, pending } of items) {
    if (item.failed) continue;
    try {
      pending.resolve(buildResult(item, encodeMs, startedAt, ctx.fingerprint, ctx.group.onPhase));
    } catch (e) {
      item.fail(e);
    }
  }
}

export function createGroupRunner(ctx: GroupRunnerContext): GroupRunner {
  // runs are serialized: one group at a time owns the sessions and the cores
  let tail: Promise<void> = Promise.resolve();
  const serial = (fn: () => Promise<void>): Promise<void> => {
    const p = tail.then(fn);
    tail = p.catch(() => undefined);
    return p;
  };

  function generateBatch(batch: readonly BatchItem[]): Promise<GenerateResult>[] {
    const groups = new Map<string, Pending[]>();
    const promises = batch.map(
      ({ request, options = {} }) =>
        new Promise<GenerateResult>((resolve, reject) => {
          let plan: RequestPlan;
          try {
            plan = planRequest(request, ctx.manifest);
            checkOptions(options);
          } catch (e) {
            reject(e instanceof Error ? e : new Error(String(e)));
            return;
          }
          const list = groups.get(plan.batchKey) ?? [];
          list.push({ plan, options, resolve, reject });
          groups.set(plan.batchKey, list);
        }),
    );
    // runPending settles every item itself; the catch is for bugs, so no promise is left pending
    for (const group of groups.values()) void serial(() => runPending(group, ctx).catch((e: unknown) => group.forEach((p) => p.reject(e))));
    return promises;
  }

  return { generateBatch, idle: () => tail };
}
