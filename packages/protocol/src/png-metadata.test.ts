import { describe, expect, it } from 'vitest';
import { LIMITS } from './limits.ts';
import { PIXEL_HASH_ALGORITHM, pixelHashPreimage, pixelSha256 } from './pixel-hash.ts';
import {
  IMAGEN_FORMAT,
  IMAGEN_KEY,
  imagenChunk,
  ImagenPngInfo,
  lineageAfter,
  maxImagenChunkBytes,
  maxLineageEntries,
  pngText,
  readPngMetadata,
  type LineageEntry,
  type PixelHash,
} from './png-metadata.ts';
import { insertAfterIhdr, PNG_SIGNATURE, frameChunk, textChunk } from './png-text.ts';

const hex = (c: string) => c.repeat(64);
const pixels = (c: string): PixelHash => ({ algorithm: PIXEL_HASH_ALGORITHM, sha256: hex(c) });
const fingerprint = {
  engineVersion: '0.1.0',
  ortVersion: '1.30.0',
  provider: 'cpu' as const,
  modelId: 'imagen-embedded',
  textEncoderSha256: hex('a'),
  stageSha256: { base64: hex('b'), sr256: hex('c'), sr1024: hex('d') },
  prng: 'philox4x32-10+box-muller',
};

/** the three jobs of a notebook chain: 64 px generation, 256 and 1024 upscales */
function chain(prompt: string, negativePrompt?: string): ImagenPngInfo {
  const neg = negativePrompt === undefined ? {} : { negativePrompt };
  const base: LineageEntry = {
    request: { prompt, ...neg, seed: 1234, n: 2, size: 64, stages: { base64: { steps: 20, sampler: 'dpmpp-2m', guidance: 2 } } },
    image: { index: 0, seed: 1234, width: 64, height: 64, pixels: pixels('1') },
    stages: [{ name: 'base64', resolution: 64, steps: 20, sampler: 'dpmpp-2m', guidance: 2 }],
    fingerprint,
  };
  const up = (size: number, stage: string, seed: number, from: string) => ({
    request: { prompt, ...neg, seed, n: 1, size, stages: { [stage]: { steps: 8, noiseAugmentation: 100 } }, init: { width: size / 4, height: size / 4, fromStage: stage } },
    image: { index: 0, seed, width: size, height: size },
    stages: [{ name: stage, resolution: size, steps: 8, sampler: 'dpmpp-2m' as const, guidance: 1, noiseAugmentation: 100 }],
    fingerprint,
    source: { width: size / 4, height: size / 4, pixels: pixels(from) },
  });
  const p256: ImagenPngInfo = { format: IMAGEN_FORMAT, ...up(256, 'sr256', 77, '1'), lineage: [base] };
  const p256Px = { ...p256, image: { ...p256.image, pixels: pixels('2') } };
  const lineage = lineageAfter(p256Px, pixels('2'));
  if (!lineage) throw new Error('chain too long');
  return { format: IMAGEN_FORMAT, ...up(1024, 'sr1024', 78, '2'), image: { index: 0, seed: 78, width: 1024, height: 1024, pixels: pixels('3') }, lineage };
}

function pngWith(text: Record<string, string>): Uint8Array {
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, 1);
  new DataView(ihdr.buffer).setUint32(4, 1);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const bare = new Uint8Array([...PNG_SIGNATURE, ...frameChunk('IHDR', ihdr), ...frameChunk('IEND', new Uint8Array(0))]);
  return insertAfterIhdr(bare, Object.entries(text).map(([k, v]) => textChunk(k, v)));
}

describe('pixel hash', () => {
  // golden values from Python: hashlib.sha256(struct.pack('>II', w, h) + rgb).hexdigest()
  const rgb = Uint8Array.of(255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 10, 20, 30);
  it('is SHA-256 over big-endian width, height and the RGB8 bytes', async () => {
    expect(await pixelSha256(rgb, 3, 2)).toBe('5d39ac0af6d85317d082953f6a36462a2928f912d2968a29c9746592cc7fc615');
    // the same bytes at another shape are another picture
    expect(await pixelSha256(rgb, 2, 3)).toBe('a628c10e22d31352d4dd96ab85952f89209eee457d5511e3d1903925044bc35e');
    expect(pixelHashPreimage(rgb, 3, 2).subarray(0, 8)).toEqual(Uint8Array.of(0, 0, 0, 3, 0, 0, 0, 2));
  });

  it('rejects a buffer that does not match the size, naming what', async () => {
    await expect(pixelSha256(rgb, 4, 2)).rejects.toThrow(/expected width·height·3 = 24 RGB bytes, got 18/);
    expect(() => pixelHashPreimage(rgb, 0, 2)).toThrow(/width must be a positive uint32/);
  });
});

describe('imagen-ts chunk, format 2', () => {
  it('round-trips a 1024 image with its whole chain through a PNG', async () => {
    const info = chain('two red circles above a blue square');
    const meta = await readPngMetadata(pngWith(pngText(info)));
    expect(meta.imagen).toEqual(info);
    expect(meta.imagen?.lineage?.map((e) => e.image.width)).toEqual([64, 256]);
    // the parent's entry carries the pixels the upscale received
    expect(meta.imagen?.lineage?.at(-1)?.image.pixels).toEqual(meta.imagen?.source?.pixels);
  });

  it("still reads format 1 (no pixel hash, no lineage)", async () => {
    const { lineage: _l, source: _s, ...rest } = chain('a red circle');
    const v1 = { ...rest, format: 'imagen-ts/1', image: { index: 0, seed: 78, width: 1024, height: 1024 } };
    const meta = await readPngMetadata(pngWith({ [IMAGEN_KEY]: JSON.stringify(v1) }));
    expect(meta.imagen?.format).toBe('imagen-ts/1');
    expect(meta.imagen?.image.pixels).toBeUndefined();
  });

  it('drops a chain that would pass maxLineageEntries instead of growing without bound', () => {
    const info = chain('a red circle');
    const long = { ...info, lineage: Array.from({ length: maxLineageEntries }, () => info.lineage![0]!) };
    expect(lineageAfter(long, pixels('4'))).toBeUndefined();
    expect(ImagenPngInfo.safeParse({ ...info, lineage: [...long.lineage, info.lineage![0]] }).success).toBe(false);
  });

  it("keeps a 1024 image's chain well inside the text budgets, even at the longest prompts", () => {
    const typical = new TextEncoder().encode(imagenChunk(chain('two red circles above a blue square'))).length;
    // control characters are what JSON escapes longest (6 bytes each)
    const worstPrompt = '\u0001'.repeat(LIMITS.promptChars);
    const worst = new TextEncoder().encode(imagenChunk(chain(worstPrompt, worstPrompt))).length;
    expect(typical).toBeLessThan(8 << 10);
    expect(worst).toBeLessThan(maxImagenChunkBytes);
    // and a full-length chain (maxLineageEntries earlier jobs) of the worst prompts too
    const info = chain(worstPrompt, worstPrompt);
    const full = { ...info, lineage: [info.lineage![0]!, ...info.lineage!].slice(0, maxLineageEntries) };
    expect(new TextEncoder().encode(imagenChunk(full)).length).toBeLessThan(maxImagenChunkBytes);
    console.log(`imagen-ts chunk of a 1024 image: ${typical} bytes typical, ${worst} bytes at 2×${LIMITS.promptChars}-character prompts (cap ${maxImagenChunkBytes})`);
  });

  it('refuses a chunk over the cap before parsing it', async () => {
    const huge = JSON.stringify({ format: IMAGEN_FORMAT, pad: 'x'.repeat(maxImagenChunkBytes) });
    await expect(readPngMetadata(pngWith({ [IMAGEN_KEY]: huge }))).rejects.toThrow(/larger than 262144 bytes/);
  });

  it('refuses a prompt longer than the protocol allows, naming the field', async () => {
    const info = chain('x'.repeat(LIMITS.promptChars + 1));
    expect(() => imagenChunk(info)).toThrow(/prompt/);
    await expect(readPngMetadata(pngWith({ [IMAGEN_KEY]: JSON.stringify(info) }))).rejects.toThrow(/request\.prompt/);
  });
});
