import { describe, expect, it } from 'vitest';
import { generateApiKey, insertKeySql, keyIdOf, parseScopes, sha256HexOf } from './keys.ts';

describe('API keys', () => {
  it('are ik_<12-char id>_<43-char secret>, hashed with sha256, unique', async () => {
    const a = await generateApiKey();
    const b = await generateApiKey();
    expect(a.key).toMatch(/^ik_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
    expect(keyIdOf(a.key)).toBe(a.id);
    expect(a.hash).toBe(await sha256HexOf(a.key));
    expect(a.key).not.toBe(b.key);
    expect(keyIdOf('ik_short_x')).toBeUndefined();
    // the SHA-256 test vector for "abc"
    expect(await sha256HexOf('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('scopes: known names only, deduplicated; errors name the allowed ones', () => {
    expect(parseScopes('generate, notebooks,generate')).toEqual(['generate', 'notebooks']);
    expect(() => parseScopes('generate,root')).toThrow('unknown scope "root"; allowed: generate, notebooks, admin');
    expect(() => parseScopes(' , ')).toThrow('give one or more of');
  });

  it('the insert statement quotes the name and checks the rate', async () => {
    const k = await generateApiKey();
    const sql = insertKeySql(k, "o'brien", ['generate'], 30, new Date('2030-01-02T03:04:05Z'));
    expect(sql).toBe(`INSERT INTO api_keys (id, name, key_hash, scopes, rate_limit_per_minute, created_at) VALUES ('${k.id}', 'o''brien', '${k.hash}', 'generate', 30, '2030-01-02T03:04:05.000Z');`);
    expect(sql).not.toContain(k.key);
    expect(() => insertKeySql(k, 'x', ['generate'], 0)).toThrow('rate limit');
  });
});
