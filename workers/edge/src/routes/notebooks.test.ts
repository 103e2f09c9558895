import { env } from 'cloudflare:workers';
import { notebookContentLimits } from '@imagen-ts/protocol';
import { describe, expect, it } from 'vitest';
import { call, createKey } from '../../test/helpers.ts';

interface NotebookBody {
  id: string;
  title: string;
  version: number;
  etag: string;
  content: unknown;
}

async function createNotebook(key: string, title = 'my notebook', content: unknown = { cells: [{ prompt: 'a fox' }] }): Promise<{ res: Response; nb: NotebookBody }> {
  const res = await call('/v1/notebooks', { method: 'POST', key, json: { title, content } });
  return { res, nb: await res.json<NotebookBody>() };
}

describe('notebooks', () => {
  it('create, read (ETag, 304), list only one\'s own', async () => {
    const { key } = await createKey(['notebooks']);
    const { res, nb } = await createNotebook(key);
    expect(res.status).toBe(201);
    expect(res.headers.get('ETag')).toBe(nb.etag);
    expect(nb.version).toBe(1);
    const got = await call(`/v1/notebooks/${nb.id}`, { key });
    expect(got.status).toBe(200);
    expect(got.headers.get('ETag')).toBe(nb.etag);
    expect((await got.json<NotebookBody>()).content).toEqual({ cells: [{ prompt: 'a fox' }] });
    expect((await call(`/v1/notebooks/${nb.id}`, { key, headers: { 'If-None-Match': nb.etag } })).status).toBe(304);

    const other = await createKey(['notebooks']);
    await createNotebook(other.key, 'theirs');
    const list = await (await call('/v1/notebooks', { key })).json<{ notebooks: NotebookBody[] }>();
    expect(list.notebooks.map((n) => n.id)).toEqual([nb.id]);
  });

  it('PUT with the current ETag saves and moves the ETag; a stale ETag is 412 and changes nothing; no If-Match is 428', async () => {
    const { key } = await createKey(['notebooks']);
    const { nb } = await createNotebook(key, 'draft', { cells: [] });
    const saved = await call(`/v1/notebooks/${nb.id}`, { method: 'PUT', key, headers: { 'If-Match': nb.etag }, json: { title: 'v2', content: { cells: ['a'] } } });
    expect(saved.status).toBe(200);
    const v2 = await saved.json<NotebookBody>();
    expect(v2.version).toBe(2);
    expect(v2.etag).not.toBe(nb.etag);
    expect(saved.headers.get('ETag')).toBe(v2.etag);

    // a second tab still holding v1 tries to save
    const stale = await call(`/v1/notebooks/${nb.id}`, { method: 'PUT', key, headers: { 'If-Match': nb.etag }, json: { title: 'stale', content: { cells: ['lost?'] } } });
    expect(stale.status).toBe(412);
    expect(stale.headers.get('ETag')).toBe(v2.etag);
    expect((await stale.json<{ error: { code: string } }>()).error.code).toBe('precondition_failed');
    const now = await (await call(`/v1/notebooks/${nb.id}`, { key })).json<NotebookBody>();
    expect(now).toMatchObject({ title: 'v2', version: 2, content: { cells: ['a'] } });

    const blind = await call(`/v1/notebooks/${nb.id}`, { method: 'PUT', key, json: { title: 'blind', content: {} } });
    expect(blind.status).toBe(428);
    expect((await blind.json<{ error: { field: string } }>()).error.field).toBe('If-Match');
  });

  it('another key\'s notebook is 404 for read, write and delete, and stays intact', async () => {
    const owner = await createKey(['notebooks']);
    const stranger = await createKey(['notebooks']);
    const { nb } = await createNotebook(owner.key, 'secret plans');
    expect((await call(`/v1/notebooks/${nb.id}`, { key: stranger.key })).status).toBe(404);
    expect((await call(`/v1/notebooks/${nb.id}`, { method: 'PUT', key: stranger.key, headers: { 'If-Match': '*' }, json: { title: 'mine now', content: {} } })).status).toBe(404);
    expect((await call(`/v1/notebooks/${nb.id}`, { method: 'DELETE', key: stranger.key, headers: { 'If-Match': '*' } })).status).toBe(404);
    expect((await (await call(`/v1/notebooks/${nb.id}`, { key: owner.key })).json<NotebookBody>()).title).toBe('secret plans');
  });

  it('DELETE needs the current ETag', async () => {
    const { key } = await createKey(['notebooks']);
    const { nb } = await createNotebook(key);
    expect((await call(`/v1/notebooks/${nb.id}`, { method: 'DELETE', key, headers: { 'If-Match': '"nope.v9"' } })).status).toBe(412);
    expect((await call(`/v1/notebooks/${nb.id}`, { method: 'DELETE', key, headers: { 'If-Match': nb.etag } })).status).toBe(204);
    expect((await call(`/v1/notebooks/${nb.id}`, { key })).status).toBe(404);
  });

  it('validates bodies and sizes', async () => {
    const { key } = await createKey(['notebooks']);
    const empty = await call('/v1/notebooks', { method: 'POST', key, json: { title: '', content: {} } });
    expect(empty.status).toBe(400);
    expect((await empty.json<{ error: { field: string } }>()).error.field).toBe('title');
    const extra = await call('/v1/notebooks', { method: 'POST', key, json: { title: 't', content: {}, owner: 'x' } });
    expect(extra.status).toBe(400);
    const huge = await call('/v1/notebooks', { method: 'POST', key, json: { title: 't', content: { blob: 'x'.repeat(2 << 20) } } });
    expect(huge.status).toBe(413);
    expect((await huge.json<{ error: { code: string } }>()).error.code).toBe('payload_too_large');
  });

  it('content deeper or larger than the limits is 400 naming the field and the limit, and nothing is stored', async () => {
    const { key } = await createKey(['notebooks']);
    const { maxDepth, maxNodes } = notebookContentLimits;
    const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
    const post = (content: string) =>
      call('/v1/notebooks', { method: 'POST', key, body: `{"title":"deep","content":${content}}`, headers: { 'Content-Type': 'application/json' } });
    const count = async () => (await (await call('/v1/notebooks', { key })).json<{ notebooks: unknown[] }>()).notebooks.length;

    expect((await post(nested(maxDepth))).status).toBe(201);
    const stored = await count();
    const cases: [string, string, RegExp][] = [
      ['one level too deep', nested(maxDepth + 1), new RegExp(`deeper than ${maxDepth}`)],
      ['the attack run\'s 100,000-deep array', nested(100_000), new RegExp(`deeper than ${maxDepth}`)],
      ['one value too many', `[${Array.from({ length: maxNodes }, () => '0').join(',')}]`, new RegExp(`more than ${maxNodes} values`)],
      ['too many values spread over objects', `[${Array.from({ length: maxNodes / 2 }, () => '{"a":1}').join(',')}]`, new RegExp(`more than ${maxNodes} values`)],
    ];
    for (const [name, content, message] of cases) {
      const t0 = Date.now();
      const res = await post(content);
      expect(res.status, name).toBe(400);
      const { error } = await res.json<{ error: { code: string; message: string; field: string } }>();
      expect(error.code, name).toBe('invalid_request');
      expect(error.field, name).toBe('content');
      expect(error.message, name).toMatch(message);
      expect(Date.now() - t0, name).toBeLessThan(2000);
    }
    expect(await count()).toBe(stored);

    // a PUT is held to the same limits and leaves the notebook as it was
    const { nb } = await createNotebook(key, 'shallow', { a: 1 });
    const put = await call(`/v1/notebooks/${nb.id}`, { method: 'PUT', key, headers: { 'If-Match': nb.etag, 'Content-Type': 'application/json' }, body: `{"title":"t","content":${nested(maxDepth + 1)}}` });
    expect(put.status).toBe(400);
    expect((await put.json<{ error: { field: string } }>()).error.field).toBe('content');
    expect((await (await call(`/v1/notebooks/${nb.id}`, { key })).json<NotebookBody>()).content).toEqual({ a: 1 });
  });

  it('a notebook stored before the limits, however deep, still reads (200 with its ETag) and can be deleted with that ETag', async () => {
    const { id: owner, key } = await createKey(['notebooks']);
    const content = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const now = new Date().toISOString();
    const id = `nb_${'p'.repeat(20)}`;
    await env.DB.prepare('INSERT INTO notebooks (id, owner_key_id, title, content, version, created_at, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?)')
      .bind(id, owner, 'poisoned', content, now, now)
      .run();
    const res = await call(`/v1/notebooks/${id}`, { key });
    expect(res.status).toBe(200);
    const etag = res.headers.get('ETag') ?? '';
    expect(etag).toBe(`"${id}.v1"`);
    const text = await res.text();
    expect(text.startsWith(`{"id":"${id}","title":"poisoned","version":1,"etag":${JSON.stringify(etag)}`)).toBe(true);
    expect(text.endsWith(`"content":${content}}`)).toBe(true);
    expect((await call(`/v1/notebooks/${id}`, { method: 'DELETE', key, headers: { 'If-Match': etag } })).status).toBe(204);
  });
});
