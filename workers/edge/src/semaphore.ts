// A counting semaphore for one isolate, written for workerd. Requests (and job
// objects) of one isolate must not wait on each other's promises: workerd runs a
// queued task in the context of whoever released it (p-limit: "Cannot perform I/O
// on behalf of a different request"), and cancels a request that only awaits a
// promise another request will resolve ("your Worker's code had hung"); a wake-up
// hint resolved by the leaving caller was tried and hit both. So nobody hands
// anything over: a caller checks for room on its own timer (5 ms, backing off to
// 250 ms: at 20 ms, 600 waiting requests cost the isolate 30 000 timer wake-ups a
// second) and goes in when fewer than `limit` callers are inside. The timer is
// at least `perWaiterMs` per caller waiting (capped at the longest poll), then
// jittered by ±50%: a burst's 600 waiters backing off from 5 ms together woke the
// isolate ~4 800 times in their first second, the moment /health stalled longest.
// Those timers double as a load signal (the lag gate, `lagLimitMs`): one that fires
// late says the isolate is behind, and the door stays shut a while. A request
// workerd cancels may never run its `finally`, so each place inside is a lease:
// one held longer than `leaseMs` no longer counts.

export interface Semaphore {
  /** runs `fn` once fewer than `limit` callers are inside */
  run<T>(fn: () => Promise<T>): Promise<T>;
  /** waits for a place and returns its release (idempotent: a second call does nothing) */
  acquire(): Promise<() => void>;
  /** callers inside (leases not expired) and waiting */
  load(): { active: number; pending: number };
}

export interface SemaphoreOptions {
  firstPollMs?: number;
  maxPollMs?: number;
  /** the poll's floor per caller waiting: N waiters poll every N × this (capped at maxPollMs), before the ±50% jitter */
  perWaiterMs?: number;
  /** a place held this long is taken back (its holder was canceled, or is stuck) */
  leaseMs?: number;
  now?: () => number;
  /** in [0, 1): the poll's jitter */
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /**
   * Lag gate: a waiter whose timer fires more than this late (ms) shows the isolate is
   * behind its work, and then nobody goes in for `lagHoldMs`, however many places are
   * free (but one always may, when none is inside), so work already admitted can finish
   * before more arrives (default: off).
   */
  lagLimitMs?: number;
  lagHoldMs?: number;
}

const timer = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createSemaphore(limit: number, opts: SemaphoreOptions = {}): Semaphore {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`semaphore limit must be an integer >= 1, got ${limit}`);
  const { firstPollMs = 5, maxPollMs = 250, perWaiterMs = 2, leaseMs = 60_000, now = Date.now, random = Math.random, sleep = timer, lagLimitMs = Infinity, lagHoldMs = 100 } = opts;
  /** while now() is before this, the isolate counts as behind (the lag gate) */
  let behindUntil = 0;
  /** lease id → when it was taken */
  const inside = new Map<number, number>();
  let nextLease = 0;
  let pending = 0;

  function hasRoom(): boolean {
    // behind, nobody more goes in, but one always may: the gate must not stop all progress
    if (now() < behindUntil && inside.size > 0) return false;
    if (inside.size < limit) return true;
    const stale = now() - leaseMs;
    for (const [lease, at] of inside) if (at < stale) inside.delete(lease);
    return inside.size < limit;
  }

  async function enter(): Promise<number> {
    if (!hasRoom()) {
      pending++;
      try {
        for (let backoff = firstPollMs; !hasRoom(); backoff = Math.min(maxPollMs, backoff * 2)) {
          const floor = Math.min(maxPollMs, pending * perWaiterMs);
          const ms = Math.max(backoff, floor) * (0.5 + random());
          const at = now();
          await sleep(ms);
          // workerd moves Date.now() only between events, so a late timer reads as late
          if (now() - at - ms > lagLimitMs) behindUntil = Math.max(behindUntil, now() + lagHoldMs);
        }
      } finally {
        pending--;
      }
    }
    const lease = nextLease++;
    inside.set(lease, now());
    return lease;
  }

  return {
    async run(fn) {
      const lease = await enter();
      try {
        return await fn();
      } finally {
        inside.delete(lease);
      }
    },
    async acquire() {
      const lease = await enter();
      return () => void inside.delete(lease);
    },
    load: () => ({ active: inside.size, pending }),
  };
}
