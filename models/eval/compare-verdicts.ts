// Two ShapesBench runs compared image by image (the `--verdicts` files of
// `npm run eval`): per-category accuracy of each, the discordant pairs, and an
// exact McNemar test, so "B beats A" is a claim with a p-value rather than a
// difference of two percentages that a few seeds can produce by chance.
import { z } from 'zod';

export const Verdict = z.object({ id: z.string(), category: z.string(), seed: z.number().int(), pass: z.boolean(), reason: z.string() });
export type Verdict = z.infer<typeof Verdict>;

export function parseVerdicts(text: string, name: string): Verdict[] {
  return text
    .split('\n')
    .map((line, i) => [line.trim(), i + 1] as const)
    .filter(([line]) => line !== '')
    .map(([line, n]) => {
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch {
        throw new Error(`${name} line ${n}: not JSON`);
      }
      const v = Verdict.safeParse(json);
      if (!v.success) throw new Error(`${name} line ${n}: ${v.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      return v.data;
    });
}

/** the judge's reason reduced to its cause, for counting failures */
export function failureCause(reason: string): string {
  const found = /^found (\d+) objects, expected (\d+)/.exec(reason);
  if (found) return Number(found[1]) > Number(found[2]) ? 'extra objects' : 'missing objects';
  const m = /^(background|relation)|: (color|shape|size|not)\b/.exec(reason);
  if (!m) return 'other';
  const word = m[1] ?? m[2];
  return word === 'not' ? 'place' : word!;
}

/** exact two-sided McNemar p-value: b and c are the discordant pair counts */
export function mcnemarExact(b: number, c: number): number {
  const n = b + c;
  if (n === 0) return 1;
  const k = Math.min(b, c);
  // P(X <= k) for X ~ Binomial(n, 1/2), summed in log space so large n does not overflow
  let logTerm = -n * Math.LN2; // C(n, 0) / 2^n
  let tail = Math.exp(logTerm);
  for (let i = 1; i <= k; i++) {
    logTerm += Math.log((n - i + 1) / i);
    tail += Math.exp(logTerm);
  }
  return Math.min(1, 2 * tail);
}

export interface CategoryComparison {
  category: string;
  images: number;
  accuracyA: number;
  accuracyB: number;
  /** passed in A, failed in B */
  onlyA: number;
  /** failed in A, passed in B */
  onlyB: number;
  p: number;
}

export interface Comparison {
  categories: CategoryComparison[];
  overall: CategoryComparison;
  causesA: Record<string, number>;
  causesB: Record<string, number>;
}

const keyOf = (v: Verdict) => `${v.id}\u0000${v.seed}`;

function summarize(category: string, pairs: [Verdict, Verdict][]): CategoryComparison {
  const onlyA = pairs.filter(([a, b]) => a.pass && !b.pass).length;
  const onlyB = pairs.filter(([a, b]) => !a.pass && b.pass).length;
  const acc = (side: 0 | 1) => pairs.filter((p) => p[side].pass).length / pairs.length;
  return { category, images: pairs.length, accuracyA: acc(0), accuracyB: acc(1), onlyA, onlyB, p: mcnemarExact(onlyA, onlyB) };
}

function causes(vs: Verdict[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of vs) {
    if (v.pass) continue;
    const cause = failureCause(v.reason);
    out[cause] = (out[cause] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(out).sort((x, y) => y[1] - x[1]));
}

/** pairs the runs by (case id, seed); they must hold the same images */
export function compareVerdicts(a: Verdict[], b: Verdict[]): Comparison {
  const byKey = new Map(b.map((v) => [keyOf(v), v]));
  if (byKey.size !== b.length) throw new Error('run B holds a (case, seed) twice');
  const pairs: [Verdict, Verdict][] = a.map((v) => {
    const other = byKey.get(keyOf(v));
    if (!other) throw new Error(`case ${v.id} seed ${v.seed} is in run A only: compare runs of the same prompts and seeds`);
    if (other.category !== v.category) throw new Error(`case ${v.id}: category ${v.category} in A, ${other.category} in B`);
    return [v, other];
  });
  if (pairs.length !== b.length) throw new Error(`run B holds ${b.length - pairs.length} image(s) that run A does not`);
  if (pairs.length === 0) throw new Error('no verdicts to compare');
  const categories = [...new Set(a.map((v) => v.category))].map((cat) => summarize(cat, pairs.filter(([v]) => v.category === cat)));
  return { categories, overall: summarize('overall', pairs), causesA: causes(a), causesB: causes(b) };
}
