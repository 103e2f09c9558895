// gpu-proof.sh --dry-run, as CI and a CPU machine run it: it must finish, write its JSON under
// $OUT with the CPU halves measured and every GPU part marked skipped with a reason. Uses the
// tiny fixture and small settings for time; on the GPU the same script defaults to models/embedded.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const out = mkdtempSync(join(tmpdir(), 'gpu-proof-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));
const read = <T>(f: string) => JSON.parse(readFileSync(join(out, f), 'utf8')) as T;

interface Summary {
  dryRun: boolean;
  cuda: { used: boolean; why: string };
  parts: Record<string, string>;
  ortVsTorch: { cpu: { rows: Array<{ batch: number; ortMs: number; torchEagerMs: number; eagerOverOrt: number; maxAbsDiffVsTorch: number }> } };
  batching: { c4OverC1: number } | null;
  seconds: number;
}

describe('gpu-proof.sh --dry-run', () => {
  it('measures the CPU halves, marks the GPU parts skipped and writes it all as JSON under $OUT', () => {
    const r = spawnSync(
      'bash',
      ['gpu-runner/scripts/gpu-proof.sh', '--dry-run', '--model', 'models/fixtures/tiny', '--sizes', '64,256', '--batches', '2', '--concurrency', '1,4', '--jobs', '4', '--budget', '200'],
      // the test's Node first on PATH: the script runs `node` for its TypeScript parts
      { cwd: root, encoding: 'utf8', timeout: 230_000, env: { ...process.env, OUT: out, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` } },
    );
    const log = existsSync(join(out, 'log.txt')) ? readFileSync(join(out, 'log.txt'), 'utf8') : r.stderr;
    expect(r.status, log.slice(-3000)).toBe(0);
    for (const f of ['env.json', 'cascade.json', 'torch.json', 'runner-bench.json', 'summary.json']) expect(existsSync(join(out, f)), f).toBe(true);

    const s = read<Summary>('summary.json');
    expect(s.dryRun).toBe(true);
    expect(s.cuda.used).toBe(false);
    expect(s.parts).toMatchObject({ cascadeCpu: 'measured', ortCpuVsTorch: 'measured', runnerBench: 'measured on cpu' });
    for (const gpuPart of ['cascadeGpuVsCpu', 'ortCudaVsTorch', 'ortWebgpuVsTorch']) expect(s.parts[gpuPart], gpuPart).toMatch(/^skipped: dry run/);
    expect(s.parts['torchCompile']).toMatch(/^(measured|skipped: torch .* has no torch\.compile)/);
    expect(s.seconds).toBeLessThan(200);

    // the CPU cascade: both sizes timed per stage, the fingerprint names the provider
    const cascade = read<{ cpu: Record<string, { seconds: number; msPerStep: Record<string, number>; fingerprint: { provider: string } }>; device: { skipped: string } }>('cascade.json');
    expect(Object.keys(cascade.cpu)).toEqual(['64', '256']);
    expect(cascade.cpu['256']?.msPerStep['sr256']).toBeGreaterThan(0);
    expect(cascade.cpu['64']?.fingerprint.provider).toBe('cpu');
    expect(cascade.device.skipped).toMatch(/dry run/);

    // ORT and PyTorch computed the same function on the same inputs, and both were timed
    const row = s.ortVsTorch.cpu.rows[0];
    expect(row?.batch).toBe(2);
    expect(row?.maxAbsDiffVsTorch).toBeLessThan(1e-3);
    expect(row?.ortMs).toBeGreaterThan(0);
    expect(row?.eagerOverOrt).toBeCloseTo((row?.torchEagerMs ?? 0) / (row?.ortMs ?? 1), 2);
    expect(s.batching?.c4OverC1).toBeGreaterThan(0);
  }, 240_000);
});
