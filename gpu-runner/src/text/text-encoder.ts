// Text encoding as its own step: prompts → TextEmbeddings, so callers (the
// edge's embedding cache, the runner service) can pass embeddings instead of a
// prompt and get byte-identical images.
//
// Every prompt runs through the encoder at batch 1, also inside encode([a, b]):
// GEMM kernels may pick a different blocking for another batch size, and the
// embeddings path must not depend on what else was in a batch.
//
// Null prompt (classifier-free guidance's unconditional input):
//  - 'empty-prompt': encode("") — what DeepFloyd IF does; the mask then marks `</s>` only.
//  - 'zeros': all-zero hidden states with an all-ones mask. An all-zero mask would
//    leave masked softmax with no key to attend to (NaN in many exports); with
//    zero keys the cross-attention is a uniform average, i.e. "no text".
import type { TextEncoder as TextEncoderSpec } from '../manifest/schema.ts';
import type { TextEmbeddings } from '../engine/types.ts';
import { createFeed, runModel, type ModelSession } from '../runtime/ort.ts';
import type { PromptTokenizer } from './tokenizer.ts';

export interface TextEncoderRuntime {
  readonly spec: TextEncoderSpec;
  /** encodes each prompt (batch 1 each) and stacks them [B, L, D] */
  encode(prompts: readonly string[]): Promise<TextEmbeddings>;
  /** the unconditional embeddings per spec.nullPrompt (batch 1) */
  nullEmbeddings(): Promise<TextEmbeddings>;
  /** number of encoder runs so far (tests, metrics) */
  readonly runs: number;
}

export interface TextEncoderDeps {
  spec: TextEncoderSpec;
  tokenizer: PromptTokenizer;
  session: ModelSession;
  /** prompts kept in memory (LRU); 0 disables the cache */
  cacheSize?: number;
}

interface Single {
  hidden: Float32Array;
  mask: BigInt64Array;
  truncated: boolean;
}

/** Stacks batch-1 embeddings into one batch. */
export function stackEmbeddings(parts: readonly TextEmbeddings[]): TextEmbeddings {
  const first = parts[0];
  if (!first) throw new Error('stackEmbeddings: nothing to stack');
  const { tokens: L, hidden: D } = first;
  const batch = parts.reduce((a, p) => a + p.batch, 0);
  const hiddenStates = new Float32Array(batch * L * D);
  const attentionMask = new BigInt64Array(batch * L);
  const truncated: boolean[] = [];
  let b = 0;
  for (const p of parts) {
    if (p.tokens !== L || p.hidden !== D) throw new Error(`stackEmbeddings: shape [${p.batch}, ${p.tokens}, ${p.hidden}] differs from [*, ${L}, ${D}]`);
    hiddenStates.set(p.hiddenStates.subarray(0, p.batch * L * D), b * L * D);
    attentionMask.set(p.attentionMask.subarray(0, p.batch * L), b * L);
    truncated.push(...p.truncated);
    b += p.batch;
  }
  return { hiddenStates, attentionMask, batch, tokens: L, hidden: D, truncated };
}

export function createTextEncoder({ spec, tokenizer, session, cacheSize = 32 }: TextEncoderDeps): TextEncoderRuntime {
  const L = spec.maxTokens;
  const D = spec.hiddenSize;
  const cache = new Map<string, Single>();
  let runs = 0;

  async function encodeOne(prompt: string): Promise<Single> {
    const hit = cache.get(prompt);
    if (hit) {
      cache.delete(prompt); // re-insert: Map order is the LRU order
      cache.set(prompt, hit);
      return hit;
    }
    const t = tokenizer.tokenize([prompt]);
    const out = await runModel(session, {
      [spec.inputNames.inputIds]: createFeed(t.inputIds, [1, L]),
      [spec.inputNames.attentionMask]: createFeed(t.attentionMask, [1, L]),
    }, [spec.outputName]);
    runs++;
    const h = out[spec.outputName];
    if (!h || h.type !== 'float32' || !(h.data instanceof Float32Array))
      throw new Error(`${session.label}: output "${spec.outputName}" missing or not float32 (outputs: ${session.outputNames.join(', ')})`);
    if (h.dims.join(',') !== `1,${L},${D}`)
      throw new Error(`${session.label}: output "${spec.outputName}" has dims [${h.dims.join(', ')}], manifest says [1, ${L}, ${D}] (maxTokens, hiddenSize)`);
    // onnxruntime hands each run's output over in a fresh buffer: keep it as is (callers get copies, asEmbeddings)
    const single: Single = { hidden: h.data, mask: t.attentionMask, truncated: t.truncated[0] ?? false };
    if (cacheSize > 0) {
      cache.set(prompt, single);
      if (cache.size > cacheSize) cache.delete(cache.keys().next().value ?? '');
    }
    return single;
  }

  const asEmbeddings = (s: Single): TextEmbeddings => ({
    hiddenStates: s.hidden.slice(),
    attentionMask: s.mask.slice(),
    batch: 1,
    tokens: L,
    hidden: D,
    truncated: [s.truncated],
  });

  let zeros: Single | undefined;

  return {
    spec,
    get runs() {
      return runs;
    },
    async encode(prompts) {
      if (prompts.length === 0) throw new Error('encode: prompts must hold at least one prompt');
      const parts: TextEmbeddings[] = [];
      for (const p of prompts) parts.push(asEmbeddings(await encodeOne(p)));
      return parts.length === 1 && parts[0] ? parts[0] : stackEmbeddings(parts);
    },
    async nullEmbeddings() {
      if (spec.nullPrompt === 'empty-prompt') return asEmbeddings(await encodeOne(''));
      zeros ??= { hidden: new Float32Array(L * D), mask: new BigInt64Array(L).fill(1n), truncated: false };
      return asEmbeddings(zeros);
    },
  };
}
