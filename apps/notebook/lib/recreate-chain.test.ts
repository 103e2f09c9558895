import { describe, expect, it } from 'vitest';
import { IMAGEN_FORMAT, PIXEL_HASH_ALGORITHM, type ImagenPngInfo, type LineageEntry, type PixelHash } from '@imagen-ts/protocol';
import type { InspectResult } from './api-types.ts';
import type { PromptCell, UpscaleCell } from './cell-types.ts';
import { planTasks } from './cells.ts';
import { recreateFromInspect } from './recreate-chain.ts';

const px = (c: string): PixelHash => ({ algorithm: PIXEL_HASH_ALGORITHM, sha256: c.repeat(64) });
const fingerprint = { engineVersion: '0.1.0', ortVersion: '1.30.0', provider: 'cpu' as const, modelId: 'imagen-embedded', textEncoderSha256: 'a'.repeat(64), stageSha256: {}, prng: 'p' };
const prompt = 'two red circles above a blue square';

const base: LineageEntry = {
  request: { prompt, negativePrompt: 'blurry', seed: 1234, n: 2, size: 64 },
  image: { index: 1, seed: 1235, width: 64, height: 64, pixels: px('1') },
  stages: [{ name: 'base64', resolution: 64, steps: 10, sampler: 'dpmpp-2m', guidance: 2 }],
  fingerprint,
};
const up = (size: number, seed: number, c: string, stage: string): LineageEntry => ({
  request: { prompt, negativePrompt: 'blurry', seed, n: 1, size, init: { width: size / 4, height: size / 4, fromStage: stage } },
  image: { index: 0, seed, width: size, height: size, pixels: px(c) },
  stages: [{ name: stage, resolution: size, steps: 10, sampler: 'ddim', guidance: 1, noiseAugmentation: 250 }],
  fingerprint,
});
const png1024: ImagenPngInfo = { format: IMAGEN_FORMAT, ...up(1024, 78, '3', 'sr1024'), source: { width: 256, height: 256, pixels: px('2') }, lineage: [base, up(256, 77, '2', 'sr256')] };
const inspect = (imagen: unknown, request: Record<string, unknown> | null = null): InspectResult => ({ source: 'imagen-ts', text: {}, parameters: null, imagen: imagen as Record<string, unknown>, request });

let n = 0;
const ctx = { file: 'x.png', newId: () => `c${++n}`, fallbackSeed: 5 };

describe('recreateFromInspect', () => {
  it('turns a 1024 PNG with its chain into prompt → 256 → 1024 cells, chained, each expecting its recorded pixels', () => {
    const made = recreateFromInspect(inspect(png1024), { ...ctx, modelId: 'imagen-embedded' });
    if (!made.ok) throw new Error(made.error);
    expect(made.warnings).toEqual([]);
    expect(made.chain).toBe(true);
    const [p, u256, u1024] = made.cells as [PromptCell, UpscaleCell, UpscaleCell];
    expect(p).toMatchObject({ kind: 'prompt', prompt, negativePrompt: 'blurry', seed: 1235, n: 1, steps: 10, sampler: 'dpmpp-2m', guidance: 2, expected: { file: 'x.png', pixelSha256: '1'.repeat(64) } });
    expect(u256).toMatchObject({ kind: 'upscale', source: { cellId: p.id, index: 0 }, size: 256, seed: 77, steps: 10, sampler: 'ddim', guidance: 1, noiseAugmentation: 250, expected: { pixelSha256: '2'.repeat(64) } });
    expect(u1024).toMatchObject({ kind: 'upscale', source: { cellId: u256.id, index: 0 }, size: 1024, seed: 78, expected: { pixelSha256: '3'.repeat(64) } });
    // the cells form a runnable chain as they are
    const doc = { version: 1 as const, title: 't', cells: made.cells, cache: {} };
    expect(planTasks(doc, u1024.id).ok).toBe(true);
  });

  it('warns when another model made the chain, or a step used another prompt', () => {
    const other = { ...png1024, request: { ...png1024.request, prompt: 'a blue circle' } };
    const made = recreateFromInspect(inspect(other), { ...ctx, modelId: 'imagen-deepfloyd' });
    expect(made.ok && made.warnings).toEqual([
      'made by model imagen-embedded; this edge serves imagen-deepfloyd, so the pixels may differ',
      'the 1024 px step used another prompt than the base image; the notebook upscales with the base prompt',
    ]);
  });

  it('falls back to a prompt cell for an upscale that does not record its source (format 1), saying so', () => {
    const { lineage: _l, source: _s, ...v1 } = { ...png1024, format: 'imagen-ts/1' as const };
    const made = recreateFromInspect(inspect(v1, { prompt, seed: 78, size: 1024, steps: 10, sampler: 'ddim', guidance: 1 }), ctx);
    if (!made.ok) throw new Error(made.error);
    expect(made.chain).toBe(false);
    expect(made.cells).toHaveLength(1);
    expect(made.warnings.at(-1)).toMatch(/does not record the image it was upscaled from/);
  });

  it('still recreates a prompt cell from AUTOMATIC1111 parameters', () => {
    const a1111: InspectResult = { source: 'a1111', text: {}, imagen: null, request: null, parameters: { prompt: 'a cat', negativePrompt: '', params: {}, steps: 20, sampler: 'Euler a', cfgScale: 7, seed: 9, width: 512, height: 512 } };
    const made = recreateFromInspect(a1111, ctx);
    if (!made.ok) throw new Error(made.error);
    expect(made.cells).toEqual([expect.objectContaining({ kind: 'prompt', prompt: 'a cat', seed: 9, steps: 20 })]);
    expect(made.chain).toBe(false);
  });
});
