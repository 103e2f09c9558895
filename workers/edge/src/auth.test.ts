import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { call, createKey } from '../test/helpers.ts';
import { clearKeyCache } from './auth.ts';

interface ErrorBody {
  error: { code: string; message: string; field?: string; allowed?: unknown[] };
}

describe('authentication', () => {
  it('rejects a missing, malformed or unknown key with 401 and the error shape', async () => {
    const cases: [string, Record<string, string>][] = [
      ['missing', {}],
      ['not bearer', { Authorization: 'Basic abc' }],
      ['malformed key', { Authorization: 'Bearer not-a-key' }],
      ['unknown key', { Authorization: `Bearer ik_${'a'.repeat(12)}_${'b'.repeat(43)}` }],
    ];
    for (const [name, headers] of cases) {
      const res = await call('/v1/notebooks', { headers });
      expect(res.status, name).toBe(401);
      expect(res.headers.get('WWW-Authenticate'), name).toContain('Bearer');
      const body = await res.json<ErrorBody>();
      expect(body.error.code, name).toBe('unauthorized');
      expect(body.error.message.length, name).toBeGreaterThan(0);
    }
  });

  it('stores only the sha256 of a key, and accepts the key itself', async () => {
    const { id, key } = await createKey(['notebooks']);
    const row = await env.DB.prepare('SELECT key_hash FROM api_keys WHERE id = ?').bind(id).first<{ key_hash: string }>();
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(key)));
    expect(row?.key_hash).toBe([...digest].map((b) => b.toString(16).padStart(2, '0')).join(''));
    const all = await env.DB.prepare('SELECT * FROM api_keys WHERE id = ?').bind(id).first<Record<string, unknown>>();
    expect(Object.values(all ?? {})).not.toContain(key);
    expect((await call('/v1/notebooks', { key })).status).toBe(200);
  });

  it('a revoked key is refused once the cache lapses', async () => {
    const { id, key } = await createKey(['notebooks']);
    expect((await call('/v1/notebooks', { key })).status).toBe(200);
    await env.DB.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ?').bind(new Date().toISOString(), id).run();
    clearKeyCache();
    expect((await call('/v1/notebooks', { key })).status).toBe(401);
  });

  it('enforces scopes: 403 names the missing scope; admin may do everything', async () => {
    const notebooksOnly = await createKey(['notebooks']);
    const res = await call('/v1/generations', { method: 'POST', key: notebooksOnly.key, json: { prompt: 'x' } });
    expect(res.status).toBe(403);
    expect((await res.json<ErrorBody>()).error).toMatchObject({ code: 'forbidden', allowed: ['generate'] });

    const generateOnly = await createKey(['generate']);
    expect((await call('/v1/notebooks', { key: generateOnly.key })).status).toBe(403);

    const admin = await createKey(['admin']);
    expect((await call('/v1/notebooks', { key: admin.key })).status).toBe(200);
  });
});

describe('rate limit', () => {
  it('answers 429 with Retry-After once a key spends its per-minute budget, per key', async () => {
    const limited = await createKey(['notebooks'], 3);
    const other = await createKey(['notebooks'], 3);
    for (let i = 0; i < 3; i++) expect((await call('/v1/notebooks', { key: limited.key })).status).toBe(200);
    const res = await call('/v1/notebooks', { key: limited.key });
    expect(res.status).toBe(429);
    const retryAfter = Number(res.headers.get('Retry-After'));
    // one token back at 3 per minute takes 20 s
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(20);
    expect((await res.json<ErrorBody>()).error.code).toBe('rate_limited');
    expect((await call('/v1/notebooks', { key: other.key })).status).toBe(200);
  });
});

describe('CORS', () => {
  it('allows the notebook origins, not others', async () => {
    for (const origin of ['http://127.0.0.1:3000', 'http://localhost:3000']) {
      const res = await call('/v1/generations', { method: 'OPTIONS', headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type' } });
      expect(res.status).toBeLessThan(300);
      expect(res.headers.get('Access-Control-Allow-Origin')).toBe(origin);
      expect(res.headers.get('Access-Control-Allow-Headers')?.toLowerCase()).toContain('authorization');
    }
    const evil = await call('/v1/generations', { method: 'OPTIONS', headers: { Origin: 'http://evil.example', 'Access-Control-Request-Method': 'POST' } });
    expect(evil.headers.get('Access-Control-Allow-Origin')).toBeNull();
    // errors carry CORS headers too, so the notebook can read them
    const denied = await call('/v1/notebooks', { headers: { Origin: 'http://localhost:3000' } });
    expect(denied.status).toBe(401);
    expect(denied.headers.get('Access-Control-Allow-Origin')).toBe('http://localhost:3000');
    expect(denied.headers.get('Access-Control-Expose-Headers')).toContain('Retry-After');
  });
});
