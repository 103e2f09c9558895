// What our PNGs say about themselves: the `parameters` chunk in AUTOMATIC1111's
// format (so A1111, ComfyUI, civitai and other readers show prompt, seed,
// sampler) and the `imagen-ts` chunk with the full JSON request, the settings
// every stage actually ran with, and the runtime fingerprint.
// Web-standard only: the edge's /v1/images/inspect and the notebook read PNGs with it.
import { z } from 'zod';
import { a1111SamplerNames, formatInfotext, parseInfotext, type Infotext } from './infotext.ts';
import { SamplerName, StageParams } from './limits.ts';
import { readTextChunks } from './png-text.ts';

export const PARAMETERS_KEY = 'parameters';
export const IMAGEN_KEY = 'imagen-ts';
export const IMAGEN_FORMAT = 'imagen-ts/1';

const sha = z.string().regex(/^[0-9a-f]{64}$/);

export const RuntimeFingerprintSchema = z.object({
  engineVersion: z.string(),
  ortVersion: z.string(),
  provider: z.enum(['cpu', 'cuda']),
  modelId: z.string(),
  textEncoderSha256: sha,
  stageSha256: z.record(z.string(), sha),
  prng: z.string(),
});
export type RuntimeFingerprint = z.infer<typeof RuntimeFingerprintSchema>;

/** GenerateRequest without its binary parts (embeddings, init pixels). */
export const JsonRequest = z.object({
  prompt: z.string(),
  negativePrompt: z.string().optional(),
  seed: z.number().int(),
  n: z.number().int(),
  size: z.number().int(),
  stages: z.record(z.string(), StageParams).optional(),
  mark: z.boolean().optional(),
  /** set when the prompt came as precomputed embeddings */
  embeddings: z.boolean().optional(),
  init: z.object({ width: z.number().int(), height: z.number().int(), fromStage: z.string() }).optional(),
});
export type JsonRequest = z.infer<typeof JsonRequest>;

/** One stage as it ran for this image. */
export const StageRun = z.object({
  name: z.string(),
  resolution: z.number().int(),
  steps: z.number().int(),
  sampler: SamplerName,
  guidance: z.number(),
  noiseAugmentation: z.number().optional(),
});
export type StageRun = z.infer<typeof StageRun>;

export const ImagenPngInfo = z.object({
  format: z.literal(IMAGEN_FORMAT),
  request: JsonRequest,
  /** this image: its index in the request and its own seed (request seed + index mod 2^32) */
  image: z.object({ index: z.number().int(), seed: z.number().int(), width: z.number().int(), height: z.number().int() }),
  /** the stages that ran, in order */
  stages: z.array(StageRun).min(1),
  fingerprint: RuntimeFingerprintSchema,
});
export type ImagenPngInfo = z.infer<typeof ImagenPngInfo>;

/** The `parameters` infotext of one image: A1111's fields, taken from the base (first) stage. */
export function infotextFor(info: ImagenPngInfo): string {
  const base = info.stages[0];
  if (!base) throw new Error('imagen-ts metadata: no stages');
  return formatInfotext({
    prompt: info.request.prompt,
    negativePrompt: info.request.negativePrompt,
    params: [
      ['Steps', base.steps],
      ['Sampler', a1111SamplerNames[base.sampler]],
      ['CFG scale', base.guidance],
      ['Seed', info.image.seed],
      ['Size', `${info.image.width}x${info.image.height}`],
      ['Model', info.fingerprint.modelId],
    ],
  });
}

/** Both text chunks for encodePng's `text`. */
export function pngText(info: ImagenPngInfo): Record<string, string> {
  return { [PARAMETERS_KEY]: infotextFor(info), [IMAGEN_KEY]: JSON.stringify(ImagenPngInfo.parse(info)) };
}

export interface PngMetadata {
  /** every text chunk, keyword → value */
  text: Record<string, string>;
  /** the `parameters` chunk parsed as A1111 infotext (ours or A1111's own) */
  parameters?: Infotext;
  /** our `imagen-ts` chunk, validated */
  imagen?: ImagenPngInfo;
}

/** Reads the metadata of a PNG without decoding its pixels. */
export async function readPngMetadata(png: Uint8Array): Promise<PngMetadata> {
  const text = await readTextChunks(png);
  const out: PngMetadata = { text };
  const params = text[PARAMETERS_KEY];
  if (params !== undefined) out.parameters = parseInfotext(params);
  const raw = text[IMAGEN_KEY];
  if (raw !== undefined) {
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      throw new Error(`PNG ${IMAGEN_KEY} chunk: not valid JSON`);
    }
    const r = ImagenPngInfo.safeParse(json);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new Error(`PNG ${IMAGEN_KEY} chunk: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
    }
    out.imagen = r.data;
  }
  return out;
}
