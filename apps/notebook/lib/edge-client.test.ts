import { describe, expect, it } from 'vitest';
import { createEdgeClient, describeError, EdgeError, isConflict, toJobEvent } from './edge-client.ts';
import { createFakeEdge } from './testing/fake-edge.ts';

describe('edge client', () => {
  it('sends the key, reads ETags and turns a stale If-Match into a conflict', async () => {
    const edge = createFakeEdge();
    const client = createEdgeClient({ baseUrl: 'http://edge.test', apiKey: 'test-key', fetch: edge.fetch });
    const created = await client.createNotebook('  ', { version: 1 });
    const id = created.value.id;
    expect(created.etag).toBe(`"${id}.v1"`);
    expect(created.value.title).toBe('Untitled notebook');
    const etag2 = await client.saveNotebook(id, 'First', { version: 1, x: 1 }, created.etag);
    expect(etag2).toBe(`"${id}.v2"`);
    expect(edge.calls.at(-1)).toBe(`PUT /v1/notebooks/${id}`);
    const stale = await client.saveNotebook(id, 'Mine', {}, created.etag).catch((e: unknown) => e);
    expect(isConflict(stale)).toBe(true);
    expect(describeError(stale)).toBe(`If-Match "${id}.v1" is stale: the notebook is at "${id}.v2"; reload it and apply your change again`);
    expect(await client.getNotebook(id)).toMatchObject({ etag: `"${id}.v2"`, value: { title: 'First', content: { version: 1, x: 1 } } });
    expect(await client.listNotebooks()).toMatchObject([{ id, title: 'First', version: 2 }]);
    await client.deleteNotebook(id, etag2);
    expect(await client.listNotebooks()).toEqual([]);
  });

  it("reports the edge's error body, and a wrong key", async () => {
    const edge = createFakeEdge();
    const bad = createEdgeClient({ baseUrl: 'http://edge.test', apiKey: 'nope', fetch: edge.fetch });
    const err = await bad.listNotebooks().catch((e: unknown) => e);
    expect(err).toEqual(new EdgeError(401, 'unauthorized', 'unknown or revoked API key'));
    expect(describeError(new EdgeError(400, 'invalid_request', 'must be one of', 'sampler', ['ddpm', 'ddim']))).toBe('sampler: must be one of (allowed: "ddpm", "ddim")');
  });

  it('names the URL when the edge cannot be reached, and rejects malformed answers', async () => {
    const down = createEdgeClient({ baseUrl: 'http://127.0.0.1:9', apiKey: 'k', fetch: () => Promise.reject(new TypeError('fetch failed')) });
    await expect(down.listModels()).rejects.toThrow('cannot reach the edge at http://127.0.0.1:9 (fetch failed); check the URL in Settings');
    const odd = createEdgeClient({ baseUrl: 'http://e', apiKey: 'k', fetch: () => Promise.resolve(new Response('{"status":"done"}')) });
    await expect(odd.getJob('j')).rejects.toThrow(/unexpected a job from the edge: id: /);
    const html = createEdgeClient({ baseUrl: 'http://e', apiKey: 'k', fetch: () => Promise.resolve(new Response('<html>oops</html>', { status: 502, statusText: 'Bad Gateway' })) });
    await expect(html.listModels()).rejects.toThrow('the edge answered 502 Bad Gateway: <html>oops</html>');
  });

  it('maps SSE messages to job events', () => {
    expect(toJobEvent('progress', '{"stage":"sr256","stageIndex":1,"step":3,"total":10,"preview":"data:image/png;base64,AA"}')).toEqual({
      type: 'progress', stage: 'sr256', stageIndex: 1, step: 3, total: 10, preview: 'data:image/png;base64,AA',
    });
    expect(toJobEvent('progress', '{"step":"x"}')).toBeUndefined();
    const job = { id: 'job_1', kind: 'generation', status: 'failed', createdAt: 'a', updatedAt: 'b', model: 'm', seed: 1, n: 1, size: 64, parentImageId: null, attempts: 1, progress: null, images: [], error: { code: 'x', message: 'boom' }, embeddingCache: null };
    expect(toJobEvent('state', JSON.stringify(job))).toEqual({ type: 'state', job });
    expect(toJobEvent('state', '{"id":"job_1"}')).toBeUndefined();
    expect(toJobEvent('retry', '{}')).toEqual({ type: 'retry' });
    expect(toJobEvent('ping', '{}')).toBeUndefined();
    expect(toJobEvent('state', '{not json')).toBeUndefined();
  });
});
