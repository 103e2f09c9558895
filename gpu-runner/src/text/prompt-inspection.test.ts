// The prompting help the notebook shows before a run: token count, truncation
// and unknown words, from the embedded model's own tokenizer (trained on the
// shapes world, so words outside it are spelled out a character at a time).
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTokenizer, type PromptTokenizer, unknownWords } from './tokenizer.ts';

const embedded = fileURLToPath(new URL('../../../models/embedded/tokenizer.json', import.meta.url));

describe('PromptTokenizer.inspect', () => {
  let tok: PromptTokenizer;
  beforeAll(async () => {
    tok = await loadTokenizer(embedded, 48);
  });

  it("names the words outside the model's world and none inside it", () => {
    const inside = tok.inspect('two red circles above a blue square');
    expect(inside).toMatchObject({ maxTokens: 48, truncated: false, unknown: [] });
    // the count is the tokenizer's own: what tokenize() keeps a mask over
    const t = tok.tokenize(['two red circles above a blue square']);
    expect(inside.tokens).toBe(t.lengths[0]);
    const outside = tok.inspect('a watercolor painting of a red circle, at dusk!');
    expect(outside.unknown).toEqual(expect.arrayContaining(['watercolor', 'painting', 'dusk']));
    expect(outside.unknown).not.toContain('red');
    expect(outside.unknown).not.toContain('circle');
  });

  it('says when the prompt is cut at maxTokens', () => {
    const long = Array.from({ length: 30 }, () => 'a red circle').join(' and ');
    const r = tok.inspect(long);
    expect(r.truncated).toBe(true);
    expect(r.tokens).toBeGreaterThan(48);
    expect(tok.tokenize([long]).truncated[0]).toBe(true);
  });
});

describe('unknownWords', () => {
  it('flags the unknown token and spelled-out words, once each, ignoring punctuation', () => {
    const pieces: Record<string, string[]> = { red: ['▁red'], zyx: ['▁', 'z', 'y', 'x'], abcd: ['▁ab', 'cd'], ok: ['▁o', 'k'], lighthouse: ['▁light', 'house'], q: ['▁q'], ü: ['<unk>'] };
    expect(unknownWords('red zyx, ok lighthouse (abcd) q ü zyx €', (w) => pieces[w] ?? [], '<unk>')).toEqual(['zyx', 'abcd', 'ü']);
  });
});
