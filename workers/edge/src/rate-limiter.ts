// Per-key rate limit: one Durable Object per API key holds a token bucket, so
// the limit holds across isolates and locations. Capacity = the per-minute
// limit; it refills continuously at limit/60 tokens a second.
//
// Every authenticated request takes a token, so the bucket lives in the object's
// memory and is written back at most once per `persistEveryMs`: a storage write
// per take was a storage commit per request (locally an fsync on workerd's one
// thread, which every other request waited behind during a 600-job burst). An
// object that restarts loses at most that long of takes.
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

/** the longest the stored bucket lags the one in memory */
export const persistEveryMs = 1000;

export class RateLimiterObject extends DurableObject<Env> {
  #bucket: Bucket | undefined;
  #savedAt = -Infinity;

  take(limitPerMinute: number, now = Date.now()): TakeResult {
    const prev = (this.#bucket ??= this.ctx.storage.kv.get<Bucket>('bucket'));
    const perMs = limitPerMinute / 60_000;
    let tokens = prev ? Math.min(limitPerMinute, prev.tokens + Math.max(0, now - prev.at) * perMs) : limitPerMinute;
    let ok = false;
    if (tokens >= 1) {
      tokens -= 1;
      ok = true;
    }
    this.#bucket = { tokens, at: now };
    if (Math.abs(now - this.#savedAt) >= persistEveryMs) {
      this.ctx.storage.kv.put('bucket', this.#bucket);
      this.#savedAt = now;
    }
    const retryAfterSeconds = ok ? 0 : Math.max(1, Math.ceil((1 - tokens) / perMs / 1000));
    return { ok, remaining: Math.floor(tokens), retryAfterSeconds };
  }
}
