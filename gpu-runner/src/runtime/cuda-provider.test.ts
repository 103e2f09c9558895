import { lstatSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { linkCudaProvider, PROVIDER_FILES, readProviderBuildInfo } from './cuda-provider.ts';

// Stand-ins for the binding folder and a provider folder; the "libraries" are empty files,
// which ldd rejects, so the dependency check has nothing to say about them.
describe('runtime/cuda-provider', () => {
  let root: string;
  let bin: string;
  let provider: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'cuda-provider-'));
    bin = join(root, 'bin');
    provider = join(root, 'capi');
    mkdirSync(bin);
    mkdirSync(provider);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const fill = (dir: string, files: readonly string[]) => files.forEach((f) => writeFileSync(join(dir, f), ''));

  it('names a provider directory that does not exist', () => {
    const p = linkCudaProvider(join(root, 'nope'), bin, '1.30.0');
    expect(p?.code).toBe('CUDA_PROVIDER_DIR_INVALID');
    expect(p?.message).toContain(join(root, 'nope'));
  });

  it('names the provider files a folder lacks and where to get them (a CPU wheel has only the shared one)', () => {
    fill(provider, ['libonnxruntime_providers_shared.so']);
    const p = linkCudaProvider(provider, bin, '1.30.0');
    expect(p?.code).toBe('ORT_CUDA_BINARIES_MISSING');
    expect(p?.message).toContain('lacks libonnxruntime_providers_cuda.so');
    expect(p?.message).not.toContain('lacks libonnxruntime_providers_shared.so');
    expect(p?.message).toContain('onnxruntime-gpu 1.30.0');
    expect(p?.message).toContain('Microsoft.ML.OnnxRuntime.Gpu.Linux 1.30.0');
  });

  it('refuses a provider from another onnxruntime release, read from the wheel\'s build_and_package_info.py', () => {
    fill(provider, PROVIDER_FILES);
    writeFileSync(join(provider, 'build_and_package_info.py'), "package_name = 'onnxruntime-gpu'\n__version__ = '1.29.0'\ncuda_version = '13.0'\n");
    expect(readProviderBuildInfo(provider)).toEqual({ packageName: 'onnxruntime-gpu', version: '1.29.0', cudaVersion: '13.0' });
    const p = linkCudaProvider(provider, bin, '1.30.0');
    expect(p?.code).toBe('CUDA_PROVIDER_VERSION_MISMATCH');
    expect(p?.message).toMatch(/onnxruntime-gpu 1\.29\.0, but onnxruntime-node is 1\.30\.0/);
  });

  it('links the provider files next to the binding, and relinks when the folder changes', () => {
    fill(provider, PROVIDER_FILES);
    writeFileSync(join(provider, 'build_and_package_info.py'), "package_name = 'onnxruntime-gpu'\n__version__ = '1.30.0'\n");
    expect(linkCudaProvider(provider, bin, '1.30.0')).toBeNull();
    for (const f of PROVIDER_FILES) {
      expect(lstatSync(join(bin, f)).isSymbolicLink()).toBe(true);
      expect(readlinkSync(join(bin, f))).toBe(join(provider, f));
    }
    expect(linkCudaProvider(provider, bin, '1.30.0')).toBeNull(); // idempotent
    const other = join(root, 'other');
    mkdirSync(other);
    fill(other, PROVIDER_FILES);
    expect(linkCudaProvider(other, bin, '1.30.0')).toBeNull();
    expect(readlinkSync(join(bin, PROVIDER_FILES[1]))).toBe(join(other, PROVIDER_FILES[1]));
  });

  it('leaves files that npm installed alone and says which one is in the way', () => {
    fill(provider, PROVIDER_FILES);
    fill(bin, [PROVIDER_FILES[0]]);
    const p = linkCudaProvider(provider, bin, '1.30.0');
    expect(p?.code).toBe('CUDA_PROVIDER_NOT_LINKABLE');
    expect(p?.message).toContain(join(bin, PROVIDER_FILES[0]));
  });
});
