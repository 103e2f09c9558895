import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadManifest } from '../manifest/load-manifest.ts';
import type { TextEncoder as TextEncoderSpec } from '../manifest/schema.ts';
import { createSession, type ModelSession } from '../runtime/ort.ts';
import { createTextEncoder, stackEmbeddings } from './text-encoder.ts';
import { loadTokenizer, type PromptTokenizer } from './tokenizer.ts';

const dir = fileURLToPath(new URL('../../../models/fixtures/tiny', import.meta.url));

describe('createTextEncoder', () => {
  let session: ModelSession;
  let spec: TextEncoderSpec;
  let tokenizer: PromptTokenizer;
  beforeAll(async () => {
    const m = await loadManifest(dir, { verify: 'exists' });
    spec = m.manifest.textEncoder;
    session = await createSession(m.files.textEncoder, { device: 'cpu', intraOpThreads: 1 });
    tokenizer = await loadTokenizer(m.files.tokenizer, spec.maxTokens);
  });
  afterAll(() => session.dispose());

  it('encodes [B, L, D] with the tokenizer mask; a batch equals its prompts encoded alone', async () => {
    const enc = createTextEncoder({ spec, tokenizer, session, cacheSize: 0 });
    const both = await enc.encode(['a red cube', 'a blue sphere']);
    const L = spec.maxTokens;
    const D = spec.hiddenSize;
    expect([both.batch, both.tokens, both.hidden]).toEqual([2, L, D]);
    expect(both.hiddenStates.length).toBe(2 * L * D);
    const b = await enc.encode(['a blue sphere']);
    expect(Buffer.from(both.hiddenStates.subarray(L * D).slice().buffer).equals(Buffer.from(b.hiddenStates.buffer))).toBe(true);
    expect([...both.attentionMask.subarray(L)]).toEqual([...b.attentionMask]);
    expect([...b.attentionMask]).toEqual([...tokenizer.tokenize(['a blue sphere']).attentionMask]);
    expect(enc.runs).toBe(3);
  });

  it('caches prompts (LRU) and hands out copies', async () => {
    const enc = createTextEncoder({ spec, tokenizer, session, cacheSize: 2 });
    const a = await enc.encode(['x']);
    const snapshot = a.hiddenStates.slice();
    a.hiddenStates.fill(7);
    const again = await enc.encode(['x']);
    expect(enc.runs).toBe(1);
    expect([...again.hiddenStates]).toEqual([...snapshot]);
    await enc.encode(['y']);
    await enc.encode(['z']); // evicts x
    await enc.encode(['x']);
    expect(enc.runs).toBe(4);
  });

  it('null prompt: "empty-prompt" is encode(""), "zeros" is zero states with a full mask', async () => {
    const empty = createTextEncoder({ spec: { ...spec, nullPrompt: 'empty-prompt' }, tokenizer, session });
    const n = await empty.nullEmbeddings();
    const e = await empty.encode(['']);
    expect([...n.hiddenStates]).toEqual([...e.hiddenStates]);
    expect(Number(n.attentionMask[0])).toBe(1);
    expect(Number(n.attentionMask[1])).toBe(0);
    const zeros = createTextEncoder({ spec: { ...spec, nullPrompt: 'zeros' }, tokenizer, session });
    const z = await zeros.nullEmbeddings();
    expect(z.hiddenStates.every((v) => v === 0)).toBe(true);
    expect(z.attentionMask.every((v) => v === 1n)).toBe(true);
    expect(zeros.runs).toBe(0);
  });

  it('stackEmbeddings refuses mismatched shapes', async () => {
    const enc = createTextEncoder({ spec, tokenizer, session });
    const a = await enc.encode(['a']);
    expect(() => stackEmbeddings([a, { ...a, hidden: a.hidden + 1 }])).toThrow(/differs/);
  });
});
