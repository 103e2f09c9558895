// ShapesBench: generates 64 px images for every case × seed of a prompt file with
// the cascade's base stage, judges each, and reports accuracy per category.
//   npm run eval -- --prompts models/eval/dev.jsonl --seeds 4 --json
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { createCascade } from '../../gpu-runner/src/engine/cascade.ts';
import { samplerNames, type SamplerName } from '../../gpu-runner/src/manifest/schema.ts';
import { encodePng } from '../../gpu-runner/src/png/index.ts';
import { parseCases, type Case } from './judge/case.ts';
import { judge } from './judge/judge.ts';
import { contactSheet, type Tile } from './contact-sheet.ts';
import { srFidelity } from './sr-fidelity.ts';

const root = resolve(dirname(new URL(import.meta.url).pathname), '../..');

const int = (name: string, lo: number, hi: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < lo || n > hi) throw new InvalidArgumentError(`${name} must be an integer in ${lo}..${hi}`);
  return n;
};
const num = (name: string, lo: number, hi: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < lo || n > hi) throw new InvalidArgumentError(`${name} must be a number in ${lo}..${hi}`);
  return n;
};

const program = new Command('eval')
  .description('ShapesBench: prompt-following accuracy of the base stage, judged automatically')
  .option('--prompts <file>', 'JSON-lines case file', 'models/eval/dev.jsonl')
  .option('--seeds <n>', 'images per case (seeds seed-base … seed-base+n-1)', int('--seeds', 1, 64), 4)
  .option('--seed-base <n>', 'first seed', int('--seed-base', 0, 2 ** 32 - 1), 0)
  .option('--model <dir>', 'model folder', 'models/embedded')
  .option('--sampler <name>', `one of ${samplerNames.join(', ')}`)
  .option('--steps <n>', 'base-stage steps', int('--steps', 1, 1000))
  .option('--guidance <s>', 'classifier-free guidance scale', num('--guidance', 0, 50))
  .option('--threads <n>', 'ONNX intra-op threads', int('--threads', 1, 256))
  .option('--sr-cases <n>', 'also upscale the first image of the first n cases through every SR stage and report PSNR of each output downsampled back to its input', int('--sr-cases', 0, 10_000), 0)
  .option('--sheet <file>', 'contact sheet PNG', '.local/eval/contact-sheet.png')
  .option('--verdicts <file>', "JSON lines, one per image: case id, category, seed, pass and the judge's reason (to compare runs image by image)")
  .option('--json', 'print one JSON object with per-category accuracy on the last line')
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s.startsWith('error:') ? `eval: ${s.slice(7)}` : s) });

interface Options {
  prompts: string;
  seeds: number;
  seedBase: number;
  model: string;
  sampler?: string;
  steps?: number;
  guidance?: number;
  threads?: number;
  srCases: number;
  sheet: string;
  verdicts?: string;
  json?: boolean;
}

async function main(): Promise<void> {
  try {
    program.parse();
  } catch (e) {
    // commander has printed its one line already; --help exits 0, bad input 2
    const code = (e as { code?: string }).code;
    process.exit(code === 'commander.helpDisplayed' || code === 'commander.help' ? 0 : 2);
  }
  const o = program.opts<Options>();
  if (o.sampler !== undefined && !(samplerNames as readonly string[]).includes(o.sampler)) fail(`--sampler must be one of ${samplerNames.join(', ')}`);
  let cases: Case[];
  try {
    cases = parseCases(readFileSync(resolve(o.prompts), 'utf8'));
  } catch (e) {
    fail(`--prompts ${o.prompts}: ${(e as Error).message}`);
  }
  const cascade = await createCascade({ modelDir: resolve(root, o.model), threads: o.threads }).catch((e: Error) => fail(`--model ${o.model}: ${e.message}`));
  const base = cascade.manifest.stages[0]!;
  const params = { steps: o.steps, sampler: o.sampler as SamplerName | undefined, guidance: o.guidance };

  const perCategory = new Map<string, { pass: number; total: number }>();
  const psnrs = new Map<number, number[]>(); // SR stage resolution → PSNR per upscaled image
  const rows: Tile[][] = [];
  const verdicts: string[] = [];
  const started = Date.now();
  for (const [k, c] of cases.entries()) {
    const result = await cascade.generate({ prompt: c.prompt, seed: o.seedBase, n: o.seeds, size: base.resolution, stages: { [base.name]: params }, mark: false });
    const row: Tile[] = [];
    for (const img of result.images) {
      const v = judge({ data: img.rgb, width: img.width, height: img.height }, c.expect);
      verdicts.push(JSON.stringify({ id: c.id, category: c.category, seed: img.seed, pass: v.pass, reason: v.reason }));
      const s = perCategory.get(c.category) ?? { pass: 0, total: 0 };
      s.total++;
      if (v.pass) s.pass++;
      perCategory.set(c.category, s);
      row.push({ rgb: img.rgb, size: img.width, pass: v.pass });
    }
    rows.push(row);
    if (k < o.srCases) {
      // chain through every SR stage, each from the previous output, as the cascade does
      let input = result.images[0]!;
      for (const stage of cascade.manifest.stages.slice(1)) {
        const up = await cascade.generate({
          prompt: c.prompt,
          seed: o.seedBase,
          n: 1,
          size: stage.resolution,
          mark: false,
          init: { image: input.rgb, width: input.width, height: input.height, fromStage: stage.name },
        });
        const output = up.images[0]!;
        psnrs.set(stage.resolution, [...(psnrs.get(stage.resolution) ?? []), srFidelity(input, output)]);
        input = output;
      }
    }
    process.stderr.write(`\r${k + 1}/${cases.length} cases`);
  }
  process.stderr.write('\n');

  const accuracy: Record<string, number> = {};
  for (const [cat, s] of perCategory) accuracy[cat] = Math.round((s.pass / s.total) * 1000) / 1000;
  const all = [...perCategory.values()].reduce((a, s) => ({ pass: a.pass + s.pass, total: a.total + s.total }), { pass: 0, total: 0 });
  accuracy.overall = Math.round((all.pass / all.total) * 1000) / 1000;
  // mean PSNR (dB) per SR resolution, keyed psnr256, psnr1024
  for (const [res, xs] of psnrs) accuracy[`psnr${res}`] = Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 100) / 100;

  const sheet = contactSheet(rows);
  mkdirSync(dirname(resolve(o.sheet)), { recursive: true });
  writeFileSync(resolve(o.sheet), encodePng({ width: sheet.width, height: sheet.height, rgb: sheet.rgb, text: { Comment: `ShapesBench ${o.prompts}` } }));

  const b = cascade.manifest.stages[0]!.defaults;
  const setting = `${params.sampler ?? b.sampler} ${params.steps ?? b.steps} steps, guidance ${params.guidance ?? b.guidance}`;
  console.log(`ShapesBench on ${o.prompts}: ${cases.length} cases × ${o.seeds} seeds, ${setting}, ${((Date.now() - started) / 1000).toFixed(1)} s`);
  for (const [key, value] of Object.entries(accuracy))
    console.log(key.startsWith('psnr') ? `  ${key.padEnd(9)} ${value.toFixed(2)} dB (SR output downsampled vs its input, ${psnrs.get(Number(key.slice(4)))?.length} images)` : `  ${key.padEnd(9)} ${(value * 100).toFixed(1)}%`);
  console.log(`contact sheet: ${o.sheet}`);
  if (o.verdicts) {
    mkdirSync(dirname(resolve(o.verdicts)), { recursive: true });
    writeFileSync(resolve(o.verdicts), `${verdicts.join('\n')}\n`);
    console.log(`verdicts: ${o.verdicts}`);
  }
  if (o.json) console.log(JSON.stringify(accuracy));
  await cascade.dispose();
}

function fail(message: string): never {
  process.stderr.write(`eval: ${message}\n`);
  process.exit(2);
}

await main();
