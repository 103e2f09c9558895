// Compares two ShapesBench runs image by image:
//   npm run eval -- --verdicts a.jsonl …   (run A)   npm run eval -- --model other --verdicts b.jsonl …   (run B)
//   npm run eval:compare -- a.jsonl b.jsonl [--json]
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { compareVerdicts, parseVerdicts } from './compare-verdicts.ts';

const program = new Command('eval:compare')
  .description('ShapesBench: two runs of the same prompts and seeds, compared image by image (exact McNemar test per category)')
  .argument('<a>', 'verdicts of run A (npm run eval -- --verdicts FILE)')
  .argument('<b>', 'verdicts of run B')
  .option('--json', 'print the comparison as one JSON object on the last line')
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s.startsWith('error:') ? `eval:compare: ${s.slice(7)}` : s) });

try {
  program.parse();
} catch (e) {
  const code = (e as { code?: string }).code;
  process.exit(code === 'commander.helpDisplayed' || code === 'commander.help' ? 0 : 2);
}
const [fileA, fileB] = program.args as [string, string];
let comparison;
try {
  const read = (f: string) => parseVerdicts(readFileSync(f, 'utf8'), f);
  comparison = compareVerdicts(read(fileA), read(fileB));
} catch (e) {
  process.stderr.write(`eval:compare: ${(e as Error).message}\n`);
  process.exit(2);
}
const pct = (x: number) => `${(x * 100).toFixed(1)}%`.padStart(6);
console.log(`A = ${fileA}\nB = ${fileB}`);
console.log('category   images      A      B  A only  B only  McNemar p');
for (const c of [...comparison.categories, comparison.overall])
  console.log(`${c.category.padEnd(9)} ${String(c.images).padStart(7)} ${pct(c.accuracyA)} ${pct(c.accuracyB)} ${String(c.onlyA).padStart(7)} ${String(c.onlyB).padStart(7)}  ${c.p.toPrecision(2).padStart(9)}`);
const fmt = (causes: Record<string, number>) => Object.entries(causes).map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
console.log(`failures in A: ${fmt(comparison.causesA)}`);
console.log(`failures in B: ${fmt(comparison.causesB)}`);
if (program.opts<{ json?: boolean }>().json) console.log(JSON.stringify(comparison));
