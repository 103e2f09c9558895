// The one module that imports onnxruntime-node. Everything else sees
// ModelSession / Feed / OutputTensor, so a runtime swap touches one file.
//
// CUDA is opt-in and never falls back silently: when the provider binaries or
// the CUDA libraries are missing, createSession() rejects with a RuntimeError
// whose code and message say exactly what is missing.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import ort from 'onnxruntime-node';
import { linkCudaProvider, PROVIDER_FILES, unresolvedLibraries, type CudaProviderProblemCode } from './cuda-provider.ts';

export type Device = 'cpu' | 'cuda';
/**
 * What a session can run on: the engine's devices, plus onnxruntime-node's bundled WebGPU provider
 * (Dawn on Vulkan on Linux), which only the GPU measurements (scripts/gpu-proof) open directly.
 */
export type ExecutionProvider = Device | 'webgpu';

export type RuntimeErrorCode =
  | CudaProviderProblemCode
  | 'CUDA_UNSUPPORTED_PLATFORM'
  | 'WEBGPU_PROVIDER_FAILED'
  | 'CUDA_PROVIDER_FAILED'
  | 'MODEL_LOAD_FAILED'
  | 'FEED_MISMATCH'
  | 'MODEL_RUN_FAILED';

export class RuntimeError extends Error {
  readonly code: RuntimeErrorCode;
  constructor(code: RuntimeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RuntimeError';
    this.code = code;
  }
}

export const ortVersion: string = ort.env.versions.node ?? ort.env.versions.common;

export type TensorType = 'float32' | 'int64' | 'int32' | 'uint8' | 'float16' | 'bool' | 'float64' | 'int8';
export type TensorData = Float32Array | BigInt64Array | Int32Array | Uint8Array | Float64Array | Int8Array | Uint16Array;

export interface InputSpec {
  name: string;
  type: string;
  /** numbers are fixed dims, strings symbolic ones; empty when ORT does not know the shape */
  shape: ReadonlyArray<number | string>;
}

/** An ORT tensor wrapping a typed array (no copy); build once, feed every step. */
export type Feed = ort.Tensor;

export interface OutputTensor {
  type: string;
  data: TensorData;
  dims: readonly number[];
}

export interface ModelSession {
  /** file name, for error messages */
  readonly label: string;
  readonly path: string;
  readonly provider: ExecutionProvider;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputs: readonly InputSpec[];
  dispose(): Promise<void>;
}

export interface SessionOptions {
  device: ExecutionProvider;
  /** threads inside one operator (0 = ORT's default: one per core) */
  intraOpThreads?: number;
  /** threads across independent operators (> 1 switches to parallel execution; default 1, sequential) */
  interOpThreads?: number;
  /**
   * Let idle intra-op threads spin-wait for the next operator (ORT's default: true). Spinning shortens the gap
   * between operators but burns a core after every run; with several sessions (text encoder + stages) on few
   * cores, each session's spinning pool competes with the next session and with the JS between runs.
   */
  allowSpinning?: boolean;
  /** CUDA device ordinal */
  deviceId?: number;
}

interface SessionImpl extends ModelSession {
  readonly ortSession: ort.InferenceSession;
}

const tensorTypeOf = (data: TensorData): TensorType => {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int8Array) return 'int8';
  return 'float16';
};

/** Wraps `data` as a tensor of shape `dims` without copying it; later writes to `data` are seen by the next run. */
export function createFeed(data: TensorData, dims: readonly number[]): Feed {
  const size = dims.reduce((a, b) => a * b, 1);
  if (size !== data.length) throw new RuntimeError('FEED_MISMATCH', `tensor of ${data.length} elements cannot have dims [${dims.join(', ')}] (${size} elements)`);
  return new ort.Tensor(tensorTypeOf(data), data, dims);
}

const fmtShape = (s: ReadonlyArray<number | string>) => `[${s.join(', ')}]`;

function describeInputs(session: ModelSession, feeds: Record<string, Feed>): string {
  const expected = session.inputs.map((i) => `${i.name}: ${i.type}${fmtShape(i.shape)}`).join(', ');
  const got = Object.entries(feeds)
    .map(([n, t]) => `${n}: ${t.type}${fmtShape(t.dims)}`)
    .join(', ');
  return `the model expects {${expected}}; got {${got}}`;
}

/** Checks names, element types and dims against the model's declared inputs; symbolic dims must agree across inputs. */
export function checkFeeds(session: ModelSession, feeds: Record<string, Feed>): void {
  const problems: string[] = [];
  const missing = session.inputNames.filter((n) => !(n in feeds));
  if (missing.length) problems.push(`missing input(s) ${missing.join(', ')}`);
  const unexpected = Object.keys(feeds).filter((n) => !session.inputNames.includes(n));
  if (unexpected.length) problems.push(`unexpected input(s) ${unexpected.join(', ')}`);
  const bound = new Map<string, { value: number; by: string }>();
  for (const spec of session.inputs) {
    const t = feeds[spec.name];
    if (!t) continue;
    if (spec.type && t.type !== spec.type) problems.push(`${spec.name} is ${t.type}, expected ${spec.type}`);
    if (spec.shape.length === 0) continue;
    if (t.dims.length !== spec.shape.length) {
      problems.push(`${spec.name} has rank ${t.dims.length} ${fmtShape(t.dims)}, expected rank ${spec.shape.length} ${fmtShape(spec.shape)}`);
      continue;
    }
    spec.shape.forEach((want, axis) => {
      const got = t.dims[axis] ?? -1;
      if (typeof want === 'number') {
        if (want >= 0 && got !== want) problems.push(`${spec.name} dim ${axis} is ${got}, expected ${want}`);
      } else if (want !== '') {
        const prev = bound.get(want);
        if (!prev) bound.set(want, { value: got, by: spec.name });
        else if (prev.value !== got) problems.push(`${spec.name} dim ${axis} ("${want}") is ${got} but ${prev.by} set "${want}" = ${prev.value}`);
      }
    });
  }
  if (problems.length) {
    throw new RuntimeError('FEED_MISMATCH', `invalid inputs for ${session.label}: ${problems.join('; ')} — ${describeInputs(session, feeds)}`);
  }
}

async function runChecked(session: ModelSession, feeds: Record<string, Feed>, outputNames?: readonly string[]): Promise<Record<string, OutputTensor>> {
  const impl = session as SessionImpl;
  let results: ort.InferenceSession.ReturnType;
  try {
    results = outputNames ? await impl.ortSession.run(feeds, outputNames) : await impl.ortSession.run(feeds);
  } catch (e) {
    throw new RuntimeError('MODEL_RUN_FAILED', `${session.label} failed to run: ${(e as Error).message} — ${describeInputs(session, feeds)}`, { cause: e });
  }
  // the tensors' own data, not copies: onnxruntime hands each run's outputs over in fresh buffers
  const out: Record<string, OutputTensor> = {};
  for (const name in results) {
    const t = results[name];
    if (t) out[name] = { type: t.type, data: t.data as TensorData, dims: t.dims };
  }
  return out;
}

/** Runs the model after checking the feeds; returns the requested outputs (all by default). */
export async function runModel(session: ModelSession, feeds: Record<string, Feed>, outputNames?: readonly string[]): Promise<Record<string, OutputTensor>> {
  checkFeeds(session, feeds);
  return runChecked(session, feeds, outputNames);
}

/** A run of fixed feeds, checked once: the sampling loop rewrites the feeds' data between runs, never their tensors. */
export interface PreparedRun {
  run(): Promise<Record<string, OutputTensor>>;
}

/** Checks `feeds` now (as runModel does) and returns a runner that skips the check on every call. */
export function prepareRun(session: ModelSession, feeds: Record<string, Feed>, outputNames?: readonly string[]): PreparedRun {
  checkFeeds(session, feeds);
  const names = outputNames ? [...outputNames] : undefined;
  return { run: () => runChecked(session, feeds, names) };
}

// ---- CUDA preflight -------------------------------------------------------

const ortBinDir = (): string => {
  const main = createRequire(import.meta.url).resolve('onnxruntime-node');
  return join(dirname(main), '..', 'bin', 'napi-v6', process.platform, process.arch);
};

const providerFiles = (): string[] =>
  process.platform === 'win32' ? ['onnxruntime_providers_shared.dll', 'onnxruntime_providers_cuda.dll'] : [...PROVIDER_FILES];

let cudaProviderDir: string | undefined;
let cudaPreflight: RuntimeError | null | undefined;

/**
 * Where the CUDA provider libraries come from when npm did not install them (config.ts reads
 * RUNNER_CUDA_PROVIDER_DIR, the CLI --cuda-provider-dir). Process-wide, like onnxruntime's own
 * provider library, which is loaded once per process; call before the first CUDA session.
 */
export function configureCuda(options: { providerDir?: string | undefined }): void {
  cudaProviderDir = options.providerDir;
  cudaPreflight = undefined;
}

/** Why CUDA cannot work in this process, or null when the files it needs are all there. Cached. */
export function diagnoseCuda(): RuntimeError | null {
  if (cudaPreflight !== undefined) return cudaPreflight;
  cudaPreflight = null;
  const supported = ort.listSupportedBackends().some((b) => b.name === 'cuda');
  const bin = ortBinDir();
  if (!supported) {
    cudaPreflight = new RuntimeError(
      'CUDA_UNSUPPORTED_PLATFORM',
      `device "cuda" requested, but onnxruntime-node ${ortVersion} has no CUDA execution provider for ${process.platform}/${process.arch} (only linux/x64 and win32/x64 have one); use device "cpu"`,
    );
    return cudaPreflight;
  }
  if (cudaProviderDir !== undefined) {
    const problem = linkCudaProvider(cudaProviderDir, bin, ortVersion);
    if (problem) cudaPreflight = new RuntimeError(problem.code, `device "cuda" requested, but ${problem.message}`);
    return cudaPreflight;
  }
  const missing = providerFiles().filter((f) => !existsSync(join(bin, f)));
  if (missing.length) {
    cudaPreflight = new RuntimeError(
      'ORT_CUDA_BINARIES_MISSING',
      `device "cuda" requested, but onnxruntime-node's CUDA execution provider is not installed: missing ${missing.join(', ')} in ${bin}. ` +
        'npm skipped these binaries (ONNXRUNTIME_NODE_INSTALL=skip from scripts/ensure-deps.sh, the CPU default); ' +
        'install them with `ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node` (downloads Microsoft.ML.OnnxRuntime.Gpu.Linux from NuGet), use the CUDA container, ' +
        `point --cuda-provider-dir / RUNNER_CUDA_PROVIDER_DIR at a folder holding them (e.g. the onnxruntime-gpu ${ortVersion} wheel's onnxruntime/capi/), or run with device "cpu"`,
    );
    return cudaPreflight;
  }
  const unresolved = unresolvedLibraries(join(bin, providerFiles()[1] ?? ''));
  if (unresolved?.length) {
    cudaPreflight = new RuntimeError(
      'CUDA_LIBRARIES_MISSING',
      `device "cuda" requested, but the CUDA libraries that ${providerFiles()[1]} needs are not found by the dynamic loader: ${unresolved.join(', ')}. ` +
        'Install the CUDA runtime + cuBLAS + cuDNN 9 of the CUDA major it was built for (or the CUDA container) and make them visible (ldconfig or LD_LIBRARY_PATH), or run with device "cpu"',
    );
  }
  return cudaPreflight;
}

// ---- sessions ---------------------------------------------------------------

export async function createSession(path: string, options: SessionOptions): Promise<ModelSession> {
  const label = basename(path);
  if (options.device === 'cuda') {
    const problem = diagnoseCuda();
    if (problem) throw problem;
  }
  const providers: ort.InferenceSession.ExecutionProviderConfig[] =
    options.device === 'cuda' ? [{ name: 'cuda', deviceId: options.deviceId ?? 0 }] : options.device === 'webgpu' ? ['webgpu'] : ['cpu'];
  let s: ort.InferenceSession;
  try {
    s = await ort.InferenceSession.create(path, {
      executionProviders: providers,
      graphOptimizationLevel: 'all',
      intraOpNumThreads: options.intraOpThreads ?? 0,
      // sequential execution never uses an inter-op pool; 1 keeps ORT from sizing one to the cores
      interOpNumThreads: options.interOpThreads ?? 1,
      executionMode: (options.interOpThreads ?? 1) > 1 ? 'parallel' : 'sequential',
      logSeverityLevel: 3,
      ...(options.allowSpinning !== undefined
        ? { extra: { session: { intra_op: { allow_spinning: options.allowSpinning ? '1' : '0' }, inter_op: { allow_spinning: options.allowSpinning ? '1' : '0' } } } }
        : {}),
    });
  } catch (e) {
    const msg = (e as Error).message;
    if (options.device === 'cuda') {
      throw new RuntimeError(
        'CUDA_PROVIDER_FAILED',
        `device "cuda": onnxruntime could not start the CUDA execution provider for ${label}: ${msg}. ` +
          'Check that an NVIDIA driver (libcuda.so.1) and a GPU are visible (nvidia-smi) and that the CUDA runtime / cuBLAS / cuDNN 9 libraries of the CUDA major the provider was built for are installed',
        { cause: e },
      );
    }
    if (options.device === 'webgpu') {
      throw new RuntimeError(
        'WEBGPU_PROVIDER_FAILED',
        `device "webgpu": onnxruntime could not start its WebGPU provider for ${label}: ${msg}. On Linux it needs a Vulkan loader (libvulkan.so.1) and a Vulkan driver for the GPU`,
        { cause: e },
      );
    }
    throw new RuntimeError('MODEL_LOAD_FAILED', `could not load ${path}: ${msg}`, { cause: e });
  }
  const inputs: InputSpec[] = s.inputMetadata.map((m) =>
    m.isTensor ? { name: m.name, type: m.type, shape: m.shape } : { name: m.name, type: 'non-tensor', shape: [] },
  );
  const session: SessionImpl = {
    label,
    path,
    provider: options.device,
    inputNames: s.inputNames,
    outputNames: s.outputNames,
    inputs,
    ortSession: s,
    dispose: () => s.release(),
  };
  return session;
}
