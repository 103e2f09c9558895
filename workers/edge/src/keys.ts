// API keys: "ik_<id>_<secret>". The id is public (it names the key in logs and
// owns notebooks); only the SHA-256 of the whole key is stored. Web Crypto only,
// so the Node scripts (keys:create, dev-key) and the worker share this module.

export const scopeNames = ['generate', 'notebooks', 'admin'] as const;
export type Scope = (typeof scopeNames)[number];

export const defaultRateLimitPerMinute = 60;

const keyPattern = /^ik_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;
const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';

function randomId(length: number): string {
  const bytes = new Uint8Array(length);
  crypto.getRandomValues(bytes);
  // 256 is not a multiple of 36; the bias (under 1%) is irrelevant for an id that only needs to be unique
  let s = '';
  for (const b of bytes) s += alphabet[b % alphabet.length];
  return s;
}

function base64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export async function sha256HexOf(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  let s = '';
  for (const b of new Uint8Array(digest)) s += b.toString(16).padStart(2, '0');
  return s;
}

export interface NewApiKey {
  id: string;
  /** the whole key, shown once */
  key: string;
  hash: string;
}

export async function generateApiKey(): Promise<NewApiKey> {
  const secret = new Uint8Array(32);
  crypto.getRandomValues(secret);
  const id = randomId(12);
  const key = `ik_${id}_${base64Url(secret)}`;
  return { id, key, hash: await sha256HexOf(key) };
}

/** the public id of a well-formed key, or undefined */
export function keyIdOf(key: string): string | undefined {
  return keyPattern.exec(key)?.[1];
}

export function parseScopes(text: string): Scope[] {
  const scopes = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (scopes.length === 0) throw new Error(`scopes: give one or more of ${scopeNames.join(', ')}`);
  for (const s of scopes) {
    if (!(scopeNames as readonly string[]).includes(s)) throw new Error(`scopes: unknown scope "${s}"; allowed: ${scopeNames.join(', ')}`);
  }
  return [...new Set(scopes)] as Scope[];
}

/** SQL that stores a key; the scripts pass it to `wrangler d1 execute` (values are validated, quotes doubled) */
export function insertKeySql(k: NewApiKey, name: string, scopes: Scope[], ratePerMinute: number, now = new Date()): string {
  if (!Number.isInteger(ratePerMinute) || ratePerMinute < 1 || ratePerMinute > 1_000_000) throw new Error('rate limit: an integer in [1, 1000000] per minute');
  const q = (s: string) => `'${s.replace(/'/g, "''")}'`;
  return (
    'INSERT INTO api_keys (id, name, key_hash, scopes, rate_limit_per_minute, created_at) VALUES (' +
    [q(k.id), q(name), q(k.hash), q(scopes.join(',')), String(ratePerMinute), q(now.toISOString())].join(', ') +
    ');'
  );
}
