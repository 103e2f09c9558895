import { createHmac, createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalString, createVerifier, sha256Hex, signRequest, signingHeaders } from './signing.ts';

const key = { keyId: 'k1', secret: 'secret-one' };
const H = '127.0.0.1:8790';
const enc = new TextEncoder();

function headersOf(h: Record<string, string>): Headers {
  return new Headers(h);
}

describe('signRequest', () => {
  it('signs the documented canonical string with HMAC-SHA256 (checked against node:crypto)', async () => {
    const body = '{"prompts":["a"]}';
    const h = await signRequest(key, { method: 'post', path: '/v1/embed?x=1', host: 'r1.example:8790', target: 'gpu-1', body, timestamp: 1_700_000_000 });
    const nonce = h[signingHeaders.nonce];
    expect(nonce).toMatch(/^[0-9a-f]{32}$/);
    const bodyHash = createHash('sha256').update(body).digest('hex');
    const message = `POST\n/v1/embed?x=1\n1700000000\n${bodyHash}\n${nonce}\ngpu-1\nr1.example:8790`;
    expect(canonicalString({ method: 'post', path: '/v1/embed?x=1', timestamp: 1_700_000_000, bodySha256: bodyHash, nonce: nonce ?? '', target: 'gpu-1', host: 'r1.example:8790' })).toBe(message);
    expect(h[signingHeaders.target]).toBe('gpu-1');
    expect(h[signingHeaders.signature]).toBe(createHmac('sha256', key.secret).update(message).digest('hex'));
    expect(h[signingHeaders.keyId]).toBe('k1');
    expect(h[signingHeaders.timestamp]).toBe('1700000000');
  });

  it('two signatures of the same request differ (random nonce)', async () => {
    const a = await signRequest(key, { method: 'GET', path: '/v1/jobs/x', host: H, timestamp: 5 });
    const b = await signRequest(key, { method: 'GET', path: '/v1/jobs/x', host: H, timestamp: 5 });
    expect(a[signingHeaders.signature]).not.toBe(b[signingHeaders.signature]);
  });
});

describe('createVerifier', () => {
  const t0 = 1_700_000_000;
  const make = (keys: Record<string, string> = { k1: 'secret-one' }, now = t0) => createVerifier({ keys, windowSeconds: 60, now: () => now });

  it('accepts a valid signature, with a string or byte body', async () => {
    const verify = make();
    const body = enc.encode('{"a":1}');
    const h = await signRequest(key, { method: 'POST', path: '/v1/jobs', host: H, body, timestamp: t0 });
    expect(await verify({ method: 'POST', path: '/v1/jobs', host: H, headers: headersOf(h), body })).toEqual({ ok: true, keyId: 'k1' });
    const h2 = await signRequest(key, { method: 'POST', path: '/v1/jobs', host: H, body: '{"a":1}', timestamp: t0 });
    expect((await verify({ method: 'POST', path: '/v1/jobs', host: H, headers: headersOf(h2), body })).ok).toBe(true);
  });

  it('accepts a request signed by hand with node:crypto per the documented string; refuses one without a nonce', async () => {
    const verify = make();
    const nonce = 'n'.repeat(24);
    const msg = `GET\n/v1/jobs/a\n${t0}\n${createHash('sha256').update('').digest('hex')}\n${nonce}\n${H}\n${H}`;
    const sig = createHmac('sha256', key.secret).update(msg).digest('hex');
    const base = { [signingHeaders.keyId]: 'k1', [signingHeaders.timestamp]: String(t0), [signingHeaders.signature]: sig };
    const req = (h: Record<string, string>) => ({ method: 'GET', path: '/v1/jobs/a', host: H, headers: headersOf(h), body: new Uint8Array() });
    expect(await verify(req(base))).toEqual({ ok: false, reason: 'missing signature headers' });
    expect(await verify(req({ ...base, [signingHeaders.nonce]: nonce }))).toEqual({ ok: true, keyId: 'k1' });
    // ...and an exact replay of it is refused
    expect(await verify(req({ ...base, [signingHeaders.nonce]: nonce }))).toEqual({ ok: false, reason: 'replayed request' });
  });

  it('binds the target: a request for runner A is refused by runner B sharing the key, and on another host', async () => {
    const runnerA = createVerifier({ keys: { k1: 'secret-one' }, target: 'gpu-a', now: () => t0 });
    const runnerB = createVerifier({ keys: { k1: 'secret-one' }, target: 'gpu-b', now: () => t0 });
    const body = enc.encode('{"id":"j1"}');
    const h = await signRequest(key, { method: 'POST', path: '/v1/jobs', host: 'a.internal:8790', target: 'gpu-a', body, timestamp: t0 });
    const at = (host: string, headers: Record<string, string>) => ({ method: 'POST', path: '/v1/jobs', host, headers: headersOf(headers), body });
    // B first, so a refusal by B cannot be explained by A having consumed the nonce
    expect(await runnerB(at('a.internal:8790', h))).toEqual({ ok: false, reason: 'signed for target "gpu-a", this is "gpu-b"' });
    expect(await runnerB(at('b.internal:8790', h))).toEqual({ ok: false, reason: 'signed for target "gpu-a", this is "gpu-b"' });
    // the target header rewritten to B's id no longer matches the MAC
    expect(await runnerB(at('b.internal:8790', { ...h, [signingHeaders.target]: 'gpu-b' }))).toEqual({ ok: false, reason: 'bad signature' });
    // A on a host other than the signed one
    expect(await runnerA(at('b.internal:8790', h))).toEqual({ ok: false, reason: 'bad signature' });
    expect(await runnerA(at('a.internal:8790', h))).toEqual({ ok: true, keyId: 'k1' });
  });

  it('checks the headers before the body: a replay or a bad key is refused without a body digest', async () => {
    const verify = make();
    const h = await signRequest(key, { method: 'POST', path: '/p', host: H, body: 'x', timestamp: t0 });
    const head = { method: 'POST', path: '/p', host: H, headers: headersOf(h) };
    const first = verify.checkHeaders(head);
    if (!first.ok) throw new Error(first.reason);
    expect(await first.finish(await sha256Hex('not x'))).toEqual({ ok: false, reason: 'bad signature' });
    // a failed MAC does not burn the nonce; the real body then verifies once
    const second = verify.checkHeaders(head);
    if (!second.ok) throw new Error(second.reason);
    expect(await second.finish(await sha256Hex('x'))).toEqual({ ok: true, keyId: 'k1' });
    expect(verify.checkHeaders(head)).toEqual({ ok: false, reason: 'replayed request' });
    expect(verify.checkHeaders({ ...head, headers: headersOf({ ...h, [signingHeaders.keyId]: 'nobody' }) })).toEqual({ ok: false, reason: 'unknown key id' });
  });

  it('two phases racing on one nonce: only the first finish wins', async () => {
    const verify = make();
    const h = await signRequest(key, { method: 'GET', path: '/x', host: H, timestamp: t0 });
    const head = { method: 'GET', path: '/x', host: H, headers: headersOf(h) };
    const a = verify.checkHeaders(head);
    const b = verify.checkHeaders(head);
    if (!a.ok || !b.ok) throw new Error('both should pass the header phase');
    const digest = await sha256Hex('');
    expect(await a.finish(digest)).toEqual({ ok: true, keyId: 'k1' });
    expect(await b.finish(digest)).toEqual({ ok: false, reason: 'replayed request' });
  });

  it('rejects missing headers', async () => {
    const verify = make();
    const h = await signRequest(key, { method: 'GET', path: '/x', host: H, timestamp: t0 });
    for (const drop of [signingHeaders.keyId, signingHeaders.timestamp, signingHeaders.signature]) {
      const partial = { ...h };
      delete partial[drop];
      expect(await verify({ method: 'GET', path: '/x', host: H, headers: headersOf(partial), body: new Uint8Array() })).toEqual({ ok: false, reason: 'missing signature headers' });
    }
  });

  it('rejects a wrong secret, an unknown key id, and any tampering', async () => {
    const verify = make();
    const body = enc.encode('payload');
    const wrong = await signRequest({ keyId: 'k1', secret: 'not-it' }, { method: 'POST', path: '/p', host: H, body, timestamp: t0 });
    expect(await verify({ method: 'POST', path: '/p', host: H, headers: headersOf(wrong), body })).toEqual({ ok: false, reason: 'bad signature' });
    const unknown = await signRequest({ keyId: 'k9', secret: 'secret-one' }, { method: 'POST', path: '/p', host: H, body, timestamp: t0 });
    expect(await verify({ method: 'POST', path: '/p', host: H, headers: headersOf(unknown), body })).toEqual({ ok: false, reason: 'unknown key id' });
    const good = await signRequest(key, { method: 'POST', path: '/p', host: H, body, timestamp: t0 });
    expect((await verify({ method: 'POST', path: '/q', host: H, headers: headersOf(good), body })).ok).toBe(false);
    expect((await verify({ method: 'PUT', path: '/p', host: H, headers: headersOf(good), body })).ok).toBe(false);
    expect((await verify({ method: 'POST', path: '/p', host: H, headers: headersOf(good), body: enc.encode('payloaD') })).ok).toBe(false);
    expect((await verify({ method: 'POST', path: '/p', host: H, headers: headersOf({ ...good, [signingHeaders.nonce]: 'ffffffffffffffffffff' }), body })).ok).toBe(false);
    expect(await verify({ method: 'POST', path: '/p', host: H, headers: headersOf({ ...good, [signingHeaders.signature]: 'zz' }), body })).toEqual({ ok: false, reason: 'malformed signature' });
    expect(await verify({ method: 'POST', path: '/p', host: H, headers: headersOf({ ...good, [signingHeaders.timestamp]: '1e9' }), body })).toEqual({ ok: false, reason: 'malformed timestamp' });
    // the untampered one still verifies (none of the failures above consumed it)
    expect((await verify({ method: 'POST', path: '/p', host: H, headers: headersOf(good), body })).ok).toBe(true);
  });

  it('rejects stale and far-future timestamps, accepts the window edge', async () => {
    const verify = make();
    for (const [ts, ok] of [[t0 - 61, false], [t0 + 61, false], [t0 - 60, true], [t0 + 60, true]] as const) {
      const h = await signRequest(key, { method: 'GET', path: '/x', host: H, timestamp: ts });
      const r = await verify({ method: 'GET', path: '/x', host: H, headers: headersOf(h), body: new Uint8Array() });
      expect(r.ok).toBe(ok);
      if (!r.ok) expect(r.reason).toBe('stale timestamp');
    }
  });

  it('rejects an exact replay within the window', async () => {
    const verify = make();
    const h = await signRequest(key, { method: 'GET', path: '/x', host: H, timestamp: t0 });
    const req = { method: 'GET', path: '/x', host: H, headers: headersOf(h), body: new Uint8Array() };
    expect((await verify(req)).ok).toBe(true);
    expect(await verify(req)).toEqual({ ok: false, reason: 'replayed request' });
  });

  it('rotates: old and new keys both verify while both are configured; a removed key fails', async () => {
    const both = make({ old: 'secret-old', new: 'secret-new' });
    const oldH = await signRequest({ keyId: 'old', secret: 'secret-old' }, { method: 'GET', path: '/x', host: H, timestamp: t0 });
    const newH = await signRequest({ keyId: 'new', secret: 'secret-new' }, { method: 'GET', path: '/x', host: H, timestamp: t0 });
    expect(await both({ method: 'GET', path: '/x', host: H, headers: headersOf(oldH), body: new Uint8Array() })).toEqual({ ok: true, keyId: 'old' });
    expect(await both({ method: 'GET', path: '/x', host: H, headers: headersOf(newH), body: new Uint8Array() })).toEqual({ ok: true, keyId: 'new' });
    const rotated = make({ new: 'secret-new' });
    const oldAgain = await signRequest({ keyId: 'old', secret: 'secret-old' }, { method: 'GET', path: '/x', host: H, timestamp: t0 });
    expect(await rotated({ method: 'GET', path: '/x', host: H, headers: headersOf(oldAgain), body: new Uint8Array() })).toEqual({ ok: false, reason: 'unknown key id' });
  });

  it('keeps the seen-set bounded: expired entries are swept, live ones fail closed', async () => {
    let now = t0;
    const verify = createVerifier({ keys: { k1: 'secret-one' }, windowSeconds: 10, now: () => now, maxSeen: 2 });
    const sign = async (ts: number) => headersOf(await signRequest(key, { method: 'GET', path: '/x', host: H, timestamp: ts }));
    const req = (headers: Headers) => ({ method: 'GET', path: '/x', host: H, headers, body: new Uint8Array() });
    expect((await verify(req(await sign(now)))).ok).toBe(true);
    expect((await verify(req(await sign(now)))).ok).toBe(true);
    expect(await verify(req(await sign(now)))).toEqual({ ok: false, reason: 'replay cache full, retry later' });
    now += 11;
    expect((await verify(req(await sign(now)))).ok).toBe(true);
  });
});
