// Which inputs the engine feeds a U-Net: the contract's required ones always, the optional
// encoder_attention_mask only to models that declare it (DeepFloyd IF's U-Nets do not). The no-mask U-Nets are
// tiny stand-ins written by models/fixtures/make_no_mask.py; the text encoder is the tiny fixture's.
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCascade, type Cascade, type ModelCallEvent } from './cascade.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const tiny = fileURLToPath(new URL('../../../models/fixtures/tiny/', import.meta.url));
const ZERO = '0'.repeat(64);
const schedule = { type: 'cosine', trainSteps: 1000, offset: 0.008 };

/** IF-like two-stage manifest: 32 px base, 64 px SR, both 'eps-learned-range' U-Nets without the mask input */
function ifLikeManifest(over: { srInputNames?: Record<string, string>; baseOnnx?: string } = {}) {
  return {
    schemaVersion: 1,
    id: 'no-mask-test',
    name: 'IF-like U-Nets without encoder_attention_mask',
    textEncoder: { id: 'tiny', tokenizer: 'tokenizer.json', onnx: 'text-encoder.onnx', sha256: ZERO, maxTokens: 32, hiddenSize: 16, nullPrompt: 'empty-prompt' },
    stages: [
      {
        name: 'base32',
        resolution: 32,
        onnx: over.baseOnnx ?? 'no-mask-base.onnx',
        sha256: ZERO,
        prediction: 'eps-learned-range',
        schedule,
        defaults: { sampler: 'ddpm', steps: 3, guidance: 4 },
        thresholding: { type: 'dynamic', percentile: 0.95, maxScale: 1.5 },
      },
      {
        name: 'sr64',
        resolution: 64,
        onnx: 'no-mask-sr.onnx',
        sha256: ZERO,
        prediction: 'eps-learned-range',
        schedule,
        defaults: { sampler: 'ddpm', steps: 2, guidance: 4 },
        thresholding: { type: 'dynamic', percentile: 0.95, maxScale: 1 },
        lowRes: { fromStage: 'base32', resize: 'bilinear', alignCorners: true, noiseAugmentation: 250 },
        ...(over.srInputNames ? { inputNames: over.srInputNames } : {}),
      },
    ],
  };
}

let dir: string;
async function modelDir(name: string, manifest: unknown, extra: Record<string, string> = {}): Promise<string> {
  const d = join(dir, name);
  await rm(d, { recursive: true, force: true });
  await mkdir(d);
  await copyFile(join(tiny, 'text-encoder.onnx'), join(d, 'text-encoder.onnx'));
  await copyFile(join(tiny, 'tokenizer.json'), join(d, 'tokenizer.json'));
  for (const f of ['no-mask-base.onnx', 'no-mask-sr.onnx']) await copyFile(join(here, '__fixtures__', f), join(d, f));
  for (const [to, from] of Object.entries(extra)) await copyFile(from, join(d, to));
  await writeFile(join(d, 'manifest.json'), JSON.stringify(manifest));
  return d;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'model-inputs-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('U-Nets without encoder_attention_mask (DeepFloyd IF exports)', () => {
  let cascade: Cascade;
  const calls: ModelCallEvent[] = [];
  beforeAll(async () => {
    cascade = await createCascade({ modelDir: await modelDir('if-like', ifLikeManifest()), threads: 1, verify: 'exists', onModelCall: (e) => calls.push(e) });
  });
  afterAll(() => cascade.dispose());

  it('runs both stages, feeding only the inputs each model declares', async () => {
    const r = await cascade.generate({ prompt: 'a red circle', seed: 1, n: 1, size: 64 });
    const im = r.images[0];
    expect([im?.width, im?.height, im?.rgb.length]).toEqual([64, 64, 64 * 64 * 3]);
    expect(calls.map((c) => `${c.stage}:${c.rows}`)).toEqual(['base32:2', 'base32:2', 'base32:2', 'sr64:2', 'sr64:2']);
    const again = await cascade.generate({ prompt: 'a red circle', seed: 1, n: 1, size: 64 });
    expect(again.images[0]?.sha256).toBe(im?.sha256);
  });

  it('still conditions on the text (through encoder_hidden_states alone)', async () => {
    const a = await cascade.generate({ prompt: 'a red circle', seed: 2, n: 1, size: 32 });
    const b = await cascade.generate({ prompt: 'a blue square', seed: 2, n: 1, size: 32 });
    expect(a.images[0]?.sha256).not.toBe(b.images[0]?.sha256);
  });
});

describe('model inputs that do not match the manifest', () => {
  it('names a missing required input and lists the inputs the model has, with their dims', async () => {
    const d = await modelDir('renamed', ifLikeManifest({ srInputNames: { noiseLevel: 'augmentation_level' } }));
    const err = await createCascade({ modelDir: d, threads: 1, verify: 'exists' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    const msg = (err as Error).message;
    expect(msg).toContain('no-mask-sr.onnx lacks required input(s) augmentation_level named in stages.1.inputNames');
    expect(msg).toContain('sample: float32[batch, 6, height, width]');
    expect(msg).toContain('noise_level: int64[batch]');
  });

  it('refuses a model input the engine would not feed', async () => {
    // the tiny fixture's base U-Net declares encoder_attention_mask; the manifest calls the mask something else
    const m = ifLikeManifest({ baseOnnx: 'masked-base.onnx' });
    (m.stages[0] as Record<string, unknown>)['prediction'] = 'eps';
    (m.stages[0] as Record<string, unknown>)['inputNames'] = { encoderAttentionMask: 'text_mask' };
    const d = await modelDir('unknown-input', m, { 'masked-base.onnx': join(tiny, 'base64.onnx') });
    const err = await createCascade({ modelDir: d, threads: 1, verify: 'exists' }).catch((e: unknown) => e);
    expect((err as Error).message).toContain('masked-base.onnx has input(s) encoder_attention_mask that stages.0.inputNames does not name');
  });
});
