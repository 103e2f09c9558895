// Notebooks in D1, one owner key each. Writes are conditional on the ETag
// (If-Match): a stale write gets 412 and changes nothing, so no edit is lost
// silently. Another key's notebook answers 404, like a missing one.
import type { OpenAPIHono } from '@hono/zod-openapi';
import { createNotebook, deleteNotebook, getNotebook, listNotebooks, putNotebook } from '../api/routes.ts';
import type { Notebook } from '@imagen-ts/protocol';
import type { AppEnv } from '../app-env.ts';
import { errors } from '../errors.ts';

interface NotebookRow {
  id: string;
  title: string;
  content: string;
  version: number;
  created_at: string;
  updated_at: string;
}

const etagOf = (row: { id: string; version: number }) => `"${row.id}.v${row.version}"`;

function toNotebook(row: NotebookRow): Notebook {
  return {
    id: row.id,
    title: row.title,
    version: row.version,
    etag: etagOf(row),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    content: JSON.parse(row.content) as Notebook['content'],
  };
}

/**
 * A stored notebook as the response body, its content spliced in as the text it was
 * stored as: a read neither parses nor re-serializes it, so no stored value (say, one
 * nested too deep, saved before content had limits) can make a GET fail.
 */
function notebookJson(row: NotebookRow): string {
  const head: Omit<Notebook, 'content'> = { id: row.id, title: row.title, version: row.version, etag: etagOf(row), createdAt: row.created_at, updatedAt: row.updated_at };
  return `${JSON.stringify(head).slice(0, -1)},"content":${row.content}}`;
}

function newNotebookId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(20));
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let s = 'nb_';
  for (const b of bytes) s += alphabet[b % alphabet.length];
  return s;
}

/** the version an If-Match names, '*' for any, or a 428/412 */
function expectedVersion(ifMatch: string | undefined, row: NotebookRow): number {
  if (ifMatch === undefined) throw errors.preconditionRequired('If-Match: send the notebook\'s ETag (from GET) so a stale copy cannot overwrite a newer one');
  const current = etagOf(row);
  const tags = ifMatch.split(',').map((t) => t.trim());
  if (tags.includes('*') || tags.includes(current)) return row.version;
  throw errors.preconditionFailed(`If-Match ${ifMatch} is stale: the notebook is at ${current}; reload it and apply your change again`, current);
}

async function rowOf(db: D1Database, id: string, owner: string): Promise<NotebookRow> {
  const row = await db.prepare('SELECT id, title, content, version, created_at, updated_at FROM notebooks WHERE id = ? AND owner_key_id = ?').bind(id, owner).first<NotebookRow>();
  if (!row) throw errors.notFound('notebook');
  return row;
}

export function registerNotebookRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(listNotebooks, async (c) => {
    const rows = await c.env.DB.prepare('SELECT id, title, version, created_at, updated_at FROM notebooks WHERE owner_key_id = ? ORDER BY updated_at DESC LIMIT 500')
      .bind(c.get('apiKey').id)
      .all<Omit<NotebookRow, 'content'>>();
    return c.json(
      { notebooks: rows.results.map((r) => ({ id: r.id, title: r.title, version: r.version, etag: etagOf(r), createdAt: r.created_at, updatedAt: r.updated_at })) },
      200,
      { 'Cache-Control': 'no-store' },
    );
  });

  app.openapi(createNotebook, async (c) => {
    const body = c.req.valid('json');
    const now = new Date().toISOString();
    const row: NotebookRow = { id: newNotebookId(), title: body.title, content: JSON.stringify(body.content), version: 1, created_at: now, updated_at: now };
    await c.env.DB.prepare('INSERT INTO notebooks (id, owner_key_id, title, content, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .bind(row.id, c.get('apiKey').id, row.title, row.content, row.version, row.created_at, row.updated_at)
      .run();
    return c.json(toNotebook(row), 201, { ETag: etagOf(row), Location: `/v1/notebooks/${row.id}` });
  });

  app.openapi(getNotebook, async (c) => {
    const row = await rowOf(c.env.DB, c.req.valid('param').id, c.get('apiKey').id);
    const etag = etagOf(row);
    const inm = c.req.header('if-none-match');
    if (inm !== undefined && inm.split(',').some((t) => t.trim() === etag || t.trim() === '*')) return c.body(null, 304, { ETag: etag });
    return c.body(notebookJson(row), 200, { ETag: etag, 'Cache-Control': 'no-cache', 'Content-Type': 'application/json' });
  });

  app.openapi(putNotebook, async (c) => {
    const { id } = c.req.valid('param');
    const owner = c.get('apiKey').id;
    const body = c.req.valid('json');
    const row = await rowOf(c.env.DB, id, owner);
    const version = expectedVersion(c.req.valid('header')['if-match'], row);
    const now = new Date().toISOString();
    // Conditional on the version read: a write that raced in between makes this match nothing.
    const result = await c.env.DB.prepare('UPDATE notebooks SET title = ?, content = ?, version = version + 1, updated_at = ? WHERE id = ? AND owner_key_id = ? AND version = ?')
      .bind(body.title, JSON.stringify(body.content), now, id, owner, version)
      .run();
    if (result.meta.changes !== 1) {
      const current = await rowOf(c.env.DB, id, owner);
      throw errors.preconditionFailed(`the notebook changed while saving (now ${etagOf(current)}); reload it and apply your change again`, etagOf(current));
    }
    const saved: NotebookRow = { ...row, title: body.title, content: JSON.stringify(body.content), version: version + 1, updated_at: now };
    return c.json(toNotebook(saved), 200, { ETag: etagOf(saved) });
  });

  app.openapi(deleteNotebook, async (c) => {
    const { id } = c.req.valid('param');
    const owner = c.get('apiKey').id;
    const row = await rowOf(c.env.DB, id, owner);
    const version = expectedVersion(c.req.valid('header')['if-match'], row);
    const result = await c.env.DB.prepare('DELETE FROM notebooks WHERE id = ? AND owner_key_id = ? AND version = ?').bind(id, owner, version).run();
    if (result.meta.changes !== 1) {
      const current = await rowOf(c.env.DB, id, owner);
      throw errors.preconditionFailed(`the notebook changed (now ${etagOf(current)}); reload it first`, etagOf(current));
    }
    return c.body(null, 204);
  });
}
