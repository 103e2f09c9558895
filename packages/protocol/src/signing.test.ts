import { createHmac, createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalString, createVerifier, signRequest, signingHeaders } from './signing.ts';

const key = { keyId: 'k1', secret: 'secret-one' };
const enc = new TextEncoder();

function headersOf(h: Record<string, string>): Headers {
  return new Headers(h);
}

describe('signRequest', () => {
  it('signs the documented canonical string with HMAC-SHA256 (checked against node:crypto)', async () => {
    const body = '{"prompts":["a"]}';
    const h = await signRequest(key, { method: 'post', path: '/v1/embed?x=1', body, timestamp: 1_700_000_000 });
    const nonce = h[signingHeaders.nonce];
    expect(nonce).toMatch(/^[0-9a-f]{32}$/);
    const bodyHash = createHash('sha256').update(body).digest('hex');
    const message = `POST\n/v1/embed?x=1\n1700000000\n${bodyHash}\n${nonce}`;
    expect(await canonicalString('post', '/v1/embed?x=1', 1_700_000_000, body, nonce)).toBe(message);
    expect(h[signingHeaders.signature]).toBe(createHmac('sha256', key.secret).update(message).digest('hex'));
    expect(h[signingHeaders.keyId]).toBe('k1');
    expect(h[signingHeaders.timestamp]).toBe('1700000000');
  });

  it('two signatures of the same request differ (random nonce)', async () => {
    const a = await signRequest(key, { method: 'GET', path: '/v1/jobs/x', timestamp: 5 });
    const b = await signRequest(key, { method: 'GET', path: '/v1/jobs/x', timestamp: 5 });
    expect(a[signingHeaders.signature]).not.toBe(b[signingHeaders.signature]);
  });
});

describe('createVerifier', () => {
  const t0 = 1_700_000_000;
  const make = (keys: Record<string, string> = { k1: 'secret-one' }, now = t0) => createVerifier({ keys, windowSeconds: 60, now: () => now });

  it('accepts a valid signature, with a string or byte body', async () => {
    const verify = make();
    const body = enc.encode('{"a":1}');
    const h = await signRequest(key, { method: 'POST', path: '/v1/jobs', body, timestamp: t0 });
    expect(await verify({ method: 'POST', path: '/v1/jobs', headers: headersOf(h), body })).toEqual({ ok: true, keyId: 'k1' });
    const h2 = await signRequest(key, { method: 'POST', path: '/v1/jobs', body: '{"a":1}', timestamp: t0 });
    expect((await verify({ method: 'POST', path: '/v1/jobs', headers: headersOf(h2), body })).ok).toBe(true);
  });

  it('accepts the nonce-less 4-line form too (clients that follow the plain spec)', async () => {
    const verify = make();
    const msg = await canonicalString('GET', '/v1/jobs/a', t0, undefined);
    const sig = createHmac('sha256', key.secret).update(msg).digest('hex');
    const headers = headersOf({ [signingHeaders.keyId]: 'k1', [signingHeaders.timestamp]: String(t0), [signingHeaders.signature]: sig });
    expect(await verify({ method: 'GET', path: '/v1/jobs/a', headers, body: new Uint8Array() })).toEqual({ ok: true, keyId: 'k1' });
    // ...but an exact replay of it is refused
    expect(await verify({ method: 'GET', path: '/v1/jobs/a', headers, body: new Uint8Array() })).toEqual({ ok: false, reason: 'replayed request' });
  });

  it('rejects missing headers', async () => {
    const verify = make();
    const h = await signRequest(key, { method: 'GET', path: '/x', timestamp: t0 });
    for (const drop of [signingHeaders.keyId, signingHeaders.timestamp, signingHeaders.signature]) {
      const partial = { ...h };
      delete partial[drop];
      expect(await verify({ method: 'GET', path: '/x', headers: headersOf(partial), body: new Uint8Array() })).toEqual({ ok: false, reason: 'missing signature headers' });
    }
  });

  it('rejects a wrong secret, an unknown key id, and any tampering', async () => {
    const verify = make();
    const body = enc.encode('payload');
    const wrong = await signRequest({ keyId: 'k1', secret: 'not-it' }, { method: 'POST', path: '/p', body, timestamp: t0 });
    expect(await verify({ method: 'POST', path: '/p', headers: headersOf(wrong), body })).toEqual({ ok: false, reason: 'bad signature' });
    const unknown = await signRequest({ keyId: 'k9', secret: 'secret-one' }, { method: 'POST', path: '/p', body, timestamp: t0 });
    expect(await verify({ method: 'POST', path: '/p', headers: headersOf(unknown), body })).toEqual({ ok: false, reason: 'unknown key id' });
    const good = await signRequest(key, { method: 'POST', path: '/p', body, timestamp: t0 });
    expect((await verify({ method: 'POST', path: '/q', headers: headersOf(good), body })).ok).toBe(false);
    expect((await verify({ method: 'PUT', path: '/p', headers: headersOf(good), body })).ok).toBe(false);
    expect((await verify({ method: 'POST', path: '/p', headers: headersOf(good), body: enc.encode('payloaD') })).ok).toBe(false);
    expect((await verify({ method: 'POST', path: '/p', headers: headersOf({ ...good, [signingHeaders.nonce]: 'ffffffffffffffff' }), body })).ok).toBe(false);
    expect(await verify({ method: 'POST', path: '/p', headers: headersOf({ ...good, [signingHeaders.signature]: 'zz' }), body })).toEqual({ ok: false, reason: 'malformed signature' });
    expect(await verify({ method: 'POST', path: '/p', headers: headersOf({ ...good, [signingHeaders.timestamp]: '1e9' }), body })).toEqual({ ok: false, reason: 'malformed timestamp' });
    // the untampered one still verifies (none of the failures above consumed it)
    expect((await verify({ method: 'POST', path: '/p', headers: headersOf(good), body })).ok).toBe(true);
  });

  it('rejects stale and far-future timestamps, accepts the window edge', async () => {
    const verify = make();
    for (const [ts, ok] of [[t0 - 61, false], [t0 + 61, false], [t0 - 60, true], [t0 + 60, true]] as const) {
      const h = await signRequest(key, { method: 'GET', path: '/x', timestamp: ts });
      const r = await verify({ method: 'GET', path: '/x', headers: headersOf(h), body: new Uint8Array() });
      expect(r.ok).toBe(ok);
      if (!r.ok) expect(r.reason).toBe('stale timestamp');
    }
  });

  it('rejects an exact replay within the window', async () => {
    const verify = make();
    const h = await signRequest(key, { method: 'GET', path: '/x', timestamp: t0 });
    const req = { method: 'GET', path: '/x', headers: headersOf(h), body: new Uint8Array() };
    expect((await verify(req)).ok).toBe(true);
    expect(await verify(req)).toEqual({ ok: false, reason: 'replayed request' });
  });

  it('rotates: old and new keys both verify while both are configured; a removed key fails', async () => {
    const both = make({ old: 'secret-old', new: 'secret-new' });
    const oldH = await signRequest({ keyId: 'old', secret: 'secret-old' }, { method: 'GET', path: '/x', timestamp: t0 });
    const newH = await signRequest({ keyId: 'new', secret: 'secret-new' }, { method: 'GET', path: '/x', timestamp: t0 });
    expect(await both({ method: 'GET', path: '/x', headers: headersOf(oldH), body: new Uint8Array() })).toEqual({ ok: true, keyId: 'old' });
    expect(await both({ method: 'GET', path: '/x', headers: headersOf(newH), body: new Uint8Array() })).toEqual({ ok: true, keyId: 'new' });
    const rotated = make({ new: 'secret-new' });
    const oldAgain = await signRequest({ keyId: 'old', secret: 'secret-old' }, { method: 'GET', path: '/x', timestamp: t0 });
    expect(await rotated({ method: 'GET', path: '/x', headers: headersOf(oldAgain), body: new Uint8Array() })).toEqual({ ok: false, reason: 'unknown key id' });
  });

  it('keeps the seen-set bounded: expired entries are swept, live ones fail closed', async () => {
    let now = t0;
    const verify = createVerifier({ keys: { k1: 'secret-one' }, windowSeconds: 10, now: () => now, maxSeen: 2 });
    const sign = async (ts: number) => headersOf(await signRequest(key, { method: 'GET', path: '/x', timestamp: ts }));
    const req = (headers: Headers) => ({ method: 'GET', path: '/x', headers, body: new Uint8Array() });
    expect((await verify(req(await sign(now)))).ok).toBe(true);
    expect((await verify(req(await sign(now)))).ok).toBe(true);
    expect(await verify(req(await sign(now)))).toEqual({ ok: false, reason: 'replay cache full, retry later' });
    now += 11;
    expect((await verify(req(await sign(now)))).ok).toBe(true);
  });
});
