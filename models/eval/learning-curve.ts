// The embedded base's learning curve: ShapesBench dev accuracy per category against the images the base
// has seen, one point per evaluated export, across machines and runs (models/embedded/learning-curve.jsonl).
// The command is curve.ts (npm run eval:curve).
import { z } from 'zod';

export const CATEGORIES = ['single', 'binding', 'position', 'count', 'letters'] as const;
const share = z.number().min(0).max(1);
// Early points were recorded as overall accuracy only: their categories are absent, never guessed.
export const accuracySchema = z.object({ ...Object.fromEntries(CATEGORIES.map((c) => [c, share.optional()])), overall: share }).passthrough();
export const curvePointSchema = z.object({
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  run: z.string().min(1).max(200),
  commit: z.string().max(40).optional(),
  baseSteps: z.number().int().min(0),
  imagesSeen: z.number().int().min(0),
  machine: z.string().min(1).max(120),
  setting: z.string().min(1).max(120),
  seeds: z.number().int().min(1).max(64),
  accuracy: accuracySchema,
});
export type CurvePoint = z.infer<typeof curvePointSchema>;

export function parseCurve(text: string, file = 'learning-curve.jsonl'): CurvePoint[] {
  return text
    .split('\n')
    .map((line, i) => [line.trim(), i + 1] as const)
    .filter(([line]) => line !== '')
    .map(([line, n]) => {
      let raw: unknown;
      try {
        raw = JSON.parse(line);
      } catch {
        throw new Error(`${file}:${n}: not JSON`);
      }
      const r = curvePointSchema.safeParse(raw);
      if (!r.success) throw new Error(`${file}:${n}: ${r.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`);
      return r.data;
    });
}

const pct = (x: number | undefined) => (x === undefined ? '—' : `${(x * 100).toFixed(1)}%`);

/** Markdown table, points in order of images seen (ties in file order). */
export function curveTable(points: readonly CurvePoint[]): string {
  const head = `| images seen | base steps | run | machine | setting | ${CATEGORIES.join(' | ')} | overall |`;
  const rule = `|${'---|'.repeat(6 + CATEGORIES.length)}`;
  const rows = [...points]
    .map((p, i) => [p, i] as const)
    .sort((a, b) => a[0].imagesSeen - b[0].imagesSeen || a[1] - b[1])
    .map(([p]) => `| ${p.imagesSeen.toLocaleString('en-US')} | ${p.baseSteps.toLocaleString('en-US')} | ${p.run}${p.commit ? ` (${p.commit})` : ''} | ${p.machine} | ${p.setting}, ${p.seeds} seeds | ${CATEGORIES.map((c) => pct(p.accuracy[c] as number | undefined)).join(' | ')} | **${pct(p.accuracy.overall)}** |`);
  return [head, rule, ...rows].join('\n');
}
