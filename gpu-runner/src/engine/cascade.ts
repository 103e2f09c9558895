// The cascade engine: prompt → text embeddings → base stage → SR stages → RGB
// + PNG, on onnxruntime-node. createCascade() loads and verifies the model
// folder once; generate() runs one request, generateBatch() runs several and
// lets compatible ones (same planRequest().batchKey) share every ONNX call.
// Runs are serialized: one group at a time owns the sessions and the cores.
import { createHash } from 'node:crypto';
import type { PromptInspection } from '@imagen-ts/protocol';
import pkg from '../../package.json' with { type: 'json' };
import { loadManifest, type LoadedManifest } from '../manifest/load-manifest.ts';
import type { Manifest } from '../manifest/schema.ts';
import { applyMark, encodePng, IMAGEN_FORMAT, jsonRequest, pngText, type ImagenPngInfo } from '../png/index.ts';
import { createNoisePrefetcher, PRNG_ID } from '../random/index.ts';
import { createSession, ortVersion, type Device, type ModelSession } from '../runtime/ort.ts';
import { createTextEncoder, type TextEncoderRuntime } from '../text/text-encoder.ts';
import { loadTokenizer } from '../text/tokenizer.ts';
import { GenerationAbortedError } from './errors.ts';
import { planarToRgb8 } from './pixels.ts';
import { runGroup, type GroupItem } from './run-group.ts';
import type { GeneratedImage, GenerateOptions, GenerateRequest, GenerateResult, RuntimeFingerprint, TextEmbeddings } from './types.ts';
import { checkOptions, planRequest, type RequestPlan } from './validate.ts';
import { createWorkspace } from './workspace.ts';

export interface CascadeOptions {
  /** folder holding manifest.json and the files it names */
  modelDir: string;
  device?: Device;
  /** intra-op threads per ONNX session (default: ORT's, one per core) */
  threads?: number;
  interOpThreads?: number;
  /**
   * Let idle onnxruntime threads spin-wait between operators (default: false). Off, a 1024 px request on the
   * 2-core dev machine took ~30% less CPU and wall time: the text encoder's and each stage's own pools no longer
   * burn the cores the next session and the JS between runs need (see runtime/ort.ts SessionOptions).
   */
  allowSpinning?: boolean;
  /** 'sha256' (default) hashes every ONNX file once per process (cached by mtime + size) */
  verify?: 'sha256' | 'exists';
  /** prompts whose embeddings stay cached (LRU) */
  embeddingCacheSize?: number;
  /**
   * Pad U-Net calls of a single row to two (default: true on cpu). ORT's CPU
   * kernels take another path (GEMV) when a MatMul has one row, so a one-row call
   * is not bit-identical to the same row inside a batch; with the padding, an
   * image's bytes never depend on its batch mates. Costs one extra row, only in
   * calls that have exactly one (n = 1 at guidance 1). GPUs give no such
   * guarantee across batch sizes either way, hence off on cuda.
   */
  batchInvariant?: boolean;
  /**
   * Draw each SR stage's starting noise on a worker thread while the stage before it runs (default: true).
   * Same numbers either way; off, they are drawn between the stages.
   */
  prefetchNoise?: boolean;
  /** called after every U-Net run */
  onModelCall?: (e: ModelCallEvent) => void;
}

export interface ModelCallEvent {
  stage: string;
  /** rows of the ONNX batch, padding included */
  batch: number;
  /** real rows: unconditional (guided images only) + conditional */
  rows: number;
  ms: number;
}

export interface BatchItem {
  request: GenerateRequest;
  options?: GenerateOptions;
}

export interface Cascade {
  readonly manifest: Manifest;
  readonly modelDir: string;
  readonly fingerprint: RuntimeFingerprint;
  /** validates a request without running it; batchKey groups compatible requests */
  plan(request: GenerateRequest): RequestPlan;
  /** text embeddings of each prompt (each encoded at batch 1, stacked) */
  encode(prompts: string[]): Promise<TextEmbeddings>;
  /** classifier-free guidance's unconditional embeddings (manifest textEncoder.nullPrompt) */
  nullEmbeddings(): Promise<TextEmbeddings>;
  /** token count, truncation and unknown words of a prompt, from the model's tokenizer (no encoder run) */
  inspectPrompt(prompt: string): PromptInspection;
  generate(request: GenerateRequest, options?: GenerateOptions): Promise<GenerateResult>;
  /** one promise per item, settled independently (an aborted item rejects at once, the others go on) */
  generateBatch(items: readonly BatchItem[]): Promise<GenerateResult>[];
  /** text-encoder runs and U-Net runs (with rows) so far */
  stats(): { textEncoderRuns: number; stages: Record<string, { calls: number; rows: number; batch: number }> };
  dispose(): Promise<void>;
}

export const ENGINE_VERSION: string = pkg.version;

const fmtInputs = (s: ModelSession) => s.inputs.map((i) => `${i.name}: ${i.type}[${i.shape.join(', ')}]`).join(', ');

/**
 * Every input a session declares must be one the engine feeds, and the required ones must be there. The U-Nets'
 * encoder_attention_mask is optional: DeepFloyd IF's U-Nets ignore the text mask (diffusers' IF pipelines never
 * pass it), so a faithful export has no such input, and the engine feeds it only to models that declare it.
 */
function checkSessionInputs(loaded: LoadedManifest, sessions: Record<string, ModelSession>, encoder: ModelSession): void {
  const { manifest } = loaded;
  const problems: string[] = [];
  const need = (s: ModelSession, required: string[], optional: string[], where: string) => {
    const missing = required.filter((n) => !s.inputNames.includes(n));
    if (missing.length) problems.push(`${s.label} lacks required input(s) ${missing.join(', ')} named in ${where} (it has ${fmtInputs(s)})`);
    const unknown = s.inputNames.filter((n) => !required.includes(n) && !optional.includes(n));
    if (unknown.length) problems.push(`${s.label} has input(s) ${unknown.join(', ')} that ${where} does not name (the engine feeds ${[...required, ...optional].join(', ')})`);
  };
  const te = manifest.textEncoder;
  need(encoder, [te.inputNames.inputIds, te.inputNames.attentionMask], [], 'textEncoder.inputNames');
  manifest.stages.forEach((st, i) => {
    const s = sessions[st.name];
    if (!s) return;
    const n = st.inputNames;
    need(s, [n.sample, n.timestep, n.encoderHiddenStates, ...(i > 0 ? [n.noiseLevel] : [])], [n.encoderAttentionMask], `stages.${i}.inputNames`);
    if (!s.outputNames.includes(st.outputName)) problems.push(`${s.label} has no output "${st.outputName}" (stages.${i}.outputName; it has ${s.outputNames.join(', ')})`);
  });
  if (problems.length) throw new Error(`model "${manifest.id}" does not match its manifest: ${problems.join('; ')}`);
}

export async function createCascade(options: CascadeOptions): Promise<Cascade> {
  const device = options.device ?? 'cpu';
  const loaded = await loadManifest(options.modelDir, { verify: options.verify ?? 'sha256' });
  const { manifest } = loaded;
  const te = manifest.textEncoder;
  const sessionOptions = {
    device,
    ...(options.threads !== undefined ? { intraOpThreads: options.threads } : {}),
    ...(options.interOpThreads !== undefined ? { interOpThreads: options.interOpThreads } : {}),
    allowSpinning: options.allowSpinning ?? false,
  };
  const encoderSession = await createSession(loaded.files.textEncoder, sessionOptions);
  const sessions: Record<string, ModelSession> = {};
  try {
    for (const st of manifest.stages) sessions[st.name] = await createSession(loaded.files.stages[st.name] ?? '', sessionOptions);
    checkSessionInputs(loaded, sessions, encoderSession);
  } catch (e) {
    await Promise.all([encoderSession, ...Object.values(sessions)].map((s) => s.dispose()));
    throw e;
  }
  const tokenizer = await loadTokenizer(loaded.files.tokenizer, te.maxTokens);
  const textEncoder: TextEncoderRuntime = createTextEncoder({
    spec: te,
    tokenizer,
    session: encoderSession,
    ...(options.embeddingCacheSize !== undefined ? { cacheSize: options.embeddingCacheSize } : {}),
  });

  const fingerprint: RuntimeFingerprint = {
    engineVersion: ENGINE_VERSION,
    ortVersion,
    provider: device,
    modelId: manifest.id,
    textEncoderSha256: te.sha256,
    stageSha256: Object.fromEntries(manifest.stages.map((s) => [s.name, s.sha256])),
    prng: PRNG_ID,
  };
  const stageStats: Record<string, { calls: number; rows: number; batch: number }> = Object.fromEntries(
    manifest.stages.map((s) => [s.name, { calls: 0, rows: 0, batch: 0 }]),
  );
  const onModelCall = (stage: string, batch: number, rows: number, ms: number) => {
    const st = stageStats[stage];
    if (st) {
      st.calls++;
      st.rows += rows;
      st.batch += batch;
    }
    options.onModelCall?.({ stage, batch, rows, ms });
  };
  const minRows = (options.batchInvariant ?? device === 'cpu') ? 2 : 1;
  // the stages' big buffers, reused from request to request (runs are serialized); up to 1 GiB, then fresh arrays
  const workspace = createWorkspace();
  const noise = (options.prefetchNoise ?? true) ? createNoisePrefetcher() : undefined;

  let tail: Promise<void> = Promise.resolve();
  const serial = (fn: () => Promise<void>): Promise<void> => {
    const p = tail.then(fn);
    tail = p.catch(() => undefined);
    return p;
  };

  function buildResult(item: GroupItem, encodeMs: number, startedAt: number): GenerateResult {
    const { plan } = item;
    const out = item.output;
    if (!out) throw new Error('generation produced no output');
    const R = plan.request.size;
    const per = 3 * R * R;
    const stagesRun = plan.stages.map((s) => ({
      name: s.stage.name,
      resolution: s.stage.resolution,
      steps: s.steps,
      sampler: s.sampler,
      guidance: s.guidance,
      ...(s.noiseAugmentation !== undefined ? { noiseAugmentation: s.noiseAugmentation } : {}),
    }));
    const request = jsonRequest(plan.request);
    const images: GeneratedImage[] = plan.seeds.map((seed, i) => {
      const rgb = new Uint8Array(per);
      planarToRgb8(rgb, out, i * per, R, R);
      if (plan.request.mark !== false) applyMark(rgb, R, R);
      const info: ImagenPngInfo = { format: IMAGEN_FORMAT, request, image: { index: i, seed, width: R, height: R }, stages: stagesRun, fingerprint };
      const png = encodePng({ width: R, height: R, rgb, text: pngText(info) });
      return { seed, width: R, height: R, rgb, png, sha256: createHash('sha256').update(rgb).digest('hex') };
    });
    return {
      images,
      truncated: item.cond.truncated[0] ?? false,
      timings: { encodeMs, stagesMs: { ...item.stagesMs }, totalMs: performance.now() - startedAt },
      fingerprint,
    };
  }

  interface Pending {
    plan: RequestPlan;
    options: GenerateOptions;
    resolve: (r: GenerateResult) => void;
    reject: (e: unknown) => void;
  }

  async function runPending(group: Pending[]): Promise<void> {
    const startedAt = performance.now();
    const items: Array<{ item: GroupItem; encodeMs: number; pending: Pending }> = [];
    for (const p of group) {
      const { request } = p.plan;
      if (p.options.signal?.aborted) {
        p.reject(new GenerationAbortedError('encode', 0, p.options.signal.reason));
        continue;
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
        items.push({ item, encodeMs: performance.now() - t0, pending: p });
      } catch (e) {
        p.reject(e);
      }
    }
    try {
      await runGroup(
        items.map((i) => i.item),
        { sessions, tokens: te.maxTokens, hidden: te.hiddenSize, minRows, workspace, onModelCall, ...(noise ? { noise } : {}) },
      );
    } catch (e) {
      for (const { item } of items) item.fail(e);
      return;
    }
    for (const { item, encodeMs, pending } of items) {
      if (item.failed) continue;
      try {
        pending.resolve(buildResult(item, encodeMs, startedAt));
      } catch (e) {
        item.fail(e);
      }
    }
  }

  function generateBatch(batch: readonly BatchItem[]): Promise<GenerateResult>[] {
    const groups = new Map<string, Pending[]>();
    const promises = batch.map(
      ({ request, options = {} }) =>
        new Promise<GenerateResult>((resolve, reject) => {
          let plan: RequestPlan;
          try {
            plan = planRequest(request, manifest);
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
    for (const group of groups.values()) void serial(() => runPending(group).catch((e: unknown) => group.forEach((p) => p.reject(e))));
    return promises;
  }

  return {
    manifest,
    modelDir: loaded.dir,
    fingerprint,
    plan: (request) => planRequest(request, manifest),
    encode: (prompts) => textEncoder.encode(prompts),
    nullEmbeddings: () => textEncoder.nullEmbeddings(),
    inspectPrompt: (prompt) => tokenizer.inspect(prompt),
    generate(request, options) {
      const [p] = generateBatch([{ request, ...(options ? { options } : {}) }]);
      if (!p) throw new Error('generateBatch returned nothing');
      return p;
    },
    generateBatch,
    stats: () => ({
      textEncoderRuns: textEncoder.runs,
      stages: Object.fromEntries(Object.entries(stageStats).map(([k, v]) => [k, { ...v }])),
    }),
    async dispose() {
      await tail;
      workspace.clear();
      await noise?.close();
      await Promise.all([encoderSession, ...Object.values(sessions)].map((s) => s.dispose()));
    },
  };
}
