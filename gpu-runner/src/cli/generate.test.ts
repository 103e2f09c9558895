// The CLI as a user runs it: a child process on the Node running the tests,
// against the random-weight fixture cascade (models/fixtures/tiny).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { markBox } from '../png/mark.ts';
import { decodePngRgb } from '../png/png.ts';
import { readPngMetadata } from '@imagen-ts/protocol';

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const cli = join(root, 'gpu-runner/src/cli/generate.ts');
const fixture = join(root, 'models/fixtures/tiny');
const work = mkdtempSync(join(tmpdir(), 'imagen-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: work, encoding: 'utf8', timeout: 240_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
const base = ['--model', fixture, '--threads', '1'];

describe('generate CLI: bad input', () => {
  // a copy of the fixture whose manifest promises a different base64.onnx
  const tampered = join(work, 'tampered');
  cpSync(fixture, tampered, { recursive: true });
  const m = JSON.parse(readFileSync(join(tampered, 'manifest.json'), 'utf8')) as { stages: Array<{ sha256: string }> };
  (m.stages[0] as { sha256: string }).sha256 = '0'.repeat(64);
  writeFileSync(join(tampered, 'manifest.json'), JSON.stringify(m));
  const broken = join(work, 'broken');
  cpSync(fixture, broken, { recursive: true });
  writeFileSync(join(broken, 'manifest.json'), '{"schemaVersion": 2}');

  it.each([
    ['unknown flag', '--bogus', ['--prompt', 'x', '--bogus', ...base]],
    ['missing prompt', '--prompt', [...base]],
    ['size 99', '--size', ['--prompt', 'x', '--size', '99', ...base], /64, 256, 1024/],
    ['steps 0', '--steps', ['--prompt', 'x', '--steps', '0', ...base], /1\.\.1000/],
    ['guidance -1', '--guidance', ['--prompt', 'x', '--guidance', '-1', ...base], /0\.\.50/],
    ['bad seed', '--seed', ['--prompt', 'x', '--seed', 'soon', ...base], /0\.\.4294967295/],
    ['seed too large', '--seed', ['--prompt', 'x', '--seed', '4294967296', ...base], /0\.\.4294967295/],
    ['unknown sampler', '--sampler', ['--prompt', 'x', '--sampler', 'euler', ...base], /ddpm, ddim, dpmpp-2m/],
    ['unknown stage', '--stage-steps', ['--prompt', 'x', '--stage-steps', 'sr999=3', ...base], /base64, sr256, sr1024/],
    ['noise-aug out of range', '--noise-aug', ['--prompt', 'x', '--noise-aug', '1000', ...base], /0\.\.999/],
    ['too many images', '--n', ['--prompt', 'x', '--n', '99', ...base], /1\.\.8/],
    ['out not png', '--out', ['--prompt', 'x', '--out', 'a.jpg', ...base], /\.png/],
    ['missing model dir', '--model', ['--prompt', 'x', '--model', join(work, 'nope')], /no such directory/],
    ['sha256 mismatch', '--model', ['--prompt', 'x', '--model', tampered], /sha256 mismatch.*base64\.onnx/],
    ['invalid manifest', '--model', ['--prompt', 'x', '--model', broken], /schemaVersion/],
    ['cuda provider dir missing', '--device', ['--prompt', 'x', '--size', '64', '--device', 'cuda', '--cuda-provider-dir', join(work, 'no-capi'), ...base], /no-capi \(--cuda-provider-dir \/ RUNNER_CUDA_PROVIDER_DIR\) does not exist/],
  ])('%s → non-zero exit, one line naming %s', (_name, field, args, allowed?: RegExp) => {
    const r = run(args);
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBeNull();
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: /);
    expect(lines[0]).toContain(field);
    if (allowed) expect(lines[0]).toMatch(allowed);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stdout).toBe('');
  });

  it('--help prints usage and exits 0', () => {
    const r = run(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--prompt <text>');
    expect(r.stdout).toContain('--no-mark');
  });
});

describe('generate CLI: images from the fixture cascade', () => {
  it('writes a 1024 px PNG with metadata; same arguments give the same bytes, another seed other bytes', async () => {
    const args = ['--prompt', 'a red circle', '--negative-prompt', 'blurry', '--seed', '42', '--size', '1024', ...base, '--json'];
    const a = run([...args, '--out', 'a.png']);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stderr).toBe('');
    const lines = a.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const summary = JSON.parse(lines[0] ?? '') as { files: string[]; seeds: number[]; sha256s: string[]; timings: { totalMs: number }; fingerprint: { modelId: string } };
    expect(summary.files).toEqual([join(work, 'a.png')]);
    expect(summary.seeds).toEqual([42]);
    expect(summary.sha256s).toEqual([sha(join(work, 'a.png'))]);
    expect(summary.fingerprint.modelId).toBe('imagen-ts-tiny-fixture');
    expect(summary.timings.totalMs).toBeGreaterThan(0);

    const png = readFileSync(join(work, 'a.png'));
    const img = decodePngRgb(png);
    expect([img.width, img.height]).toEqual([1024, 1024]);
    const meta = await readPngMetadata(png);
    expect(meta.parameters).toMatchObject({ prompt: 'a red circle', negativePrompt: 'blurry', seed: 42, width: 1024, height: 1024, model: 'imagen-ts-tiny-fixture' });
    expect(meta.imagen?.request).toMatchObject({ prompt: 'a red circle', seed: 42, size: 1024 });
    expect(meta.imagen?.stages.map((s) => s.name)).toEqual(['base64', 'sr256', 'sr1024']);

    const b = run([...args, '--out', 'b.png']);
    expect(b.code, b.stderr).toBe(0);
    expect(sha(join(work, 'b.png'))).toBe(sha(join(work, 'a.png')));

    const c = run([...args.map((v) => (v === '42' ? '43' : v)), '--out', 'c.png']);
    expect(c.code, c.stderr).toBe(0);
    expect(sha(join(work, 'c.png'))).not.toBe(sha(join(work, 'a.png')));
  }, 300_000);

  it('--n 2 writes out-0.png and out-1.png with seeds s and s+1; --no-mark and --steps apply', async () => {
    const r = run(['--prompt', 'кот в шляпе', '--seed', '7', '--n', '2', '--size', '256', '--steps', '2', '--no-mark', '--out', 'multi/out.png', ...base, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as { files: string[]; seeds: number[] };
    expect(s.files).toEqual([join(work, 'multi/out-0.png'), join(work, 'multi/out-1.png')]);
    expect(s.seeds).toEqual([7, 8]);
    for (const f of s.files) expect(existsSync(f)).toBe(true);
    const meta = await readPngMetadata(readFileSync(s.files[1] ?? ''));
    expect(meta.parameters).toMatchObject({ prompt: 'кот в шляпе', seed: 8, steps: 2 });
    expect(meta.imagen?.request.mark).toBe(false);
    expect(meta.imagen?.stages.every((st) => st.steps === 2)).toBe(true);
  });

  it('marks images ≥ 256 px by default, only inside the mark box; --no-mark leaves it out', () => {
    const args = ['--prompt', 'mark me', '--seed', '3', '--size', '256', '--steps', '2', ...base];
    expect(run([...args, '--out', 'marked.png']).code).toBe(0);
    expect(run([...args, '--no-mark', '--out', 'plain.png']).code).toBe(0);
    const marked = decodePngRgb(readFileSync(join(work, 'marked.png')));
    const plain = decodePngRgb(readFileSync(join(work, 'plain.png')));
    const box = markBox(256, 256);
    if (!box) throw new Error('no mark box at 256 px');
    let inside = 0;
    let outside = 0;
    for (let p = 0; p < 256 * 256; p++) {
      const x = p % 256;
      const y = Math.floor(p / 256);
      const differs = [0, 1, 2].some((c) => marked.rgb[3 * p + c] !== plain.rgb[3 * p + c]);
      if (!differs) continue;
      if (x >= box.x && x < box.x + box.width && y >= box.y && y < box.y + box.height) inside++;
      else outside++;
    }
    expect(outside).toBe(0);
    expect(inside).toBeGreaterThan(100);
  });

  it('prints a readable summary without --json', () => {
    const r = run(['--prompt', 'x', '--seed', '1', '--size', '64', '--out', 'small.png', ...base]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(join(work, 'small.png'));
    expect(r.stdout).toMatch(/seed 1 {2}sha256 [0-9a-f]{64}/);
  });
});
