// ShapesBench learning curve of the embedded base (models/embedded/learning-curve.jsonl):
//   npm run eval:curve                       # the table, as the model card shows it
//   npm run eval:curve -- --add result.json --steps N --images N --machine "…" --run "…" [--commit C]
// `result.json` ends with the last line of `npm run eval -- --seeds 4 --json` (default sampler and guidance).
import { appendFileSync, readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { curvePointSchema, curveTable, parseCurve } from './learning-curve.ts';

const int = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be an integer >= 0`);
  return n;
};

function main(): void {
  const program = new Command('eval:curve')
    .description('ShapesBench learning curve of the embedded base: print it, or add a point')
    .option('--file <path>', 'curve data', 'models/embedded/learning-curve.jsonl')
    .option('--add <result.json>', "a point from `npm run eval -- --json`'s last line")
    .option('--steps <n>', 'base optimizer steps of the evaluated export', int('--steps'))
    .option('--images <n>', 'training images the base has seen', int('--images'))
    .option('--machine <text>', 'where the training ran')
    .option('--run <text>', 'which run or export')
    .option('--commit <sha>', 'commit holding the evaluated weights')
    .option('--setting <text>', 'sampler, steps and guidance of the evaluation', 'dpmpp-2m 20 steps, guidance 2')
    .option('--seeds <n>', 'seeds per case of the evaluation', int('--seeds'), 4)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s.startsWith('error:') ? `eval:curve: ${s.slice(7)}` : s) });
  try {
    program.parse();
  } catch (e) {
    const code = (e as { code?: string }).code;
    process.exit(code === 'commander.helpDisplayed' || code === 'commander.help' ? 0 : 2);
  }
  const o = program.opts<{ file: string; add?: string; steps?: number; images?: number; machine?: string; run?: string; commit?: string; setting: string; seeds: number }>();
  try {
    const points = parseCurve(readFileSync(o.file, 'utf8'), o.file);
    if (o.add !== undefined) {
      if (o.steps === undefined || o.images === undefined || !o.machine || !o.run) throw new Error('--add needs --steps, --images, --machine and --run');
      const lines = readFileSync(o.add, 'utf8').trim().split('\n');
      const point = curvePointSchema.parse({
        date: new Date().toISOString().slice(0, 10),
        run: o.run,
        commit: o.commit,
        baseSteps: o.steps,
        imagesSeen: o.images,
        machine: o.machine,
        setting: o.setting,
        seeds: o.seeds,
        accuracy: JSON.parse(lines[lines.length - 1]!) as unknown,
      });
      appendFileSync(o.file, `${JSON.stringify(point)}\n`);
      points.push(point);
    }
    console.log(curveTable(points));
  } catch (e) {
    process.stderr.write(`eval:curve: ${(e as Error).message}\n`);
    process.exit(2);
  }
}

main();
