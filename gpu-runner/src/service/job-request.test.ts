import { describe, expect, it } from 'vitest';
import { bytesToBase64, IMAGEN_FORMAT, IMAGEN_KEY, pngText, type ImagenPngInfo, type RunnerJobRequest } from '@imagen-ts/protocol';
import { encodePng } from '../png/index.ts';
import { initParent, type JobSpec } from './job-request.ts';

const parent: ImagenPngInfo = {
  format: IMAGEN_FORMAT,
  request: { prompt: 'a red circle', seed: 3, n: 1, size: 64 },
  image: { index: 0, seed: 3, width: 64, height: 64 },
  stages: [{ name: 'base64', resolution: 64, steps: 2, sampler: 'ddim', guidance: 2 }],
  fingerprint: { engineVersion: '0.1.0', ortVersion: '1.30.0', provider: 'cpu', modelId: 'm', textEncoderSha256: 'a'.repeat(64), stageSha256: {}, prng: 'p' },
};

function upscaleOf(text: Record<string, string>): [JobSpec, RunnerJobRequest] {
  const image = bytesToBase64(encodePng({ width: 64, height: 64, rgb: new Uint8Array(64 * 64 * 3), text }));
  const body = { id: 'u', prompt: 'a red circle', n: 1, size: 256, init: { image, fromStage: 'sr256' } } as RunnerJobRequest;
  const spec = { request: { prompt: 'a red circle', seed: 1, n: 1, size: 256, init: { image: new Uint8Array(0), width: 64, height: 64, fromStage: 'sr256' } } } as JobSpec;
  return [spec, body];
}

describe('initParent: what an upscale records as its lineage', () => {
  it("reads the init PNG's imagen-ts metadata", async () => {
    expect(await initParent(...upscaleOf(pngText(parent)))).toEqual(parent);
  });

  it('gives none for a PNG without it, or with a chunk that does not parse (the pixels still count)', async () => {
    expect(await initParent(...upscaleOf({ parameters: 'a red circle\nSteps: 2' }))).toBeUndefined();
    expect(await initParent(...upscaleOf({ [IMAGEN_KEY]: '{"format":"imagen-ts/9"}' }))).toBeUndefined();
  });
});
