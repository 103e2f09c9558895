// Prompt → fixed-length T5 token ids, fully offline.
//
// The tokenizer is built from the manifest's tokenizer.json (plus
// tokenizer_config.json beside it when present) with transformers.js'
// PreTrainedTokenizer constructor, so no hub lookup happens at all; remote
// loading is switched off as well in case anything else asks.
//
// Truncation follows Hugging Face's Python T5 tokenizer: the text is cut and
// `</s>` is kept as the last token (transformers.js' own truncation would drop
// it), so a long prompt encodes like the reference implementation.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PreTrainedTokenizer, env } from '@huggingface/transformers';
import type { PromptInspection } from '@imagen-ts/protocol';

export interface TokenizedPrompts {
  /** int64 [B, L], padded with padId */
  inputIds: BigInt64Array;
  /** int64 [B, L], 1 = real token */
  attentionMask: BigInt64Array;
  batch: number;
  tokens: number;
  /** per prompt: was it cut to maxTokens? */
  truncated: boolean[];
  /** per prompt: token count before truncation (special tokens included) */
  lengths: number[];
}

export interface PromptTokenizer {
  readonly maxTokens: number;
  readonly padId: number;
  readonly eosId: number | null;
  tokenize(prompts: readonly string[]): TokenizedPrompts;
  inspect(prompt: string): PromptInspection;
}

const edgePunctuation = /^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu;

/**
 * A word is unknown to the model when the tokenizer maps any of it to the unknown
 * token, or, for words of three or more characters, has no piece for it longer
 * than two characters (it spells the word out: the encoder never saw it whole).
 * Large vocabularies split rare words into a few real sub-words, which this does
 * not flag.
 */
export function unknownWords(prompt: string, pieces: (word: string) => string[], unkToken: string): string[] {
  const out: string[] = [];
  for (const raw of prompt.split(/\s+/)) {
    const word = raw.replace(edgePunctuation, '');
    if (word === '' || out.includes(word)) continue;
    const ps = pieces(word).map((p) => p.replace(/^\u2581/, ''));
    if (ps.includes(unkToken) || (word.length > 2 && ps.every((p) => p.length <= 2))) out.push(word);
  }
  return out;
}

type Config = Record<string, unknown>;

const tokenOf = (config: Config, key: string): string | undefined => {
  const v = config[key];
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content;
  return undefined;
};

export async function loadTokenizer(tokenizerPath: string, maxTokens: number): Promise<PromptTokenizer> {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  const json: unknown = JSON.parse(await readFile(tokenizerPath, 'utf8'));
  const configPath = join(dirname(tokenizerPath), 'tokenizer_config.json');
  const config = (existsSync(configPath) ? JSON.parse(await readFile(configPath, 'utf8')) : {}) as Config;
  const tok = new PreTrainedTokenizer(json, config);
  const vocab = tok.get_vocab();
  const idOf = (t: string | undefined) => (t === undefined ? undefined : vocab.get(t));
  // T5: <pad> = 0 and </s> = 1; the ONNX contract pads with the pad id (0 for T5).
  const padId = idOf(tokenOf(config, 'pad_token')) ?? idOf('<pad>') ?? 0;
  const eosId = idOf(tokenOf(config, 'eos_token')) ?? idOf('</s>') ?? null;
  const unkToken = tokenOf(config, 'unk_token') ?? '<unk>';

  return {
    maxTokens,
    padId,
    eosId,
    tokenize(prompts) {
      const B = prompts.length;
      const L = maxTokens;
      const inputIds = new BigInt64Array(B * L).fill(BigInt(padId));
      const attentionMask = new BigInt64Array(B * L);
      const truncated: boolean[] = [];
      const lengths: number[] = [];
      prompts.forEach((prompt, b) => {
        const ids = tok.encode(prompt);
        lengths.push(ids.length);
        const cut = ids.length > L;
        truncated.push(cut);
        const endsWithEos = eosId !== null && ids[ids.length - 1] === eosId;
        const kept = cut ? (endsWithEos ? [...ids.slice(0, L - 1), eosId] : ids.slice(0, L)) : ids;
        kept.forEach((id, i) => {
          inputIds[b * L + i] = BigInt(id);
          attentionMask[b * L + i] = 1n;
        });
      });
      return { inputIds, attentionMask, batch: B, tokens: L, truncated, lengths };
    },
    inspect(prompt) {
      const tokens = tok.encode(prompt).length;
      return { tokens, maxTokens, truncated: tokens > maxTokens, unknown: unknownWords(prompt, (w) => tok.tokenize(w), unkToken) };
    },
  };
}
