import { beforeEach, describe, expect, it } from 'vitest';
import { fakeModel } from '../../test/fake-runner.ts';
import { call, createKey, resetRunners, runnerA, runnerB, stats } from '../../test/helpers.ts';

const tokenizeCalls = async () => (await stats(runnerA)).tokenizeCalls + (await stats(runnerB)).tokenizeCalls;

describe('POST /v1/tokenize', () => {
  beforeEach(resetRunners);

  it("answers the model's tokenizer view of a prompt, then the same answer from the cache", async () => {
    const { key } = await createKey();
    // a word of its own makes the prompt new to the cache (letters only: the fake runner calls words with digits unknown)
    const prompt = `a red circle 4u ${crypto.randomUUID().replace(/[^a-f]/g, '')}`;
    const first = await call('/v1/tokenize', { key, method: 'POST', json: { prompt } });
    expect(first.status).toBe(200);
    expect(first.headers.get('X-Cache')).toBe('miss');
    const body = await first.json();
    expect(body).toEqual({ model: fakeModel.id, tokens: 6, maxTokens: fakeModel.textEncoder.maxTokens, truncated: false, unknown: ['4u'] });
    expect(await tokenizeCalls()).toBe(1);
    const again = await call('/v1/tokenize', { key, method: 'POST', json: { prompt } });
    expect(again.headers.get('X-Cache')).toBe('hit');
    expect(await again.json()).toEqual(body);
    expect(await tokenizeCalls()).toBe(1);
  });

  it('needs a key and names the bad field', async () => {
    expect((await call('/v1/tokenize', { method: 'POST', json: { prompt: 'x' } })).status).toBe(401);
    const { key } = await createKey();
    const bad = await call('/v1/tokenize', { key, method: 'POST', json: { prompt: 7 } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { field: 'prompt' } });
  });
});
