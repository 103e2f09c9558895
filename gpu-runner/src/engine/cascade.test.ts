// The engine end to end on the random-weight fixture cascade (models/fixtures/tiny).
// Its images are noise; what is tested is shape, determinism and plumbing.
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pkg from '../../package.json' with { type: 'json' };
import { decodePngRgb, markBox, readPngMetadata } from '../png/index.ts';
import { maxImagenChunkBytes, PIXEL_HASH_ALGORITHM, pixelSha256 } from '@imagen-ts/protocol';
import { PRNG_ID } from '../random/index.ts';
import { diagnoseCuda, ortVersion, RuntimeError } from '../runtime/ort.ts';
import { createCascade, type Cascade, type ModelCallEvent } from './cascade.ts';
import { GenerationAbortedError, RequestError } from './errors.ts';
import type { GenerateRequest, GenerateResult, PhaseEvent, ProgressEvent, StageParams } from './types.ts';

const modelDir = fileURLToPath(new URL('../../../models/fixtures/tiny', import.meta.url));
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
// fewer steps than the manifest's defaults keep the suite quick; per-stage overrides merge into these
const FAST: Record<string, StageParams> = { base64: { steps: 4 }, sr256: { steps: 2 } };
const req = (over: Partial<GenerateRequest> = {}): GenerateRequest => {
  const stages: Record<string, StageParams> = { ...FAST };
  for (const [k, v] of Object.entries(over.stages ?? {})) stages[k] = { ...stages[k], ...v };
  return { prompt: 'a red cube on a wooden table', seed: 1, n: 1, size: 256, ...over, stages };
};
const img = (r: GenerateResult, i = 0) => {
  const im = r.images[i];
  if (!im) throw new Error(`no image ${i}`);
  return im;
};

let cascade: Cascade;
const calls: ModelCallEvent[] = [];
const phases: PhaseEvent[] = [];
/** the U-Net calls made while fn runs */
async function callsDuring<T>(fn: () => Promise<T>): Promise<[T, ModelCallEvent[]]> {
  const from = calls.length;
  const r = await fn();
  return [r, calls.slice(from)];
}

beforeAll(async () => {
  cascade = await createCascade({ modelDir, threads: 1, onModelCall: (e) => calls.push(e), onPhase: (e) => phases.push(e) });
});
afterAll(() => cascade.dispose());

describe('cascade on the fixture', () => {
  it('runs prompt → 64 → 256 → 1024 px: RGB, PNG with metadata, timings, fingerprint', async () => {
    const [r, made] = await callsDuring(() => cascade.generate(req({ size: 1024, seed: 3 })));
    const im = img(r);
    expect([im.width, im.height, im.rgb.length, im.seed]).toEqual([1024, 1024, 1024 * 1024 * 3, 3]);
    // the pixel hash: sha256 over width, height (big-endian uint32) and the RGB8 bytes, also in the PNG's own metadata
    expect(im.sha256).toBe(createHash('sha256').update(Uint8Array.of(0, 0, 4, 0, 0, 0, 4, 0)).update(im.rgb).digest('hex'));
    expect(await pixelSha256(im.rgb, 1024, 1024)).toBe(im.sha256);
    expect(same(decodePngRgb(im.png).rgb, im.rgb)).toBe(true);
    const meta = await readPngMetadata(im.png);
    // guidance and sr1024's steps are the manifest's defaults
    expect(meta.imagen?.stages.map((s) => [s.name, s.resolution, s.steps, s.guidance])).toEqual([
      ['base64', 64, 4, 4],
      ['sr256', 256, 2, 2],
      ['sr1024', 1024, 2, 1],
    ]);
    expect(meta.imagen?.image.pixels).toEqual({ algorithm: PIXEL_HASH_ALGORITHM, sha256: im.sha256 });
    // one job made every stage: nothing came before it
    expect(meta.imagen?.source).toBeUndefined();
    expect(meta.imagen?.lineage).toBeUndefined();
    expect(meta.parameters?.prompt).toBe('a red cube on a wooden table');
    expect(Object.keys(r.timings.stagesMs)).toEqual(['base64', 'sr256', 'sr1024']);
    expect(r.truncated).toBe(false);
    expect(r.fingerprint).toEqual({
      engineVersion: pkg.version,
      ortVersion,
      provider: 'cpu',
      modelId: cascade.manifest.id,
      textEncoderSha256: cascade.manifest.textEncoder.sha256,
      stageSha256: Object.fromEntries(cascade.manifest.stages.map((s) => [s.name, s.sha256])),
      prng: PRNG_ID,
    });
    // base and sr256 steps on [uncond, cond], sr1024 at guidance 1: its one row alone, no padding
    expect(made.map((c) => `${c.stage}:${c.rows}/${c.batch}`)).toEqual([
      ...Array<string>(4).fill('base64:2/2'),
      ...Array<string>(2).fill('sr256:2/2'),
      ...Array<string>(2).fill('sr1024:1/1'),
    ]);
  });

  it('gives identical bytes for identical requests and other bytes for another seed', async () => {
    const a = await cascade.generate(req({ seed: 5 }));
    const b = await cascade.generate(req({ seed: 5 }));
    const c = await cascade.generate(req({ seed: 6 }));
    expect(img(a).sha256).toBe(img(b).sha256);
    expect(same(img(a).png, img(b).png)).toBe(true);
    expect(img(c).sha256).not.toBe(img(a).sha256);
  });

  it('gives the same bytes whatever ran before (the reused stage buffers carry nothing over)', async () => {
    const r = req({ seed: 8, stages: { sr256: { guidance: 1, sampler: 'ddpm' } } });
    const first = await cascade.generate(r);
    // other sizes, batch shapes, guidance and thresholding leave other values in the buffers
    await cascade.generate(req({ seed: 99, n: 3, size: 64, stages: { base64: { guidance: 9, sampler: 'ddim' } } }));
    await cascade.generate(req({ seed: 98, n: 2, prompt: 'something else' }));
    const again = await cascade.generate(r);
    expect(img(again).sha256).toBe(img(first).sha256);
  });

  it('gives the same bytes whether SR noise is drawn ahead on a worker or in place', async () => {
    const direct = await createCascade({ modelDir, threads: 1, prefetchNoise: false });
    try {
      for (const r of [req({ seed: 11, n: 2 }), req({ seed: 12, stages: { sr256: { noiseAugmentation: 300 } } })]) {
        const [a, b] = await Promise.all([cascade.generate(r), direct.generate(r)]);
        expect(a.images.map((i) => i.sha256)).toEqual(b.images.map((i) => i.sha256));
      }
    } finally {
      await direct.dispose();
    }
  });

  it('makes image i of n = 2 equal to a single request with seed + i', async () => {
    const two = await cascade.generate(req({ seed: 9, n: 2 }));
    const one = await cascade.generate(req({ seed: 10 }));
    expect(img(two, 1).seed).toBe(10);
    expect(same(img(two, 1).rgb, img(one).rgb)).toBe(true);
    expect(same(img(two, 0).rgb, img(two, 1).rgb)).toBe(false);
    // the PNG records each image's own seed
    expect((await readPngMetadata(img(two, 1).png)).imagen?.image).toMatchObject({ index: 1, seed: 10 });
  });

  it('runs unguided images one row per call: image i of n = 3 equals its solo run, at half the rows of the padded mode', async () => {
    const unguided = (seed: number, n: number) => req({ size: 64, seed, n, stages: { base64: { guidance: 1, steps: 3 } } });
    const [three, made] = await callsDuring(() => cascade.generate(unguided(50, 3)));
    expect(made.map((c) => [c.rows, c.batch])).toEqual(Array(9).fill([1, 1]));
    for (const i of [0, 1, 2]) expect(img(three, i).sha256).toBe(img(await cascade.generate(unguided(50 + i, 1))).sha256);
    const padded = await createCascade({ modelDir, threads: 1, batchInvariance: 'padded' });
    try {
      const solo = await padded.generate(unguided(51, 1));
      expect(padded.stats().stages['base64']).toEqual({ calls: 3, rows: 3, batch: 6 });
      expect(solo.fingerprint.engineVersion).toBe(`${pkg.version}+padded-rows`);
    } finally {
      await padded.dispose();
    }
  });

  it('gives guided stages the same bytes as the padded mode (the engine before 0.2.0), alone and in mixed batches', async () => {
    const padded = await createCascade({ modelDir, threads: 1, batchInvariance: 'padded' });
    try {
      const guided = req({ seed: 60, n: 2 });
      const mixed = [req({ seed: 61, stages: { base64: { guidance: 1 } } }), req({ seed: 62, prompt: 'a yellow torus', stages: { sr256: { guidance: 5 } } })];
      const [now, before] = await Promise.all([cascade.generate(guided), padded.generate(guided)]);
      expect(now.images.map((i) => i.sha256)).toEqual(before.images.map((i) => i.sha256));
      // b is guided in both stages: its bytes equal the padded mode's; a's base64 ran unguided (one row alone)
      const nowMixed = await Promise.all(cascade.generateBatch(mixed.map((request) => ({ request }))));
      const beforeMixed = await Promise.all(padded.generateBatch(mixed.map((request) => ({ request }))));
      expect(img(nowMixed[1] as GenerateResult).sha256).toBe(img(beforeMixed[1] as GenerateResult).sha256);
      expect(img(nowMixed[0] as GenerateResult).sha256).toBe(img(await cascade.generate(mixed[0] as GenerateRequest)).sha256);
    } finally {
      await padded.dispose();
    }
  });

  it('gives byte-identical images from precomputed embeddings and from the prompt', async () => {
    const prompt = 'a blue sphere';
    const fromPrompt = await cascade.generate(req({ prompt, negativePrompt: 'blurry', seed: 2 }));
    const embeddings = await cascade.encode([prompt]);
    const negativeEmbeddings = await cascade.encode(['blurry']);
    const fromEmbeddings = await cascade.generate(req({ prompt: 'ignored', embeddings, negativeEmbeddings, seed: 2 }));
    expect(img(fromEmbeddings).sha256).toBe(img(fromPrompt).sha256);
    // without a negative prompt the null prompt is the unconditional input
    const plain = await cascade.generate(req({ prompt, seed: 2 }));
    const viaNull = await cascade.generate(req({ prompt: '', embeddings, negativeEmbeddings: await cascade.nullEmbeddings(), seed: 2 }));
    expect(img(viaNull).sha256).toBe(img(plain).sha256);
    expect(img(plain).sha256).not.toBe(img(fromPrompt).sha256);
  });

  it('evaluates only the conditional half at guidance 1', async () => {
    const base = (guidance: number, n: number) => req({ size: 64, n, prompt: `guidance ${guidance}`, stages: { base64: { guidance, steps: 3 } } });
    const runsBefore = cascade.stats().textEncoderRuns;
    const [, g1] = await callsDuring(() => cascade.generate(base(1, 2)));
    // one call per image and step: each unguided image always runs alone
    expect(g1.map((c) => [c.rows, c.batch])).toEqual(Array(6).fill([1, 1]));
    // no stage guided → the unconditional embeddings are not even computed
    expect(cascade.stats().textEncoderRuns - runsBefore).toBe(1);
    const [, g3] = await callsDuring(() => cascade.generate(base(3, 2)));
    expect(g3.map((c) => c.rows)).toEqual([4, 4, 4]);
    const [, single] = await callsDuring(() => cascade.generate(base(1, 1)));
    expect(single.map((c) => [c.rows, c.batch])).toEqual([[1, 1], [1, 1], [1, 1]]);
  });

  it('shares ONNX calls between compatible requests; each image equals its solo run', async () => {
    const a = req({ seed: 11, stages: { base64: { guidance: 1 } } });
    const b = req({ seed: 12, n: 2, prompt: 'a green pyramid', negativePrompt: 'dark', stages: { sr256: { guidance: 5, noiseAugmentation: 300 } } });
    const small = req({ seed: 13, size: 64 });
    expect(cascade.plan(a).batchKey).toBe(cascade.plan(b).batchKey);
    const [results, made] = await callsDuring(() => Promise.all(cascade.generateBatch([{ request: a }, { request: b }, { request: small }])));
    // base64: b's 2 uncond + 2 cond rows in one call, a's one cond row (guidance 1) in another; sr256: all guided,
    // 2 + 4 rows per call; then the 64 px group
    expect(made.filter((c) => c.stage === 'sr256').map((c) => c.rows)).toEqual([6, 6]);
    expect(made.filter((c) => c.stage === 'base64').map((c) => c.rows)).toEqual([4, 1, 4, 1, 4, 1, 4, 1, 2, 2, 2, 2]);
    const [ra, rb, rs] = results;
    const soloA = await cascade.generate(a);
    const soloB = await cascade.generate(b);
    const soloS = await cascade.generate(small);
    expect(img(ra as GenerateResult).sha256).toBe(img(soloA).sha256);
    expect(img(rb as GenerateResult, 1).sha256).toBe(img(soloB, 1).sha256);
    expect(img(rs as GenerateResult).sha256).toBe(img(soloS).sha256);
  });

  it('stops an aborted request between steps, naming stage and step; its batch mates finish', async () => {
    const ctrl = new AbortController();
    const events: ProgressEvent[] = [];
    const onProgress = (e: ProgressEvent) => {
      events.push(e);
      if (e.stage === 'base64' && e.step === 3) ctrl.abort();
    };
    const mate = req({ seed: 21 });
    const [promises, made] = await callsDuring(async () => {
      const ps = cascade.generateBatch([{ request: req({ seed: 20 }), options: { signal: ctrl.signal, onProgress } }, { request: mate }]);
      return Promise.allSettled(ps);
    });
    const [aborted, finished] = promises;
    expect(aborted?.status).toBe('rejected');
    const err = (aborted as PromiseRejectedResult).reason as GenerationAbortedError;
    expect(err).toBeInstanceOf(GenerationAbortedError);
    expect([err.name, err.code, err.stage, err.step]).toEqual(['AbortError', 'ABORT_ERR', 'base64', 3]);
    expect(events.map((e) => e.step)).toEqual([1, 2, 3]);
    expect(finished?.status).toBe('fulfilled');
    // the aborted request left the batch: sr256 ran on the mate's 2 rows only
    expect(made.filter((c) => c.stage === 'sr256').map((c) => c.rows)).toEqual([2, 2]);
    const solo = await cascade.generate(mate);
    expect(img((finished as PromiseFulfilledResult<GenerateResult>).value).sha256).toBe(img(solo).sha256);
    // already aborted: rejected before any work
    const [pre, none] = await callsDuring(() => cascade.generate(req(), { signal: AbortSignal.abort() }).catch((e: unknown) => e));
    expect(pre).toMatchObject({ name: 'AbortError', stage: 'encode', step: 0 });
    expect(none).toEqual([]);
  });

  it('accounts for the time outside U-Net calls phase by phase, within the wall time', async () => {
    const from = phases.length;
    const t0 = performance.now();
    const [, made] = await callsDuring(() => cascade.generate(req({ seed: 70 })));
    const wall = performance.now() - t0;
    const mine = phases.slice(from);
    const seen = new Set(mine.map((e) => `${e.stage ?? '-'}:${e.phase}`));
    for (const stage of ['base64', 'sr256']) for (const phase of ['prepare', 'noise', 'guidance', 'progress', 'handoff']) expect(seen).toContain(`${stage}:${phase}`);
    expect(seen).toContain('sr256:resize');
    expect(seen).not.toContain('base64:resize');
    for (const phase of ['text', 'pixels', 'png']) expect(seen).toContain(`-:${phase}`);
    expect(mine.every((e) => e.ms >= 0)).toBe(true);
    const claimed = mine.reduce((a, e) => a + e.ms, 0) + made.reduce((a, c) => a + c.ms, 0);
    expect(claimed).toBeLessThanOrEqual(wall);
    // the rest is event-loop turns between awaits: small, but a loaded machine stretches it
    expect(claimed).toBeGreaterThan(0.3 * wall);
  });

  it('reports one progress event per step and a preview every k steps', async () => {
    const events: ProgressEvent[] = [];
    await cascade.generate(req({ stages: { base64: { steps: 5 }, sr256: { steps: 3 } } }), { onProgress: (e) => events.push(e), previewEvery: 2 });
    expect(events.map((e) => `${e.stage}:${e.step}/${e.totalSteps}${e.preview ? '+' : ''}`)).toEqual([
      'base64:1/5',
      'base64:2/5+',
      'base64:3/5',
      'base64:4/5+',
      'base64:5/5',
      'sr256:1/3',
      'sr256:2/3+',
      'sr256:3/3',
    ]);
    expect(events[1]?.preview?.width).toBe(64);
    // an SR stage's preview is larger than the base image, so it shows what the stage adds
    const p = events[6]?.preview;
    expect([p?.width, p?.height, p?.rgb.length]).toEqual([128, 128, 128 * 128 * 3]);
  });

  it('previews every image of a batch, each its own', async () => {
    const events: ProgressEvent[] = [];
    await cascade.generate(req({ size: 64, n: 3, seed: 60, stages: { base64: { steps: 2 } } }), { onProgress: (e) => events.push(e), previewEvery: 2 });
    const last = events.at(-1);
    expect(last?.previews?.map((v) => v.width)).toEqual([64, 64, 64]);
    expect(last?.preview).toBe(last?.previews?.[0]);
    const [a, b, c] = (last?.previews ?? []).map((v) => Buffer.from(v.rgb).toString('base64'));
    expect(new Set([a, b, c]).size).toBe(3);
  });

  it('upscales an init image, starting at the named SR stage', async () => {
    const low = img(await cascade.generate(req({ size: 64, seed: 30 })));
    const init = { image: low.rgb, width: 64, height: 64, fromStage: 'sr256' };
    const [up, made] = await callsDuring(() => cascade.generate(req({ init, seed: 31 })));
    expect(new Set(made.map((c) => c.stage))).toEqual(new Set(['sr256']));
    expect([img(up).width, img(up).height]).toEqual([256, 256]);
    expect((await readPngMetadata(img(up).png)).imagen?.request.init).toEqual({ width: 64, height: 64, fromStage: 'sr256' });
    const again = await cascade.generate(req({ init, seed: 31 }));
    expect(img(again).sha256).toBe(img(up).sha256);
    const otherInit = await cascade.generate(req({ init: { ...init, image: low.rgb.map((v) => 255 - v) }, seed: 31 }));
    expect(img(otherInit).sha256).not.toBe(img(up).sha256);
    // no parent metadata given: the output names only the pixels it started from
    const upMeta = (await readPngMetadata(img(up).png)).imagen;
    expect(upMeta?.source).toEqual({ width: 64, height: 64, pixels: { algorithm: PIXEL_HASH_ALGORITHM, sha256: low.sha256 } });
    expect(upMeta?.lineage).toBeUndefined();
  });

  it('records the whole chain: 64 → 256 → 1024 by two upscales, each PNG carrying what came before', async () => {
    const low = img(await cascade.generate(req({ size: 64, seed: 32, stages: { base64: { steps: 3, guidance: 3 } } })));
    const lowMeta = (await readPngMetadata(low.png)).imagen!;
    const mid = img(await cascade.generate(req({ size: 256, seed: 33, init: { image: low.rgb, width: 64, height: 64, fromStage: 'sr256', parent: lowMeta } })));
    const midMeta = (await readPngMetadata(mid.png)).imagen!;
    const top = img(await cascade.generate(req({ size: 1024, seed: 34, init: { image: mid.rgb, width: 256, height: 256, fromStage: 'sr1024', parent: midMeta } })));
    const topMeta = (await readPngMetadata(top.png)).imagen!;
    expect(topMeta.format).toBe('imagen-ts/2');
    expect(topMeta.lineage?.map((e) => [e.request.size, e.image.seed, e.image.pixels?.sha256, e.stages.map((s) => s.name).join()])).toEqual([
      [64, 32, low.sha256, 'base64'],
      [256, 33, mid.sha256, 'sr256'],
    ]);
    expect(topMeta.lineage?.[0]?.stages[0]).toMatchObject({ steps: 3, guidance: 3 });
    expect(topMeta.source?.pixels.sha256).toBe(mid.sha256);
    expect(topMeta.image.pixels?.sha256).toBe(top.sha256);
    expect(new TextEncoder().encode(JSON.stringify(topMeta)).length).toBeLessThan(maxImagenChunkBytes / 16);
  });

  it('draws the provenance mark only inside its box', async () => {
    const marked = img(await cascade.generate(req({ seed: 40 })));
    const clean = img(await cascade.generate(req({ seed: 40, mark: false })));
    const box = markBox(256, 256);
    if (!box) throw new Error('no mark box at 256 px');
    let inside = 0;
    for (let i = 0; i < 256 * 256; i++) {
      const x = i % 256;
      const y = Math.floor(i / 256);
      const differs = [0, 1, 2].some((c) => marked.rgb[i * 3 + c] !== clean.rgb[i * 3 + c]);
      const inBox = x >= box.x && x < box.x + box.width && y >= box.y && y < box.y + box.height;
      if (differs) expect(inBox).toBe(true);
      if (differs) inside++;
    }
    expect(inside).toBeGreaterThan(100);
  });

  it('runs the stochastic samplers deterministically', async () => {
    const r = (sampler: 'ddpm' | 'ddim', seed: number) => cascade.generate(req({ size: 64, seed, stages: { base64: { sampler, steps: 4 } } }));
    const [a, b, c, d] = [await r('ddpm', 1), await r('ddpm', 1), await r('ddim', 1), await r('ddpm', 2)];
    expect(img(a).sha256).toBe(img(b).sha256);
    expect(img(c).sha256).not.toBe(img(a).sha256);
    expect(img(d).sha256).not.toBe(img(a).sha256);
  });

  it('rejects invalid requests with the field and allowed values', async () => {
    await expect(cascade.generate(req({ size: 512 }))).rejects.toBeInstanceOf(RequestError);
    await expect(cascade.generate(req({ size: 512 }))).rejects.toThrow('invalid request: size: must be one of 64, 256, 1024');
  });

  it('refuses device "cuda" on a machine without it, with a coded error', async () => {
    const problem = diagnoseCuda();
    if (problem === null) return; // a CUDA machine: covered by runtime/ort.test.ts
    const err = await createCascade({ modelDir, device: 'cuda' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect((err as RuntimeError).code).toBe(problem.code);
  });
});
