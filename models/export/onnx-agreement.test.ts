// The exported ONNX graphs compute what the PyTorch modules compute: check_onnx.py
// runs the tiny fixture's modules in torch and the committed ONNX files in
// onnxruntime-node (run-onnx.ts) on a fixed batch and reports max |diff|.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

const root = fileURLToPath(new URL('../../', import.meta.url));
const python = '/usr/bin/python3';

const Result = z.array(
  z.object({
    name: z.string(),
    ok: z.boolean(),
    maxAbsDiff: z.number(),
    refAbsMax: z.number(),
    shape: z.array(z.number()),
  }),
);

function check(args: string[]): z.infer<typeof Result> {
  // check_onnx exits 1 when a stage disagrees; the JSON on stdout still says which.
  let stdout: string;
  try {
    stdout = execFileSync(python, ['-W', 'ignore', '-m', 'models.export.check_onnx', '--model', 'tiny', ...args], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    if (!err.stdout) throw new Error(`check_onnx failed: ${err.stderr ?? String(e)}`);
    stdout = err.stdout;
  }
  const last = stdout.trim().split('\n').at(-1) ?? '';
  return Result.parse(JSON.parse(last));
}

describe.skipIf(!existsSync(python))('tiny fixture ONNX agrees with torch', () => {
  it('base64 (eps) and sr256 (eps-learned-range, 6 channels) within 1e-4', () => {
    const results = check(['--stages', 'base64,sr256', '--batch', '2']);
    expect(results.map((r) => r.name)).toEqual(['base64', 'sr256']);
    const [base, sr] = results;
    expect(base?.shape).toEqual([2, 3, 32, 32]);
    expect(sr?.shape).toEqual([2, 6, 64, 64]);
    for (const r of results) {
      // Random weights give O(1) outputs, so a 1e-4 bound is a real relative check.
      expect(r.refAbsMax).toBeGreaterThan(0.1);
      expect(r.maxAbsDiff).toBeLessThanOrEqual(1e-4);
      expect(r.ok).toBe(true);
    }
  });

  it('the SR stage is fully convolutional: the same ONNX runs at another resolution', () => {
    const [sr] = check(['--stages', 'sr256', '--batch', '1', '--res', '48']);
    expect(sr?.shape).toEqual([1, 6, 48, 48]);
    expect(sr?.maxAbsDiff).toBeLessThanOrEqual(1e-4);
  });
});
