import { env } from 'cloudflare:workers';
import { decodeEmbeddings } from '@imagen-ts/protocol';
import { describe, expect, it } from 'vitest';
import { fakeModel } from '../test/fake-runner.ts';
import { call, createKey, runnerA, runnerB, stats, totalEmbedCalls, waitJob } from '../test/helpers.ts';
import { embeddingCacheKey, forgetRecentEmbeddings, normalizePrompt } from './embedding-cache.ts';

interface JobBody {
  id: string;
  status: string;
  images: { id: string }[];
}

async function runnerJobs(): Promise<Record<string, unknown>[]> {
  return [...(await stats(runnerA)).jobs, ...(await stats(runnerB)).jobs];
}

describe('embedding cache', () => {
  it('normalizes prompts the way both paths see them', () => {
    expect(normalizePrompt('  a\u00a0 red\n\tfox  ')).toBe('a red fox');
    // NFC: a decomposed é equals the composed one
    expect(normalizePrompt('cafe\u0301')).toBe(normalizePrompt('caf\u00e9'));
  });

  it('keys on encoder id, encoder sha256, max tokens and the normalized prompt', async () => {
    const enc = { id: 'e', sha256: 'a'.repeat(64), maxTokens: 8 };
    const base = await embeddingCacheKey(enc, 'fox');
    expect(base).toMatch(/^emb:v1:[0-9a-f]{64}$/);
    expect(await embeddingCacheKey(enc, 'fox')).toBe(base);
    expect(await embeddingCacheKey({ ...enc, id: 'f' }, 'fox')).not.toBe(base);
    expect(await embeddingCacheKey({ ...enc, sha256: 'b'.repeat(64) }, 'fox')).not.toBe(base);
    expect(await embeddingCacheKey({ ...enc, maxTokens: 9 }, 'fox')).not.toBe(base);
    expect(await embeddingCacheKey(enc, 'fox ')).not.toBe(base);
  });

  it('a miss calls the encoder for the prompt and the null prompt and stores both; a hit calls it not at all and gives the same image', async () => {
    const { key } = await createKey();
    const prompt = `a lighthouse at dusk ${crypto.randomUUID()}`;
    const before = await totalEmbedCalls();
    const first = await call('/v1/generations', { method: 'POST', key, json: { prompt, seed: 42 }, headers: { Prefer: 'wait=20' } });
    expect(first.headers.get('X-Embedding-Cache')).toBe('miss');
    const job1 = await first.json<JobBody>();
    expect(job1.status).toBe('succeeded');
    const afterMiss = await totalEmbedCalls();
    // the prompt, and the null prompt unless an earlier test cached it
    expect(afterMiss - before).toBeGreaterThanOrEqual(1);
    expect(afterMiss - before).toBeLessThanOrEqual(2);

    const stored = await env.EMBEDDINGS.get(await embeddingCacheKey(fakeModel.textEncoder, normalizePrompt(prompt)), 'arrayBuffer');
    expect(stored).not.toBeNull();
    expect(decodeEmbeddings(new Uint8Array(stored ?? new ArrayBuffer(0))).header.encoderId).toBe(fakeModel.textEncoder.id);
    expect(await env.EMBEDDINGS.get(await embeddingCacheKey(fakeModel.textEncoder, ''), 'arrayBuffer')).not.toBeNull();

    // same prompt, other whitespace: a hit, zero encoder calls
    const second = await call('/v1/generations', { method: 'POST', key, json: { prompt: `  ${prompt.replace(/ /g, '  ')} `, seed: 42 }, headers: { Prefer: 'wait=20' } });
    expect(second.headers.get('X-Embedding-Cache')).toBe('hit');
    const job2 = await second.json<JobBody>();
    expect(job2.status).toBe('succeeded');
    expect(await totalEmbedCalls()).toBe(afterMiss);
    expect(job2.id).not.toBe(job1.id);
    expect(job2.images[0]?.id).toBe(job1.images[0]?.id);

    // both runner jobs carried the same embedding bytes
    const sent = (await runnerJobs()).filter((j) => j.prompt === normalizePrompt(prompt));
    expect(sent).toHaveLength(2);
    expect(sent[0]?.embeddings).toBe(sent[1]?.embeddings);
    expect(sent[0]?.negativeEmbeddings).toBe(sent[1]?.negativeEmbeddings);
  });

  it('a hit is served from the isolate without KV, and from KV once the isolate forgot it', async () => {
    const { key } = await createKey();
    const prompt = `a tin robot ${crypto.randomUUID()}`;
    const generate = (seed: number) => call('/v1/generations', { method: 'POST', key, json: { prompt, seed }, headers: { Prefer: 'wait=20' } });
    expect((await generate(1)).headers.get('X-Embedding-Cache')).toBe('miss');
    const kvKey = await embeddingCacheKey(fakeModel.textEncoder, normalizePrompt(prompt));
    const stored = await env.EMBEDDINGS.get(kvKey, 'arrayBuffer');
    const calls = await totalEmbedCalls();
    // KV emptied behind the isolate's back: still a hit, from memory
    await env.EMBEDDINGS.delete(kvKey);
    expect((await generate(2)).headers.get('X-Embedding-Cache')).toBe('hit');
    // forgotten, with KV back: a hit from KV
    await env.EMBEDDINGS.put(kvKey, stored ?? new ArrayBuffer(0));
    forgetRecentEmbeddings();
    expect((await generate(3)).headers.get('X-Embedding-Cache')).toBe('hit');
    expect(await totalEmbedCalls()).toBe(calls);
  });

  it('a different seed on a hit gives a different image (the cache does not pin images)', async () => {
    const { key } = await createKey();
    const prompt = `a mossy stone ${crypto.randomUUID()}`;
    const a = await (await call('/v1/generations', { method: 'POST', key, json: { prompt, seed: 1 }, headers: { Prefer: 'wait=20' } })).json<JobBody>();
    const b = await call('/v1/generations', { method: 'POST', key, json: { prompt, seed: 2 }, headers: { Prefer: 'wait=20' } });
    expect(b.headers.get('X-Embedding-Cache')).toBe('hit');
    const jb = await b.json<JobBody>();
    expect(jb.images[0]?.id).not.toBe(a.images[0]?.id);
    expect((await waitJob(jb.id, key)).status).toBe('succeeded');
  });

  it('20 concurrent requests for one new prompt share one runner /v1/embed call (single-flight per cache key)', async () => {
    const { key } = await createKey();
    const prompt = `a crowd of identical requests ${crypto.randomUUID()}`;
    const prompts = async () => [...(await stats(runnerA)).embedPrompts, ...(await stats(runnerB)).embedPrompts];
    const before = await prompts();
    const responses = await Promise.all(Array.from({ length: 20 }, (_, i) => call('/v1/generations', { method: 'POST', key, json: { prompt, seed: i } })));
    expect(responses.map((r) => r.status)).toEqual(Array.from({ length: 20 }, () => 202));
    const jobs = await Promise.all(responses.map((r) => r.json<JobBody>()));
    const after = await prompts();
    const calls = (list: string[], p: string) => list.filter((x) => x === p).length;
    expect(calls(after, normalizePrompt(prompt)) - calls(before, normalizePrompt(prompt))).toBe(1);
    // the null prompt, unless an earlier test cached it, is shared the same way
    expect(calls(after, '') - calls(before, '')).toBeLessThanOrEqual(1);
    for (const job of jobs) expect((await waitJob(job.id, key)).status).toBe('succeeded');
  });
});
