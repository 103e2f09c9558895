// The cascade engine: prompt → text embeddings → base stage → SR stages → RGB
// + PNG, on onnxruntime-node. createCascade() loads and verifies the model
// folder once; generate() runs one request, generateBatch() runs several and
// lets compatible ones (same planRequest().batchKey) share every ONNX call
// (./cascade-run.ts). Runs are serialized: one group at a time owns the
// sessions and the cores.
import type { PromptInspection } from '@imagen-ts/protocol';
import pkg from '../../package.json' with { type: 'json' };
import { loadManifest, type LoadedManifest } from '../manifest/load-manifest.ts';
import type { Manifest } from '../manifest/schema.ts';
import { createNoisePrefetcher, PRNG_ID } from '../random/index.ts';
import { createSession, ortVersion, type Device, type ModelSession } from '../runtime/ort.ts';
import { createTextEncoder, type TextEncoderRuntime } from '../text/text-encoder.ts';
import { loadTokenizer } from '../text/tokenizer.ts';
import { createGroupRunner, type BatchItem } from './cascade-run.ts';
import type { RowMode } from './run-stage.ts';
import type { GenerateOptions, GenerateRequest, GenerateResult, PhaseEvent, RuntimeFingerprint, TextEmbeddings } from './types.ts';
import { planRequest, type RequestPlan } from './validate.ts';
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
   * How U-Net rows are grouped into calls (run-stage.ts RowMode). 'split' (default on cpu): the guided images'
   * rows in one call, each unguided image's single row in a call of its own. ORT's CPU kernels take another path
   * (GEMV) when a MatMul has one row, so a one-row call is not bit-identical to the same row inside a batch; with
   * every image always at the same call size, an image's bytes never depend on its batch mates. 'padded' (the
   * engine before 0.2.0, kept for comparison): one call, a single row padded to two, i.e. an unguided n = 1 stage
   * computed twice the rows it needed; its fingerprint's engineVersion says `+padded-rows`. 'off' (default on
   * cuda, where no call size is bit-identical to another anyway): one call over all rows, no padding.
   */
  batchInvariance?: RowMode;
  /**
   * Draw each SR stage's starting noise on a worker thread while the stage before it runs (default: true).
   * Same numbers either way; off, they are drawn between the stages.
   */
  prefetchNoise?: boolean;
  /** called after every U-Net run */
  onModelCall?: (e: ModelCallEvent) => void;
  /** called with the time spent outside U-Net runs, phase by phase (the bench's time budget) */
  onPhase?: (e: PhaseEvent) => void;
}

export interface ModelCallEvent {
  stage: string;
  /** rows of the ONNX batch, padding included */
  batch: number;
  /** real rows: unconditional (guided images only) + conditional */
  rows: number;
  ms: number;
}

export type { BatchItem } from './cascade-run.ts';

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

/**
 * Goes into every PNG's fingerprint. Bumped whenever the same request and model give other pixels: 0.2.0 runs
 * unguided stages one row per call instead of padding a lone row to two (their bytes changed once; guided stages'
 * did not).
 */
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

interface LoadedSessions {
  encoder: ModelSession;
  stages: Record<string, ModelSession>;
}

/** One ONNX session per model file, checked against the manifest; nothing stays open when a check fails. */
async function loadSessions(loaded: LoadedManifest, options: CascadeOptions, device: Device): Promise<LoadedSessions> {
  const sessionOptions = {
    device,
    ...(options.threads !== undefined ? { intraOpThreads: options.threads } : {}),
    ...(options.interOpThreads !== undefined ? { interOpThreads: options.interOpThreads } : {}),
    allowSpinning: options.allowSpinning ?? false,
  };
  const encoder = await createSession(loaded.files.textEncoder, sessionOptions);
  const stages: Record<string, ModelSession> = {};
  try {
    for (const st of loaded.manifest.stages) stages[st.name] = await createSession(loaded.files.stages[st.name] ?? '', sessionOptions);
    checkSessionInputs(loaded, stages, encoder);
  } catch (e) {
    await Promise.all([encoder, ...Object.values(stages)].map((s) => s.dispose()));
    throw e;
  }
  return { encoder, stages };
}

type StageStats = Record<string, { calls: number; rows: number; batch: number }>;

/** Per-stage call counters, and the hook runStage() reports each U-Net call to. */
function createCallStats(manifest: Manifest, forward: CascadeOptions['onModelCall']) {
  const stats: StageStats = Object.fromEntries(manifest.stages.map((s) => [s.name, { calls: 0, rows: 0, batch: 0 }]));
  const onModelCall = (stage: string, batch: number, rows: number, ms: number) => {
    const st = stats[stage];
    if (st) {
      st.calls++;
      st.rows += rows;
      st.batch += batch;
    }
    forward?.({ stage, batch, rows, ms });
  };
  const snapshot = (): StageStats => Object.fromEntries(Object.entries(stats).map(([k, v]) => [k, { ...v }]));
  return { onModelCall, snapshot };
}

export async function createCascade(options: CascadeOptions): Promise<Cascade> {
  const device = options.device ?? 'cpu';
  const loaded = await loadManifest(options.modelDir, { verify: options.verify ?? 'sha256' });
  const { manifest } = loaded;
  const te = manifest.textEncoder;
  const sessions = await loadSessions(loaded, options, device);
  const tokenizer = await loadTokenizer(loaded.files.tokenizer, te.maxTokens);
  const textEncoder: TextEncoderRuntime = createTextEncoder({
    spec: te,
    tokenizer,
    session: sessions.encoder,
    ...(options.embeddingCacheSize !== undefined ? { cacheSize: options.embeddingCacheSize } : {}),
  });
  const rowMode: RowMode = options.batchInvariance ?? (device === 'cpu' ? 'split' : 'off');
  const fingerprint: RuntimeFingerprint = {
    // the padded mode's unguided stages give the bytes of the engine before 0.2.0: say so
    engineVersion: rowMode === 'padded' ? `${ENGINE_VERSION}+padded-rows` : ENGINE_VERSION,
    ortVersion,
    provider: device,
    modelId: manifest.id,
    textEncoderSha256: te.sha256,
    stageSha256: Object.fromEntries(manifest.stages.map((s) => [s.name, s.sha256])),
    prng: PRNG_ID,
  };
  const stats = createCallStats(manifest, options.onModelCall);
  // the stages' big buffers, reused from request to request (runs are serialized); up to 1 GiB, then fresh arrays
  const workspace = createWorkspace();
  const noise = (options.prefetchNoise ?? true) ? createNoisePrefetcher() : undefined;
  const group = { sessions: sessions.stages, tokens: te.maxTokens, hidden: te.hiddenSize, rowMode, workspace, onModelCall: stats.onModelCall, ...(options.onPhase ? { onPhase: options.onPhase } : {}), ...(noise ? { noise } : {}) };
  const runner = createGroupRunner({ manifest, textEncoder, fingerprint, group });

  return {
    manifest,
    modelDir: loaded.dir,
    fingerprint,
    plan: (request) => planRequest(request, manifest),
    encode: (prompts) => textEncoder.encode(prompts),
    nullEmbeddings: () => textEncoder.nullEmbeddings(),
    inspectPrompt: (prompt) => tokenizer.inspect(prompt),
    generate(request, options) {
      const [p] = runner.generateBatch([{ request, ...(options ? { options } : {}) }]);
      if (!p) throw new Error('generateBatch returned nothing');
      return p;
    },
    generateBatch: (batch) => runner.generateBatch(batch),
    stats: () => ({ textEncoderRuns: textEncoder.runs, stages: stats.snapshot() }),
    async dispose() {
      await runner.idle();
      workspace.clear();
      await noise?.close();
      await Promise.all([sessions.encoder, ...Object.values(sessions.stages)].map((s) => s.dispose()));
    },
  };
}
