// Key revocation (issue 15): refused at once by the isolate that revoked it, and within
// 1 s by any other (here: a D1 update behind this isolate's back, whose cache is warm).
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { keyCacheMs } from '../src/auth.ts';
import { call, createKey } from './helpers.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('key revocation', () => {
  it('through POST /v1/keys/:id/revoke: the very next request with the key is 401; revoking again keeps the first time', async () => {
    const admin = await createKey(['admin']);
    const { id, key } = await createKey(['notebooks']);
    expect((await call('/v1/notebooks', { key })).status).toBe(200); // now cached in this isolate
    const res = await call(`/v1/keys/${id}/revoke`, { method: 'POST', key: admin.key });
    expect(res.status).toBe(200);
    const body = await res.json<{ id: string; revokedAt: string }>();
    expect(body.id).toBe(id);
    expect((await call('/v1/notebooks', { key })).status).toBe(401);
    const again = await (await call(`/v1/keys/${id}/revoke`, { method: 'POST', key: admin.key })).json<{ revokedAt: string }>();
    expect(again.revokedAt).toBe(body.revokedAt);
  });

  it('needs the admin scope, a well-formed id, and an existing key', async () => {
    const admin = await createKey(['admin']);
    const plain = await createKey(['generate', 'notebooks']);
    const denied = await call(`/v1/keys/${plain.id}/revoke`, { method: 'POST', key: plain.key });
    expect(denied.status).toBe(403);
    expect((await denied.json<{ error: { allowed: string[] } }>()).error.allowed).toEqual(['admin']);
    expect((await call('/v1/notebooks', { key: plain.key })).status).toBe(200);
    const bad = await call('/v1/keys/NOT-AN-ID/revoke', { method: 'POST', key: admin.key });
    expect(bad.status).toBe(400);
    expect((await bad.json<{ error: { field: string } }>()).error.field).toBe('id');
    expect((await call(`/v1/keys/${'z'.repeat(12)}/revoke`, { method: 'POST', key: admin.key })).status).toBe(404);
  });

  it('revoked elsewhere, it is refused here within 1 s (measured while the key is busy)', async () => {
    const { id, key } = await createKey(['notebooks']);
    expect((await call('/v1/notebooks', { key })).status).toBe(200);
    await env.DB.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ?').bind(new Date().toISOString(), id).run();
    const revokedAt = Date.now();
    let refusedAfter = -1;
    while (Date.now() - revokedAt < 3000) {
      if ((await call('/v1/notebooks', { key })).status === 401) {
        refusedAfter = Date.now() - revokedAt;
        break;
      }
      await sleep(20);
    }
    console.info(`[revocation] refused ${refusedAfter} ms after a revocation made outside this isolate (cache ${keyCacheMs} ms)`);
    expect(refusedAfter).toBeGreaterThanOrEqual(0);
    expect(refusedAfter).toBeLessThanOrEqual(1000);
  });
});
