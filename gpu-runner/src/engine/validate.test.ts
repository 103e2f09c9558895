import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadManifest } from '../manifest/load-manifest.ts';
import type { Manifest } from '../manifest/schema.ts';
import { RequestError } from './errors.ts';
import type { GenerateRequest } from './types.ts';
import { checkOptions, planRequest } from './validate.ts';

const dir = fileURLToPath(new URL('../../../models/fixtures/tiny', import.meta.url));
let manifest: Manifest;
beforeAll(async () => {
  manifest = (await loadManifest(dir, { verify: 'none' })).manifest;
});

const req = (over: Partial<GenerateRequest> | Record<string, unknown> = {}): GenerateRequest => ({ prompt: 'a cube', seed: 1, n: 1, size: 1024, ...over });

function errorOf(r: GenerateRequest): RequestError {
  try {
    planRequest(r, manifest);
  } catch (e) {
    expect(e).toBeInstanceOf(RequestError);
    return e as RequestError;
  }
  throw new Error('expected a RequestError');
}

describe('planRequest', () => {
  it('fills stage settings from the manifest defaults and the overrides', () => {
    const p = planRequest(req({ seed: 0xffffffff, n: 2, stages: { sr256: { steps: 3, sampler: 'ddim', guidance: 1, noiseAugmentation: 250 } } }), manifest);
    expect(p.stages.map((s) => [s.stage.name, s.steps, s.sampler, s.guidance, s.noiseAugmentation])).toEqual([
      ['base64', 10, 'dpmpp-2m', 4, undefined],
      ['sr256', 3, 'ddim', 1, 250],
      ['sr1024', 2, 'dpmpp-2m', 1, 0],
    ]);
    expect(p.seeds).toEqual([0xffffffff, 0]); // seed + i mod 2^32
    expect(p.batchKey).toBe('1024|base64:dpmpp-2m:10|sr256:ddim:3|sr1024:dpmpp-2m:2');
  });

  it('runs only the stages up to size, or from init.fromStage', () => {
    expect(planRequest(req({ size: 64 }), manifest).stages.map((s) => s.stage.name)).toEqual(['base64']);
    const init = { image: new Uint8Array(64 * 64 * 3), width: 64, height: 64, fromStage: 'sr256' };
    expect(planRequest(req({ size: 256, init }), manifest).stages.map((s) => s.stage.name)).toEqual(['sr256']);
  });

  const cases: Array<[string, Record<string, unknown>, string, RegExp]> = [
    ['size', { size: 512 }, 'size', /must be one of 64, 256, 1024 .*got 512/],
    ['steps', { stages: { base64: { steps: 0 } } }, 'stages.base64.steps', /1\.\.1000 \(got 0\)/],
    ['steps (too many)', { stages: { base64: { steps: 1001 } } }, 'stages.base64.steps', /1\.\.1000/],
    ['guidance', { stages: { sr256: { guidance: 51 } } }, 'stages.sr256.guidance', /0\.\.50 \(got 51\)/],
    ['n', { n: 9 }, 'n', /1\.\.8 \(got 9\)/],
    ['n = 0', { n: 0 }, 'n', /1\.\.8/],
    ['seed', { seed: -1 }, 'seed', /0\.\.4294967295/],
    ['seed (fraction)', { seed: 1.5 }, 'seed', /integer/],
    ['sampler', { stages: { sr1024: { sampler: 'euler' } } }, 'stages.sr1024.sampler', /one of ddpm, ddim, dpmpp-2m \(got "euler"\)/],
    ['noiseAugmentation', { stages: { sr256: { noiseAugmentation: 1000 } } }, 'stages.sr256.noiseAugmentation', /0\.\.999/],
    ['noiseAugmentation on the base stage', { stages: { base64: { noiseAugmentation: 5 } } }, 'stages.base64.noiseAugmentation', /only super-resolution stages/],
    ['unknown stage', { stages: { sr512: {} } }, 'stages.sr512', /allowed: base64, sr256, sr1024/],
    ['unknown stage field', { stages: { sr256: { step: 3 } } }, 'stages.sr256.step', /unknown/],
    ['prompt', { prompt: 42 }, 'prompt', /string/],
    ['prompt (too long for the PNG metadata)', { prompt: 'x'.repeat(4001) }, 'prompt', /at most 4000 characters/],
    ['negativePrompt (too long)', { negativePrompt: 'x'.repeat(4001) }, 'negativePrompt', /at most 4000 characters/],
    ['init.fromStage', { size: 256, init: { image: new Uint8Array(3), width: 1, height: 1, fromStage: 'base64' } }, 'init.fromStage', /sr256, sr1024/],
    ['init size', { size: 256, init: { image: new Uint8Array(32 * 32 * 3), width: 32, height: 32, fromStage: 'sr256' } }, 'init', /upsamples 64×64 .*got 32×32/],
    ['init bytes', { size: 256, init: { image: new Uint8Array(5), width: 64, height: 64, fromStage: 'sr256' } }, 'init.image', /12288 RGB8 bytes; got 5/],
    ['init above size', { size: 64, init: { image: new Uint8Array(64 * 64 * 3), width: 64, height: 64, fromStage: 'sr256' } }, 'init.fromStage', /above the requested size 64/],
  ];
  for (const [name, over, field, message] of cases) {
    it(`rejects a bad ${name}, naming ${field}`, () => {
      const e = errorOf(req(over));
      expect(e.field).toBe(field);
      expect(e.message).toMatch(message);
      expect(e.code).toBe('INVALID_REQUEST');
    });
  }

  it('checks precomputed embeddings against maxTokens and hiddenSize', () => {
    const good = { hiddenStates: new Float32Array(32 * 16), attentionMask: new BigInt64Array(32), batch: 1, tokens: 32, hidden: 16, truncated: [false] };
    expect(() => planRequest(req({ embeddings: good }), manifest)).not.toThrow();
    const e = errorOf(req({ embeddings: { ...good, hidden: 8 } }));
    expect(e.field).toBe('embeddings');
    expect(e.message).toMatch(/tokens 32, hidden 16/);
    expect(errorOf(req({ negativeEmbeddings: { ...good, attentionMask: new BigInt64Array(3) } })).field).toBe('negativeEmbeddings.attentionMask');
  });
});

describe('checkOptions', () => {
  it('accepts the usual options and names a bad one', () => {
    expect(() => checkOptions({ previewEvery: 0, signal: new AbortController().signal, onProgress: () => undefined })).not.toThrow();
    expect(() => checkOptions({ previewEvery: -1 })).toThrow('invalid request: previewEvery: must be an integer in 0..1000 (0 = no previews); got -1');
    expect(() => checkOptions({ signal: {} as AbortSignal })).toThrow(/signal: must be an AbortSignal/);
  });
});
