// Training tokenizes captions in Python (models/train/tokenize.py); the engine
// tokenizes prompts with @huggingface/transformers. The text encoder only works
// if both give the same ids, so compare them on world captions and edge cases.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PreTrainedTokenizer } from '@huggingface/transformers';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

const root = fileURLToPath(new URL('../../', import.meta.url));
const tokenizerPath = `${root}models/embedded/tokenizer.json`;
const python = '/usr/bin/python3';

const Dump = z.object({ captions: z.array(z.string()), ids: z.array(z.array(z.number().int())) });

describe.skipIf(!existsSync(python) || !existsSync(tokenizerPath))('Python tokenizer parity', () => {
  it('gives the same ids as transformers.js, </s> appended', () => {
    const out = execFileSync(python, ['-m', 'models.train.tokenize', '--count', '300'], { cwd: root, encoding: 'utf8' });
    const dump = Dump.parse(JSON.parse(out));
    const tok = new PreTrainedTokenizer(JSON.parse(readFileSync(tokenizerPath, 'utf8')) as object, {
      eos_token: '</s>',
      pad_token: '<pad>',
      unk_token: '<unk>',
    });
    expect(dump.captions.length).toBe(303);
    const js = dump.captions.map((c) => tok.encode(c));
    expect(js).toEqual(dump.ids);
    expect(dump.ids.at(-3)).toEqual([1]);
    for (const ids of dump.ids) expect(ids.at(-1)).toBe(1);
  });
});
