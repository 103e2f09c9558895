import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AutoTokenizer, PreTrainedTokenizer, env } from '@huggingface/transformers';
import { beforeAll, describe, expect, it } from 'vitest';

// models/embedded/tokenizer.json must tokenize exactly like the SentencePiece model the
// Python side trains with; fixture.json holds Python's ids (written by models.tokenizer.train).
const here = path.dirname(fileURLToPath(import.meta.url));
const modelsDir = path.resolve(here, '..');
const embeddedDir = path.join(modelsDir, 'embedded');

interface FixtureCase {
  text: string;
  ids: number[];
}
interface Fixture {
  pad_id: number;
  eos_id: number;
  unk_id: number;
  vocab_size: number;
  single_piece_words: string[];
  cases: FixtureCase[];
}

const readJson = (file: string): unknown => JSON.parse(readFileSync(file, 'utf8'));
const fixture = readJson(path.join(here, 'fixture.json')) as Fixture;
const tokenizerJson = readJson(path.join(embeddedDir, 'tokenizer.json')) as Record<string, unknown>;
const tokenizerConfig = readJson(path.join(embeddedDir, 'tokenizer_config.json')) as Record<string, unknown>;

describe('embedded T5 tokenizer (transformers.js, offline)', () => {
  let auto: PreTrainedTokenizer;
  const direct = new PreTrainedTokenizer(tokenizerJson, tokenizerConfig);

  beforeAll(async () => {
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = modelsDir + path.sep;
    auto = await AutoTokenizer.from_pretrained('embedded', { local_files_only: true });
  });

  it('has the T5 special ids', () => {
    for (const tok of [direct, auto]) {
      expect(tok.pad_token_id).toBe(0);
      expect(tok.eos_token_id).toBe(1);
      expect(tok.unk_token_id).toBe(2);
      expect(tok.pad_token).toBe('<pad>');
      expect(tok.eos_token).toBe('</s>');
    }
    expect([fixture.pad_id, fixture.eos_id, fixture.unk_id]).toEqual([0, 1, 2]);
    expect(direct.get_vocab().size).toBe(fixture.vocab_size);
  });

  it('matches the Python SentencePiece ids (+ </s>) on every fixture caption', () => {
    expect(fixture.cases.length).toBeGreaterThanOrEqual(50);
    for (const { text, ids } of fixture.cases) {
      expect(direct.encode(text), JSON.stringify(text)).toEqual(ids);
      expect(auto.encode(text), JSON.stringify(text)).toEqual(ids);
    }
  });

  it('keeps every vocabulary word a single piece', () => {
    expect(fixture.single_piece_words.length).toBeGreaterThan(80);
    for (const word of fixture.single_piece_words) {
      const ids = direct.encode(word);
      expect(ids, word).toHaveLength(2);
      expect(ids[1]).toBe(1);
    }
    expect(direct.model_max_length).toBe(64);
  });

  it('decodes back to the caption', () => {
    const captions = fixture.cases.map((c) => c.text).filter((t) => /^[a-z][a-zA-Z0-9 ,]*[a-zA-Z0-9]$/.test(t));
    expect(captions.length).toBeGreaterThanOrEqual(40);
    for (const text of captions) {
      expect(direct.decode(direct.encode(text), { skip_special_tokens: true })).toBe(text);
    }
  });

  it('pads with id 0 and marks padding in the attention mask', () => {
    const out = direct(['a red circle', 'two blue squares on a pink background'], { padding: true, return_tensor: false }) as {
      input_ids: number[][];
      attention_mask: number[][];
    };
    const [short, long] = out.input_ids;
    expect(long).toHaveLength(8); // 7 words + </s>
    expect(short).toEqual([...direct.encode('a red circle'), 0, 0, 0, 0]);
    expect(short?.[3]).toBe(1);
    expect(out.attention_mask).toEqual([
      [1, 1, 1, 1, 0, 0, 0, 0],
      [1, 1, 1, 1, 1, 1, 1, 1],
    ]);
  });
});
