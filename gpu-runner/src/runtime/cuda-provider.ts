// Finding onnxruntime's CUDA execution provider without the internet. Plain file
// work, no onnxruntime import (runtime/ort.ts calls it before the first CUDA session).
//
// What onnxruntime-node does (read in microsoft/onnxruntime, js/node and
// onnxruntime/core/session/provider_bridge_ort.cc, and confirmed on 1.30.0 here with
// LD_DEBUG): the binding bin/napi-v6/<platform>/<arch>/onnxruntime_binding.node loads
// libonnxruntime.so.1 beside it (RUNPATH $ORIGIN). Appending the CUDA provider makes
// the core dlopen `GetRuntimePath() + "libonnxruntime_providers_shared.so"`, then
// `... + "libonnxruntime_providers_cuda.so"`, where GetRuntimePath() is the absolute
// folder of libonnxruntime.so.1. An absolute path: LD_LIBRARY_PATH cannot redirect it.
// So a provider built elsewhere (the onnxruntime-gpu wheel's onnxruntime/capi/, or the
// NuGet package Microsoft.ML.OnnxRuntime.Gpu.Linux that install.js downloads) has to
// appear in that folder; we link it there. The provider bridge is not a stable ABI:
// the provider files must come from the same onnxruntime release as the binding.
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, realpathSync, statSync, symlinkSync, unlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const PROVIDER_FILES = ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'] as const;

export type CudaProviderProblemCode =
  | 'CUDA_PROVIDER_DIR_INVALID'
  | 'ORT_CUDA_BINARIES_MISSING'
  | 'CUDA_PROVIDER_VERSION_MISMATCH'
  | 'CUDA_PROVIDER_NOT_LINKABLE'
  | 'CUDA_LIBRARIES_MISSING';

export interface CudaProviderProblem {
  code: CudaProviderProblemCode;
  message: string;
}

/** What a provider folder says about itself: the onnxruntime-gpu wheel's capi/build_and_package_info.py. */
export interface ProviderBuildInfo {
  packageName?: string;
  version?: string;
  cudaVersion?: string;
}

export function readProviderBuildInfo(dir: string): ProviderBuildInfo | undefined {
  const file = join(dir, 'build_and_package_info.py');
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, 'utf8');
  const field = (name: string) => new RegExp(`^${name}\\s*=\\s*['"]([^'"]*)['"]`, 'm').exec(text)?.[1];
  const info: ProviderBuildInfo = {};
  const [packageName, version, cudaVersion] = [field('package_name'), field('__version__'), field('cuda_version')];
  if (packageName !== undefined) info.packageName = packageName;
  if (version !== undefined) info.version = version;
  if (cudaVersion !== undefined) info.cudaVersion = cudaVersion;
  return info;
}

/** Shared libraries the dynamic loader cannot resolve for `lib` (ldd honours LD_LIBRARY_PATH); undefined when ldd cannot tell. */
export function unresolvedLibraries(lib: string): string[] | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const text = execFileSync('ldd', [lib], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] });
    return [...text.matchAll(/^\s*(\S+)\s*=>\s*not found/gm)].map((m) => m[1] ?? '');
  } catch {
    return undefined;
  }
}

const sourceHint = (ortVersion: string) =>
  `the onnxruntime-gpu ${ortVersion} wheel's onnxruntime/capi/ folder, or runtimes/linux-x64/native/ of the NuGet package Microsoft.ML.OnnxRuntime.Gpu.Linux ${ortVersion}`;

const sameFile = (a: string, b: string) => {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
};

/** Checks `providerDir` and links its provider files into `binDir` (the binding's folder). Null when done. */
export function linkCudaProvider(providerDir: string, binDir: string, ortVersion: string): CudaProviderProblem | null {
  const dir = resolve(providerDir);
  const where = `CUDA provider directory ${dir} (--cuda-provider-dir / RUNNER_CUDA_PROVIDER_DIR)`;
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return { code: 'CUDA_PROVIDER_DIR_INVALID', message: `${where} does not exist or is not a directory` };
  const missing = PROVIDER_FILES.filter((f) => !existsSync(join(dir, f)));
  if (missing.length)
    return {
      code: 'ORT_CUDA_BINARIES_MISSING',
      message: `${where} lacks ${missing.join(', ')}; it must hold ${PROVIDER_FILES.join(' and ')} from ${sourceHint(ortVersion)} (the CPU-only onnxruntime wheel has no CUDA provider)`,
    };
  const info = readProviderBuildInfo(dir);
  if (info?.version !== undefined && info.version !== ortVersion)
    return {
      code: 'CUDA_PROVIDER_VERSION_MISMATCH',
      message: `${where} is from ${info.packageName ?? 'onnxruntime'} ${info.version}, but onnxruntime-node is ${ortVersion}; the provider bridge is not a stable ABI, so use ${sourceHint(ortVersion)}, or install onnxruntime-node@${info.version}`,
    };
  const commands: string[] = [];
  for (const f of PROVIDER_FILES) {
    const source = join(dir, f);
    const target = join(binDir, f);
    if (existsSync(target) && sameFile(source, target)) continue;
    let isLink = false;
    try {
      isLink = lstatSync(target).isSymbolicLink();
    } catch {
      // absent: link it
    }
    if (existsSync(target) && !isLink)
      return {
        code: 'CUDA_PROVIDER_NOT_LINKABLE',
        message: `${target} already exists (installed by onnxruntime-node's install script) and is not ${source}; drop the provider directory to use the installed one, or delete ${target}`,
      };
    try {
      if (isLink) unlinkSync(target); // a link from an earlier provider directory
      symlinkSync(source, target);
    } catch {
      commands.push(`ln -sf ${source} ${target}`);
    }
  }
  if (commands.length)
    return {
      code: 'CUDA_PROVIDER_NOT_LINKABLE',
      message: `onnxruntime loads its providers only from the folder of libonnxruntime.so.1 (${binDir}), which this user cannot write; run once as its owner: ${commands.join(' && ')}`,
    };
  const unresolved = unresolvedLibraries(join(binDir, PROVIDER_FILES[1]));
  if (unresolved?.length)
    return {
      code: 'CUDA_LIBRARIES_MISSING',
      message: `${PROVIDER_FILES[1]} from ${dir}${info?.cudaVersion ? ` (built for CUDA ${info.cudaVersion})` : ''} needs libraries the dynamic loader does not find: ${unresolved.join(', ')}. Put the matching CUDA runtime, cuBLAS and cuDNN 9 folders on LD_LIBRARY_PATH (e.g. site-packages/nvidia/*/lib of the same CUDA major), or run with device "cpu"`,
    };
  return null;
}
