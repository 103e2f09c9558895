// FAKE ENGINE — for unit tests of routing, validation, auth and queue mechanics
// only, where the engine is not the subject. It runs no model: "images" are
// deterministic byte patterns of (seed, size). Everything that tests generation
// itself runs the real cascade against models/fixtures/tiny (runner.int.test.ts).
import { readFileSync } from 'node:fs';
import { GenerationAbortedError } from '../../engine/errors.ts';
import type { GenerateRequest, GenerateResult, RuntimeFingerprint, TextEmbeddings } from '../../engine/types.ts';
import { planRequest } from '../../engine/validate.ts';
import { Manifest } from '../../manifest/schema.ts';
import { encodePng } from '../../png/index.ts';
import { pixelHashOf } from '../../png/image-file.ts';
import type { BatchItem, BatchOutcome, ServiceEngine } from '../engine-port.ts';

export const fixtureManifest: Manifest = Manifest.parse(JSON.parse(readFileSync(new URL('../../../../models/fixtures/tiny/manifest.json', import.meta.url), 'utf8')));

export interface FakeEngine extends ServiceEngine {
  /** every generateBatch call: the number of items */
  readonly batches: number[];
  /** every request handed to generateBatch, in order */
  readonly requests: GenerateRequest[];
  /** make the next generateBatch calls throw this */
  failWith: Error | undefined;
  /** ms per fake step */
  stepMs: number;
}

const fakeFingerprint: RuntimeFingerprint = {
  engineVersion: 'fake',
  ortVersion: 'none',
  provider: 'cpu',
  modelId: 'fake',
  textEncoderSha256: '0'.repeat(64),
  stageSha256: {},
  prng: 'fake',
};

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function createFakeEngine(opts: { stepMs?: number } = {}): FakeEngine {
  const manifest = fixtureManifest;
  const { maxTokens, hiddenSize } = manifest.textEncoder;
  let encoded = 0;
  const fake: FakeEngine = {
    manifest,
    fingerprint: fakeFingerprint,
    batches: [],
    requests: [],
    failWith: undefined,
    stepMs: opts.stepMs ?? 1,
    textEncoderRuns: () => encoded,
    // one token per word plus </s>; words with a digit stand for ones the tokenizer does not know
    inspectPrompt(prompt) {
      const words = prompt.split(/\s+/).filter((w) => w !== '');
      return { tokens: words.length + 1, maxTokens, truncated: words.length + 1 > maxTokens, unknown: [...new Set(words.filter((w) => /\d/.test(w)))] };
    },
    encode(prompts): Promise<TextEmbeddings> {
      encoded += prompts.length;
      const hiddenStates = new Float32Array(prompts.length * maxTokens * hiddenSize);
      const attentionMask = new BigInt64Array(prompts.length * maxTokens);
      prompts.forEach((p, b) => {
        for (let t = 0; t < Math.min(p.length + 1, maxTokens); t++) attentionMask[b * maxTokens + t] = 1n;
        for (let i = 0; i < maxTokens * hiddenSize; i++) hiddenStates[b * maxTokens * hiddenSize + i] = ((p.charCodeAt(i % Math.max(1, p.length)) || 0) % 17) / 17 - 0.5;
      });
      return Promise.resolve({ hiddenStates, attentionMask, batch: prompts.length, tokens: maxTokens, hidden: hiddenSize, truncated: prompts.map((p) => p.length >= maxTokens) });
    },
    async generateBatch(items: BatchItem[]): Promise<BatchOutcome[]> {
      fake.batches.push(items.length);
      fake.requests.push(...items.map((it) => it.request));
      if (fake.failWith) throw fake.failWith;
      const plans = items.map((it) => planRequest(it.request, manifest));
      const outcomes: (BatchOutcome | undefined)[] = items.map(() => undefined);
      const stages = plans[0]?.stages ?? [];
      for (const [si, sp] of stages.entries()) {
        for (let step = 1; step <= sp.steps; step++) {
          await sleep(fake.stepMs);
          items.forEach((it, k) => {
            if (outcomes[k]) return;
            if (it.options.signal?.aborted) outcomes[k] = { ok: false, error: new GenerationAbortedError(sp.stage.name, step - 1, it.options.signal.reason) };
            else it.options.onProgress?.({ stage: sp.stage.name, stageIndex: si, step, totalSteps: sp.steps });
          });
        }
      }
      return items.map((it, k) => outcomes[k] ?? { ok: true, result: fakeResult(it, plans[k]?.seeds ?? []) });
    },
    dispose: () => Promise.resolve(),
  };
  return fake;
}

function fakeResult(item: BatchItem, seeds: number[]): GenerateResult {
  const size = item.request.size;
  const images = seeds.map((seed) => {
    const rgb = new Uint8Array(size * size * 3);
    for (let i = 0; i < rgb.length; i++) rgb[i] = (seed * 31 + i * 7) & 0xff;
    return { seed, width: size, height: size, rgb, png: encodePng({ width: size, height: size, rgb }), sha256: pixelHashOf(rgb, size, size).sha256 };
  });
  return {
    images,
    truncated: false,
    timings: { encodeMs: 0, stagesMs: {}, totalMs: 0 },
    fingerprint: fakeFingerprint,
  };
}
