import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { loadManifest, ManifestError, sha256File } from './load-manifest.ts';

const fixtureDir = fileURLToPath(new URL('../../../models/fixtures/tiny', import.meta.url));
const temps: string[] = [];
const copyFixture = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'imagen-manifest-'));
  temps.push(dir);
  cpSync(fixtureDir, dir, { recursive: true });
  return dir;
};
afterEach(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function errorOf(p: Promise<unknown>): Promise<ManifestError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ManifestError);
    return e as ManifestError;
  }
  throw new Error('expected a ManifestError');
}

describe('loadManifest', () => {
  it('loads and verifies the fixture cascade', async () => {
    const m = await loadManifest(fixtureDir);
    expect(m.manifest.stages.map((s) => s.name)).toEqual(['base64', 'sr256', 'sr1024']);
    expect(m.files.stages.sr256).toBe(join(fixtureDir, 'sr256.onnx'));
    expect(m.files.tokenizer).toBe(join(fixtureDir, 'tokenizer.json'));
  });

  it('names every missing file (weights not downloaded)', async () => {
    const dir = copyFixture();
    rmSync(join(dir, 'sr256.onnx'));
    rmSync(join(dir, 'text-encoder.onnx'));
    const e = await errorOf(loadManifest(dir));
    expect(e.code).toBe('MODEL_FILE_MISSING');
    expect(e.message).toContain('text-encoder.onnx (textEncoder.onnx)');
    expect(e.message).toContain('sr256.onnx (stages.1.onnx (sr256))');
    expect(e.message).toContain('missing 2 files');
    // schema-only loading still works without the weights
    await expect(loadManifest(dir, { verify: 'none' })).resolves.toMatchObject({ manifest: { id: 'imagen-ts-tiny-fixture' } });
  });

  it('reports a sha256 mismatch with expected and actual hashes', async () => {
    const dir = copyFixture();
    const file = join(dir, 'base64.onnx');
    const bytes = readFileSync(file);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0xff;
    writeFileSync(file, bytes);
    const actual = createHash('sha256').update(bytes).digest('hex');
    const expected = (JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { stages: Array<{ sha256: string }> }).stages[0]?.sha256;
    const e = await errorOf(loadManifest(dir));
    expect(e.code).toBe('SHA256_MISMATCH');
    expect(e.message).toBe(`sha256 mismatch for base64.onnx (stages.0.onnx (base64)): expected ${expected} got ${actual}`);
    await expect(loadManifest(dir, { verify: 'exists' })).resolves.toBeDefined();
  });

  it('names the field path and the allowed values of an invalid manifest', async () => {
    const dir = copyFixture();
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { stages: Array<{ defaults: { sampler: string } }> };
    (m.stages[1] as { defaults: { sampler: string } }).defaults.sampler = 'euler';
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m));
    const e = await errorOf(loadManifest(dir));
    expect(e.code).toBe('MANIFEST_INVALID');
    expect(e.message).toMatch(/stages\.1\.defaults\.sampler: .*"ddpm".*"ddim".*"dpmpp-2m"/);
  });

  it('says when there is no manifest or it is not JSON', async () => {
    expect((await errorOf(loadManifest('/nonexistent-model-dir'))).code).toBe('MANIFEST_NOT_FOUND');
    const dir = copyFixture();
    writeFileSync(join(dir, 'manifest.json'), '{ nope');
    expect((await errorOf(loadManifest(dir))).code).toBe('MANIFEST_INVALID');
  });

  it('caches hashes by path, mtime and size', async () => {
    const dir = copyFixture();
    const file = join(dir, 'tokenizer.json');
    const when = new Date('2025-01-01T00:00:00Z');
    utimesSync(file, when, when);
    const first = await sha256File(file);
    const text = readFileSync(file, 'utf8');
    // same size and mtime → the cached hash is returned without reading the file
    writeFileSync(file, text.replace('"version"', '"versioN"'));
    utimesSync(file, when, when);
    expect(statSync(file).mtimeMs).toBe(when.getTime());
    expect(await sha256File(file)).toBe(first);
    // a new mtime → rehashed
    utimesSync(file, when, new Date(when.getTime() + 5000));
    const second = await sha256File(file);
    expect(second).not.toBe(first);
    expect(second).toBe(createHash('sha256').update(readFileSync(file)).digest('hex'));
  });
});
