// gpu-proof, part 1: the cascade on the GPU against the CPU engine on the same seeds.
// For each size: one CPU reference image, one warm-up and one timed image on the device;
// max abs difference of the final pixels and PSNR (devices are not bit-identical),
// per-stage ms per step (onModelCall) and seconds per image. Writes one JSON file.
//   node gpu-runner/scripts/gpu-proof/cascade-check.ts --model DIR --sizes 64,256,1024 --device cuda|none --out FILE
import { writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { createCascade } from '../../src/engine/cascade.ts';
import type { GenerateRequest } from '../../src/engine/types.ts';
import { configureCuda, type Device } from '../../src/runtime/ort.ts';

interface Options {
  model: string;
  sizes: string;
  device: string;
  seed: string;
  threads?: string;
  cudaProviderDir?: string;
  out: string;
}

const o = new Command()
  .requiredOption('--model <dir>')
  .option('--sizes <list>', 'output sizes', '64,256,1024')
  .option('--device <device>', 'cuda, or none for the CPU half alone (the dry run)', 'cuda')
  .option('--seed <n>', 'seed of the one image per size', '7')
  .option('--threads <n>', 'ORT intra-op threads of the CPU reference')
  .option('--cuda-provider-dir <dir>')
  .requiredOption('--out <file>')
  .parse()
  .opts<Options>();

interface Run {
  seconds: number;
  msPerStep: Record<string, number>;
  steps: Record<string, number>;
  rgb: Uint8Array;
  fingerprint: unknown;
}

async function runOn(device: Device, sizes: number[], warm: boolean): Promise<Map<number, Run> | { error: string }> {
  let calls: Array<{ stage: string; ms: number }> = [];
  let cascade;
  try {
    cascade = await createCascade({
      modelDir: o.model,
      device,
      ...(device === 'cpu' && o.threads ? { threads: Number(o.threads) } : {}),
      onModelCall: (e) => calls.push({ stage: e.stage, ms: e.ms }),
    });
  } catch (e) {
    return { error: `${(e as { code?: string }).code ?? 'ERROR'}: ${(e as Error).message}` };
  }
  const out = new Map<number, Run>();
  try {
    for (const size of sizes) {
      const request: GenerateRequest = { prompt: 'two red circles above a blue square', seed: Number(o.seed), n: 1, size, mark: false };
      if (warm) await cascade.generate(request); // first run pays for kernel selection and allocation
      calls = [];
      const t0 = performance.now();
      const r = await cascade.generate(request);
      const seconds = (performance.now() - t0) / 1000;
      const msPerStep: Record<string, number> = {};
      const steps: Record<string, number> = {};
      for (const c of calls) {
        steps[c.stage] = (steps[c.stage] ?? 0) + 1;
        msPerStep[c.stage] = (msPerStep[c.stage] ?? 0) + c.ms;
      }
      for (const s of Object.keys(msPerStep)) msPerStep[s] = Number(((msPerStep[s] ?? 0) / (steps[s] ?? 1)).toFixed(3));
      out.set(size, { seconds: Number(seconds.toFixed(3)), msPerStep, steps, rgb: r.images[0]?.rgb ?? new Uint8Array(), fingerprint: r.fingerprint });
    }
  } finally {
    await cascade.dispose();
  }
  return out;
}

function compare(a: Uint8Array, b: Uint8Array): { maxAbsDiff: number; psnrDb: number | null } {
  let max = 0;
  let se = 0;
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    max = Math.max(max, Math.abs(d));
    se += d * d;
  }
  const mse = se / Math.max(1, a.length);
  return { maxAbsDiff: max, psnrDb: mse === 0 ? null : Number((10 * Math.log10((255 * 255) / mse)).toFixed(2)) };
}

const sizes = o.sizes.split(',').map(Number);
configureCuda({ providerDir: o.cudaProviderDir });
const cpu = await runOn('cpu', sizes, false);
const device = o.device === 'none' ? undefined : await runOn(o.device as Device, sizes, true);
const strip = (r: Run) => ({ seconds: r.seconds, msPerStep: r.msPerStep, steps: r.steps, fingerprint: r.fingerprint });
const result = {
  model: o.model,
  seed: Number(o.seed),
  cpu: cpu instanceof Map ? Object.fromEntries([...cpu].map(([s, r]) => [s, strip(r)])) : cpu,
  device:
    device === undefined
      ? { skipped: 'dry run: no GPU device asked for' }
      : device instanceof Map
        ? Object.fromEntries([...device].map(([s, r]) => [s, strip(r)]))
        : device,
  pixels:
    cpu instanceof Map && device instanceof Map
      ? Object.fromEntries(sizes.map((s) => [s, compare((cpu.get(s) as Run).rgb, (device.get(s) as Run).rgb)]))
      : { skipped: 'needs both the CPU and the device run' },
};
writeFileSync(o.out, `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(`cascade-check: wrote ${o.out}\n`);
