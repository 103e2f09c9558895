// What our PNGs say about themselves: the `parameters` chunk in AUTOMATIC1111's
// format (so A1111, ComfyUI, civitai and other readers show prompt, seed,
// sampler) and the `imagen-ts` chunk with the full JSON request, the settings
// every stage actually ran with, and the runtime fingerprint; from format 2 on also
// the image's pixel hash and, for an upscale, its whole chain (the source image's
// pixel hash and each earlier job's request, stages, image and fingerprint), so one
// PNG recreates every step that made it.
// Web-standard only: the edge's /v1/images/inspect and the notebook read PNGs with it.
import { z } from 'zod';
import { a1111SamplerNames, formatInfotext, parseInfotext, type Infotext } from './infotext.ts';
import { LIMITS, SamplerName, StageParams } from './limits.ts';
import { PIXEL_HASH_ALGORITHM } from './pixel-hash.ts';
import { readTextChunks } from './png-text.ts';

export const PARAMETERS_KEY = 'parameters';
export const IMAGEN_KEY = 'imagen-ts';
/** what the runner writes; readers also take every older format below */
export const IMAGEN_FORMAT = 'imagen-ts/2';
/** 1: request, image, stages, fingerprint. 2: adds image.pixels, source and lineage (all optional to a reader). */
export const imagenFormats = ['imagen-ts/1', IMAGEN_FORMAT] as const;

/** Earlier jobs an image's chain may list: a cascade has at most a base and a few SR stages. */
export const maxLineageEntries = 3;
/**
 * Most bytes of the `imagen-ts` chunk's value. Prompts are bounded (LIMITS.promptChars) and so is
 * the lineage, so even the worst chain fits (a test builds it); a reader refuses a larger chunk
 * before parsing it. A quarter of the 1 MiB text budget of png-text.ts.
 */
export const maxImagenChunkBytes = 256 << 10;

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

/** A pixel hash with its algorithm's name (see pixel-hash.ts). */
export const PixelHash = z.object({ algorithm: z.literal(PIXEL_HASH_ALGORITHM), sha256: sha });
export type PixelHash = z.infer<typeof PixelHash>;

/** GenerateRequest without its binary parts (embeddings, init pixels). */
export const JsonRequest = z.object({
  prompt: z.string().max(LIMITS.promptChars),
  negativePrompt: z.string().max(LIMITS.promptChars).optional(),
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

/** An image of a job: its index in the request, its own seed (request seed + index mod 2^32), its pixels' hash (format 2). */
export const ImageInfo = z.object({
  index: z.number().int(),
  seed: z.number().int(),
  width: z.number().int(),
  height: z.number().int(),
  pixels: PixelHash.optional(),
});
export type ImageInfo = z.infer<typeof ImageInfo>;

/** One job of a chain: what it was asked, how its stages ran, which image of it is meant. */
export const LineageEntry = z.object({
  request: JsonRequest,
  image: ImageInfo,
  stages: z.array(StageRun).min(1),
  fingerprint: RuntimeFingerprintSchema,
});
export type LineageEntry = z.infer<typeof LineageEntry>;

export const ImagenPngInfo = LineageEntry.extend({
  format: z.enum(imagenFormats),
  /** an upscale's input as the runner received it, whatever its metadata claims */
  source: z.object({ width: z.number().int(), height: z.number().int(), pixels: PixelHash }).optional(),
  /**
   * The jobs before this one, oldest (the base generation) first; the last made `source`.
   * Absent for a generation, and for an upscale whose input carried no imagen-ts metadata.
   */
  lineage: z.array(LineageEntry).min(1).max(maxLineageEntries).optional(),
});
export type ImagenPngInfo = z.infer<typeof ImagenPngInfo>;

/**
 * The chain an upscale of `parent` records: the parent's own lineage, then the parent
 * itself (its pixel hash taken from what the upscale received). Undefined when the chain
 * would grow past maxLineageEntries: the image then records only its source's pixels.
 */
export function lineageAfter(parent: ImagenPngInfo, sourcePixels: PixelHash): LineageEntry[] | undefined {
  const { request, image, stages, fingerprint } = parent;
  const chain = [...(parent.lineage ?? []), { request, image: { ...image, pixels: sourcePixels }, stages, fingerprint }];
  return chain.length <= maxLineageEntries ? chain : undefined;
}

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

const utf8 = new TextEncoder();

/** The `imagen-ts` chunk's value: validated, and within maxImagenChunkBytes. */
export function imagenChunk(info: ImagenPngInfo): string {
  const json = JSON.stringify(ImagenPngInfo.parse(info));
  const bytes = utf8.encode(json).length;
  if (bytes > maxImagenChunkBytes) throw new RangeError(`PNG ${IMAGEN_KEY} chunk: ${bytes} bytes, more than the ${maxImagenChunkBytes} allowed`);
  return json;
}

/** Both text chunks for encodePng's `text`. */
export function pngText(info: ImagenPngInfo): Record<string, string> {
  return { [PARAMETERS_KEY]: infotextFor(info), [IMAGEN_KEY]: imagenChunk(info) };
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
    // a string's UTF-8 size is at most 3 bytes per UTF-16 unit: count exactly only when it may be over
    if (raw.length * 3 > maxImagenChunkBytes && utf8.encode(raw).length > maxImagenChunkBytes) {
      throw new Error(`PNG ${IMAGEN_KEY} chunk: larger than ${maxImagenChunkBytes} bytes`);
    }
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
