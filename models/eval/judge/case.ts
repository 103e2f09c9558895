// ShapesBench cases: one JSON object per line of a prompt file.
import { z } from 'zod';
import { colorNames, shapeNames } from './geometry.ts';

export const places = ['left', 'right', 'top', 'bottom', 'center', 'top-left', 'top-right', 'bottom-left', 'bottom-right'] as const;
export const relations = ['left-of', 'right-of', 'above', 'below'] as const;
export const categories = ['single', 'binding', 'position', 'count', 'letters'] as const;

const Color = z.string().refine((c) => colorNames.includes(c), { message: `one of ${colorNames.join(', ')}` });
export const ExpectObject = z.object({
  shape: z.string().refine((s) => shapeNames.includes(s), { message: 'circle, square, triangle, star, heart, cross or letter-A … letter-Z' }),
  color: Color,
  size: z.enum(['small', 'medium', 'large']).optional(),
  place: z.enum(places).optional(),
  count: z.number().int().min(1).max(4).default(1),
});
export const Expect = z.object({
  background: Color.optional(),
  objects: z.array(ExpectObject).min(1).max(4),
  relations: z.array(z.object({ a: z.number().int().min(0), rel: z.enum(relations), b: z.number().int().min(0) })).optional(),
});
export type Expect = z.infer<typeof Expect>;
export type ExpectInput = z.input<typeof Expect>;

export const Case = z.object({ id: z.string().min(1), category: z.enum(categories), prompt: z.string(), expect: Expect });
export type Case = z.infer<typeof Case>;

/** parses a JSON-lines prompt file; errors name the line and field */
export function parseCases(text: string): Case[] {
  return text
    .split('\n')
    .map((line, i) => [line.trim(), i + 1] as const)
    .filter(([line]) => line.length > 0)
    .map(([line, n]) => {
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch {
        throw new Error(`line ${n}: not valid JSON`);
      }
      const r = Case.safeParse(json);
      if (!r.success) {
        const issue = r.error.issues[0]!;
        throw new Error(`line ${n}: ${issue.path.join('.')}: ${issue.message}`);
      }
      return r.data;
    });
}
