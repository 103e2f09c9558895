import { describe, expect, it } from 'vitest';
import { GenerationRequest } from './edge-api.ts';
import { generateWebhookSecret, signWebhook, verifyWebhook, webhookRequestHeaders, WebhookVerificationError } from './webhooks.ts';

const now = 1_765_000_000;
const at = () => now;
const body = JSON.stringify({ type: 'job.completed', timestamp: '2026-12-07T17:00:00.000Z', data: { id: 'job_x', status: 'succeeded' } });

describe('webhook signing (Standard Webhooks)', () => {
  it('matches the signature the Standard Webhooks reference library computes', async () => {
    // the vector of the spec repository's JavaScript tests ("sign function works")
    const sig = await signWebhook('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}');
    expect(sig).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('makes whsec_ secrets of 32 random bytes, different each time', () => {
    const a = generateWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(atob(a.slice(6))).toHaveLength(32);
    expect(generateWebhookSecret()).not.toBe(a);
  });

  it('verifies what it signed and returns the payload; the raw bytes verify the same', async () => {
    const secret = generateWebhookSecret();
    const headers = await webhookRequestHeaders(secret, 'msg_job_x_completed', body, now);
    expect(Object.keys(headers).sort()).toEqual(['webhook-id', 'webhook-signature', 'webhook-timestamp']);
    const payload = await verifyWebhook(secret, body, headers, { now: at });
    expect(payload.type).toBe('job.completed');
    expect(payload.data.id).toBe('job_x');
    await expect(verifyWebhook(secret, new TextEncoder().encode(body), new Headers(headers), { now: at })).resolves.toEqual(payload);
  });

  it('rejects a forged signature, another secret, a changed body, id or timestamp', async () => {
    const secret = generateWebhookSecret();
    const headers = await webhookRequestHeaders(secret, 'msg_1', body, now);
    const sig = headers['webhook-signature'] ?? '';
    const bytes = Uint8Array.from(atob(sig.slice(3)), (c) => c.charCodeAt(0));
    bytes[0] = (bytes[0] ?? 0) ^ 1;
    const forged = `v1,${btoa(String.fromCharCode(...bytes))}`;
    // thunks, not promises: a promise made before its turn in the loop could reject with no handler attached yet
    const cases: [string, () => Promise<unknown>][] = [
      ['forged', () => verifyWebhook(secret, body, { ...headers, 'webhook-signature': forged }, { now: at })],
      ['other secret', () => verifyWebhook(generateWebhookSecret(), body, headers, { now: at })],
      ['body', () => verifyWebhook(secret, body.replace('succeeded', 'failed'), headers, { now: at })],
      ['id', () => verifyWebhook(secret, body, { ...headers, 'webhook-id': 'msg_2' }, { now: at })],
      ['timestamp', () => verifyWebhook(secret, body, { ...headers, 'webhook-timestamp': String(now - 1) }, { now: at })],
      ['truncated', () => verifyWebhook(secret, body, { ...headers, 'webhook-signature': sig.slice(0, 8) }, { now: at })],
      ['empty', () => verifyWebhook(secret, body, { ...headers, 'webhook-signature': 'v1,' }, { now: at })],
    ];
    for (const [what, call] of cases) await expect(call(), what).rejects.toThrow(WebhookVerificationError);
  });

  it('checks the timestamp against the tolerance, both ways', async () => {
    const secret = generateWebhookSecret();
    const old = await webhookRequestHeaders(secret, 'msg_1', body, now - 301);
    await expect(verifyWebhook(secret, body, old, { now: at })).rejects.toThrow('too old');
    const future = await webhookRequestHeaders(secret, 'msg_1', body, now + 301);
    await expect(verifyWebhook(secret, body, future, { now: at })).rejects.toThrow('too new');
    await expect(verifyWebhook(secret, body, old, { now: at, toleranceSeconds: 600 })).resolves.toBeDefined();
    await expect(verifyWebhook(secret, body, { 'webhook-id': 'msg_1', 'webhook-signature': 'v1,x' }, { now: at })).rejects.toThrow('missing');
  });

  it('accepts any matching v1 signature of a space-separated list and skips other schemes', async () => {
    const secret = generateWebhookSecret();
    const headers = await webhookRequestHeaders(secret, 'msg_1', body, now);
    const rotated = `v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v1a,${headers['webhook-signature']?.slice(3) ?? ''} ${headers['webhook-signature'] ?? ''}`;
    await expect(verifyWebhook(secret, body, { ...headers, 'webhook-signature': rotated }, { now: at })).resolves.toBeDefined();
    const onlyOther = `v1a,${headers['webhook-signature']?.slice(3) ?? ''}`;
    await expect(verifyWebhook(secret, body, { ...headers, 'webhook-signature': onlyOther }, { now: at })).rejects.toThrow('no matching signature');
  });
});

describe('webhook request fields', () => {
  const base = { prompt: 'a fox' };
  it('take an http(s) URL and a set of events', () => {
    const ok = GenerationRequest.parse({ ...base, webhook: 'https://example.com/h', webhookEvents: ['completed'] });
    expect(ok.webhookEvents).toEqual(['completed']);
    const paths = (v: unknown) => GenerationRequest.safeParse({ ...base, ...(v as object) }).error?.issues.map((i) => i.path.join('.'));
    expect(paths({ webhook: 'ftp://example.com/h' })).toEqual(['webhook']);
    expect(paths({ webhook: 'not a url' })).toEqual(['webhook']);
    expect(paths({ webhook: 'https://example.com/h', webhookEvents: ['progress'] })).toEqual(['webhookEvents.0']);
    expect(paths({ webhook: 'https://example.com/h', webhookEvents: ['start', 'start'] })).toEqual(['webhookEvents']);
  });
});
