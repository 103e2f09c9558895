import { env } from 'cloudflare:workers';
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { persistEveryMs, type RateLimiterObject } from './rate-limiter.ts';

const stored = (stub: DurableObjectStub<RateLimiterObject>) => runInDurableObject(stub, (_o: RateLimiterObject, state) => state.storage.kv.get<{ tokens: number; at: number }>('bucket'));

describe('RateLimiterObject', () => {
  it('counts every take in memory and writes the bucket back at most once per persistEveryMs', async () => {
    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`limiter-${crypto.randomUUID()}`));
    const t0 = 1_000_000;
    // 60 a minute = one token back a second; 5 takes inside one persistence interval
    for (let i = 0; i < 5; i++) expect((await stub.take(60, t0 + i)).remaining).toBe(59 - i);
    expect(await stored(stub)).toEqual({ tokens: 59, at: t0 });
    // past the interval: the next take is written, with every take before it counted
    const later = await stub.take(60, t0 + persistEveryMs);
    expect(later.ok).toBe(true);
    const bucket = await stored(stub);
    expect(bucket?.at).toBe(t0 + persistEveryMs);
    // 60 − 6 takes + 1 s of refill: all six counted, though only the first and the last were written
    expect(bucket?.tokens).toBeCloseTo(55, 2);
  });

  it('refuses once the bucket is empty, with the seconds until a token is back', async () => {
    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`limiter-${crypto.randomUUID()}`));
    const t0 = 2_000_000;
    for (let i = 0; i < 3; i++) expect((await stub.take(3, t0)).ok).toBe(true);
    const refused = await stub.take(3, t0);
    expect(refused).toEqual({ ok: false, remaining: 0, retryAfterSeconds: 20 });
  });
});
