// Per-key rate limit: one Durable Object per API key holds a token bucket, so
// the limit holds across isolates and locations. Capacity = the per-minute
// limit; it refills continuously at limit/60 tokens a second.
import { DurableObject } from 'cloudflare:workers';

interface Bucket {
  tokens: number;
  /** ms since epoch of the last refill */
  at: number;
}

export interface TakeResult {
  ok: boolean;
  remaining: number;
  /** whole seconds until one token is back (0 when ok) */
  retryAfterSeconds: number;
}

export class RateLimiterObject extends DurableObject<Env> {
  take(limitPerMinute: number, now = Date.now()): TakeResult {
    const kv = this.ctx.storage.kv;
    const prev = kv.get<Bucket>('bucket');
    const perMs = limitPerMinute / 60_000;
    let tokens = prev ? Math.min(limitPerMinute, prev.tokens + Math.max(0, now - prev.at) * perMs) : limitPerMinute;
    let ok = false;
    if (tokens >= 1) {
      tokens -= 1;
      ok = true;
    }
    kv.put('bucket', { tokens, at: now } satisfies Bucket);
    const retryAfterSeconds = ok ? 0 : Math.max(1, Math.ceil((1 - tokens) / perMs / 1000));
    return { ok, remaining: Math.floor(tokens), retryAfterSeconds };
  }
}
