import { describe, expect, it } from 'vitest';
import type { OutputImage, PromptCell } from './cell-types.ts';
import { cellFromInspect, formatParameters, parseSampler } from './parameters.ts';

const image: OutputImage = {
  imageId: 'img_1',
  sha256: 'ab'.repeat(32),
  seed: 1235,
  width: 64,
  height: 64,
  taskHash: 't',
  index: 1,
  params: { kind: 'generate', prompt: 'a fox', negativePrompt: 'blurry', steps: 20, sampler: 'dpmpp-2m', guidance: 7.5 },
};

describe('parameters text', () => {
  it('writes the image parameters in AUTOMATIC1111 layout', () => {
    expect(formatParameters(image)).toBe(`a fox\nNegative prompt: blurry\nSteps: 20, Sampler: DPM++ 2M, CFG scale: 7.5, Seed: 1235, Size: 64x64, Image sha256: ${'ab'.repeat(32)}`);
    const up: OutputImage = { ...image, width: 256, height: 256, params: { kind: 'upscale', sourceImageId: 'img_0', sourceSha256: 'cd', noiseAugmentation: 100, steps: 30, sampler: 'ddim', guidance: 4 } };
    expect(formatParameters(up)).toBe(`Upscale of image img_0 (sha256 cd)\nSteps: 30, Sampler: DDIM, CFG scale: 4, Seed: 1235, Size: 256x256, Noise augmentation: 100, Image sha256: ${'ab'.repeat(32)}`);
  });

  it('reads A1111 and our sampler names', () => {
    expect(['DDIM', 'ddpm', 'DPM++ 2M Karras', 'dpmpp-2m', 'Euler a', undefined].map(parseSampler)).toEqual(['ddim', 'ddpm', 'dpmpp-2m', 'dpmpp-2m', undefined, undefined]);
  });

  it('recreates a prompt cell from our metadata, saying what it could not keep', () => {
    const ours = cellFromInspect({ source: 'imagen-ts', text: {}, parameters: null, imagen: {}, request: { prompt: 'a fox', negativePrompt: 'blurry', seed: 77, n: 1, size: 64, steps: 20, sampler: 'ddim', guidance: 7 } }, 'c1', 5);
    expect(ours).toMatchObject({ ok: true, warnings: [] });
    expect(ours.ok && ours.cell).toMatchObject({ id: 'c1', kind: 'prompt', prompt: 'a fox', negativePrompt: 'blurry', seed: 77, seedMode: 'locked', n: 1, steps: 20, sampler: 'ddim', guidance: 7 } satisfies Partial<PromptCell>);
  });

  it("falls back on AUTOMATIC1111's parameters, clamping and warning", () => {
    const parameters = { prompt: 'x', negativePrompt: '', params: {}, steps: 5000, sampler: 'Euler a', cfgScale: 60, seed: 2 ** 40, width: 512, height: 512 };
    const odd = cellFromInspect({ source: 'a1111', text: {}, parameters, imagen: null, request: { prompt: 'x', steps: 5000, guidance: 60 } }, 'c2', 5);
    if (!odd.ok) throw new Error(odd.error);
    // a sampler it cannot map falls back on the model's default
    expect(odd.cell).toMatchObject({ seed: 5, steps: 1000, sampler: 'dpmpp-2m', guidance: 50 });
    expect(odd.warnings).toEqual([
      'seed 1099511627776 is outside [0, 4294967295]: a random one was chosen',
      'steps 5000 became 1000',
      'sampler "Euler a" is not available here: using dpmpp-2m',
      'guidance 60 became 50',
      'the image is 512×512: recreated its 64×64 base generation; add an upscale cell for the rest',
    ]);
    expect(cellFromInspect({ source: 'none', text: {}, parameters: null, imagen: null, request: null }, 'c3', 5)).toEqual({
      ok: false,
      error: 'the PNG carries no generation parameters (neither imagen-ts nor AUTOMATIC1111 metadata)',
    });
  });
});
