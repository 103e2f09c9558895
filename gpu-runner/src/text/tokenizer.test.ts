import { fileURLToPath } from 'node:url';
import { PreTrainedTokenizer } from '@huggingface/transformers';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTokenizer, type PromptTokenizer } from './tokenizer.ts';

const tokenizerPath = fileURLToPath(new URL('../../../models/fixtures/tiny/tokenizer.json', import.meta.url));

describe('loadTokenizer', () => {
  const L = 8;
  let tok: PromptTokenizer;
  let reference: PreTrainedTokenizer;
  beforeAll(async () => {
    tok = await loadTokenizer(tokenizerPath, L);
    reference = new PreTrainedTokenizer(JSON.parse(readFileSync(tokenizerPath, 'utf8')), {});
  });

  it('uses T5 ids: <pad> = 0, </s> = 1', () => {
    expect(tok.padId).toBe(0);
    expect(tok.eosId).toBe(1);
  });

  it('pads to maxTokens with a mask over the real tokens, `</s>` last', () => {
    const t = tok.tokenize(['', 'ab']);
    const ids = [...t.inputIds].map(Number);
    const mask = [...t.attentionMask].map(Number);
    const ab = reference.encode('ab');
    expect(ab.at(-1)).toBe(1);
    expect(ids.slice(0, L)).toEqual([1, 0, 0, 0, 0, 0, 0, 0]); // "" → just </s>
    expect(mask.slice(0, L)).toEqual([1, 0, 0, 0, 0, 0, 0, 0]);
    expect(ids.slice(L, L + ab.length)).toEqual(ab);
    expect(ids.slice(L + ab.length, 2 * L).every((v) => v === 0)).toBe(true);
    expect(mask.slice(L, 2 * L).reduce((a, b) => a + b, 0)).toBe(ab.length);
    expect(t.truncated).toEqual([false, false]);
  });

  it('truncates like the Python T5 tokenizer: keeps `</s>` and reports it', () => {
    const long = 'a very long prompt about red and blue cubes on a wooden table';
    const full = reference.encode(long);
    expect(full.length).toBeGreaterThan(L);
    const t = tok.tokenize([long]);
    expect([...t.inputIds].map(Number)).toEqual([...full.slice(0, L - 1), 1]);
    expect([...t.attentionMask].every((v) => v === 1n)).toBe(true);
    expect(t.truncated).toEqual([true]);
    expect(t.lengths).toEqual([full.length]);
  });

  it('is deterministic and batch-independent', () => {
    const a = tok.tokenize(['red cube', 'blue sphere']);
    const b = tok.tokenize(['blue sphere']);
    expect([...a.inputIds.subarray(L)]).toEqual([...b.inputIds]);
  });
});
