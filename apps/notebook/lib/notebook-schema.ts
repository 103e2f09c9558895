// Validation of notebook documents coming from outside: an imported file or the
// edge's stored copy. A bad document is rejected with the path of the first
// offending field, never half-loaded.
import { z } from 'zod';
import type { NotebookDoc } from './cell-types.ts';
import { limits, samplers, sweepAxes } from './cell-types.ts';

const seed = z.number().int().min(0).max(limits.seedMax);
const sampling = {
  steps: z.number().int().min(1).max(limits.stepsMax),
  sampler: z.enum(samplers),
  guidance: z.number().min(0).max(limits.guidanceMax),
};

const imageParams = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('generate'), prompt: z.string(), negativePrompt: z.string(), ...sampling }),
  z.object({ kind: z.literal('upscale'), sourceImageId: z.string(), sourceSha256: z.string(), noiseAugmentation: z.number().int().min(0), ...sampling }),
]);

const outputImage = z.object({
  imageId: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex sha256'),
  pixelSha256: z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex sha256').optional(),
  seed,
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  taskHash: z.string().min(1),
  index: z.number().int().min(0),
  params: imageParams,
  match: z.enum(['matched', 'pixels-match', 'differs']).optional(),
  matchNote: z.string().max(500).optional(),
});

const expected = z.object({ file: z.string().max(300), pixelSha256: z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex sha256') }).optional();

const cellRun = z.object({
  inputHash: z.string(),
  ownHash: z.string(),
  taskHashes: z.array(z.string()),
  images: z.array(outputImage),
  ranAt: z.string(),
  fromCache: z.boolean(),
  sourceSha256: z.string().optional(),
});

const cellId = z.string().min(1).max(100);

// A cell's own fields are a draft: the editor keeps any finite number typed into
// them and shows the range error next to the field (cells.ts), and autosave
// stores the draft as it is. So they are loaded as any finite number (and any
// text); ranges are checked when the cell runs, never by refusing the notebook.
const draftNumber = z.number();
const draftText = z.string();
const draftSampling = { steps: draftNumber, sampler: z.enum(samplers), guidance: draftNumber };

const promptCell = z.object({
  id: cellId,
  kind: z.literal('prompt'),
  prompt: draftText,
  negativePrompt: draftText,
  seed: draftNumber,
  seedMode: z.enum(['locked', 'random']),
  n: draftNumber,
  size: z.literal(64),
  ...draftSampling,
  expected,
  run: cellRun.optional(),
});

const upscaleCell = z.object({
  id: cellId,
  kind: z.literal('upscale'),
  source: z.object({ cellId, index: z.number().int().min(0) }).nullable(),
  size: z.union([z.literal(256), z.literal(1024)]),
  seed: draftNumber,
  seedMode: z.enum(['locked', 'random']),
  noiseAugmentation: draftNumber,
  ...draftSampling,
  expected,
  run: cellRun.optional(),
});

const sweepCell = z.object({
  id: cellId,
  kind: z.literal('sweep'),
  prompt: draftText,
  negativePrompt: draftText,
  seeds: z.array(draftNumber),
  axis: z.enum(sweepAxes),
  values: z.array(draftNumber),
  ...draftSampling,
  run: cellRun.optional(),
});

const noteCell = z.object({ id: cellId, kind: z.literal('note'), markdown: z.string().max(100_000) });

const cell = z.discriminatedUnion('kind', [promptCell, upscaleCell, sweepCell, noteCell]);

export const notebookDocSchema = z
  .object({
    version: z.literal(1),
    title: z.string().max(200),
    cells: z.array(cell).max(500),
    cache: z.record(z.string(), z.array(outputImage)),
  })
  .refine((d) => new Set(d.cells.map((c) => c.id)).size === d.cells.length, { message: 'cell ids must be unique', path: ['cells'] });

export const exportFormat = 'imagen-ts-notebook';

function describe(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid notebook';
  const path = issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)';
  return `${path}: ${issue.message}`;
}

export type ParseResult = { ok: true; doc: NotebookDoc } | { ok: false; error: string };

export function parseNotebookDoc(value: unknown): ParseResult {
  const r = notebookDocSchema.safeParse(value);
  return r.success ? { ok: true, doc: r.data } : { ok: false, error: describe(r.error) };
}

/** The file "Export" writes: the document, wrapped so that an import can recognise it. */
export function exportNotebook(doc: NotebookDoc, exportedAt: string): string {
  return `${JSON.stringify({ format: exportFormat, exportedAt, notebook: doc }, null, 2)}\n`;
}

/** Accepts an export file or a bare document. */
export function importNotebook(text: string): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `not JSON: ${(e as Error).message}` };
  }
  if (value !== null && typeof value === 'object' && 'format' in value) {
    const wrapped = value as { format: unknown; notebook?: unknown };
    if (wrapped.format !== exportFormat) return { ok: false, error: `format: expected "${exportFormat}", got ${JSON.stringify(wrapped.format)}` };
    return parseNotebookDoc(wrapped.notebook);
  }
  return parseNotebookDoc(value);
}
