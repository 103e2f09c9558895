// Bearer-key authentication, scopes, and the per-key rate limit. Keys are looked
// up by the SHA-256 of the presented key; nothing about an unknown key is written.
import type { Context, MiddlewareHandler } from 'hono';
import type { ApiKeyRecord, AppEnv } from './app-env.ts';
import { errors } from './errors.ts';
import { keyIdOf, scopeNames, sha256HexOf, type Scope } from './keys.ts';

interface KeyRow {
  id: string;
  name: string;
  scopes: string;
  rate_limit_per_minute: number;
  revoked_at: string | null;
}

// A short per-isolate cache saves a D1 read per request while a key is busy. A revocation
// through this isolate (revokeKey) drops its entries at once; one made elsewhere (another
// isolate, a D1 console) takes effect once the entry lapses: within this time.
export const keyCacheMs = 500;
const cache = new Map<string, { key: ApiKeyRecord | null; until: number }>();

async function lookup(db: D1Database, presented: string): Promise<ApiKeyRecord | null> {
  const hash = await sha256HexOf(presented);
  const now = Date.now();
  const hit = cache.get(hash);
  if (hit && hit.until > now) return hit.key;
  const row = await db.prepare('SELECT id, name, scopes, rate_limit_per_minute, revoked_at FROM api_keys WHERE key_hash = ?').bind(hash).first<KeyRow>();
  const key: ApiKeyRecord | null =
    row && row.revoked_at === null
      ? {
          id: row.id,
          name: row.name,
          scopes: row.scopes.split(',').filter((s): s is Scope => (scopeNames as readonly string[]).includes(s)),
          ratePerMinute: row.rate_limit_per_minute,
        }
      : null;
  if (cache.size > 1000) cache.clear();
  // Only known keys are cached, so a flood of random keys cannot evict them.
  if (key) cache.set(hash, { key, until: now + keyCacheMs });
  return key;
}

export function bearerKey(c: Context): string {
  const header = c.req.header('Authorization');
  if (header === undefined) throw errors.unauthorized('missing Authorization header; send "Authorization: Bearer <API key>"');
  const m = /^Bearer ([^\s]+)$/.exec(header.trim());
  if (!m?.[1]) throw errors.unauthorized('Authorization must be "Bearer <API key>"');
  if (keyIdOf(m[1]) === undefined) throw errors.unauthorized('malformed API key');
  return m[1];
}

/** authenticates, then takes one token from the key's bucket (429 with Retry-After when empty) */
export const authenticate: MiddlewareHandler<AppEnv> = async (c, next) => {
  const key = await lookup(c.env.DB, bearerKey(c));
  if (!key) throw errors.unauthorized('unknown or revoked API key');
  const limiter = c.env.RATE_LIMITER.get(c.env.RATE_LIMITER.idFromName(key.id));
  const taken = await limiter.take(key.ratePerMinute);
  c.header('RateLimit-Limit', String(key.ratePerMinute));
  c.header('RateLimit-Remaining', String(taken.remaining));
  if (!taken.ok) throw errors.rateLimited(taken.retryAfterSeconds);
  c.set('apiKey', key);
  await next();
};

export function requireScope(scope: Scope): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const key = c.get('apiKey');
    if (!key.scopes.includes(scope) && !key.scopes.includes('admin')) throw errors.forbidden(scope);
    await next();
  };
}

/**
 * Revokes a key (by its public id): stored at once, and forgotten by this isolate's
 * cache so its next request here is refused. The revocation time it answers is the
 * first one: revoking twice changes nothing. undefined when no key has this id.
 */
export async function revokeKey(db: D1Database, id: string): Promise<string | undefined> {
  const row = await db
    .prepare('UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? RETURNING revoked_at')
    .bind(new Date().toISOString(), id)
    .first<{ revoked_at: string }>();
  for (const [hash, entry] of cache) if (entry.key?.id === id) cache.delete(hash);
  return row?.revoked_at;
}

/** for tests: forget cached keys */
export function clearKeyCache(): void {
  cache.clear();
}
