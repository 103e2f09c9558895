import { describe, expect, it } from 'vitest';
import { createSemaphore } from './semaphore.ts';

const tick = () => new Promise((r) => setTimeout(r, 1));

describe('createSemaphore', () => {
  it('lets at most `limit` callers in at once, and frees a place when one leaves (errors too)', async () => {
    const sem = createSemaphore(3);
    let inside = 0;
    let most = 0;
    const order: number[] = [];
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        sem.run(async () => {
          order.push(i);
          inside++;
          most = Math.max(most, inside);
          await tick();
          inside--;
          if (i === 4) throw new Error('task 4 fails');
          return i;
        }),
      ),
    );
    expect(most).toBe(3);
    expect([...order].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
    expect(sem.load()).toEqual({ active: 0, pending: 0 });
  });

  it('counts callers inside and waiting', async () => {
    const sem = createSemaphore(1);
    let release = (): void => undefined;
    const held = sem.run(() => new Promise<void>((r) => (release = r)));
    const queued = sem.run(() => Promise.resolve());
    await new Promise((r) => setTimeout(r, 20));
    expect(sem.load()).toEqual({ active: 1, pending: 1 });
    release();
    await Promise.all([held, queued]);
    expect(sem.load()).toEqual({ active: 0, pending: 0 });
  });

  it('takes back a place held past its lease (a holder workerd canceled never leaves)', async () => {
    let t = 0;
    const sem = createSemaphore(1, { leaseMs: 1000, now: () => t });
    void sem.run(() => new Promise<void>(() => undefined));
    await new Promise((r) => setTimeout(r, 5));
    let ran = false;
    const next = sem.run(() => {
      ran = true;
      return Promise.resolve();
    });
    await new Promise((r) => setTimeout(r, 30));
    expect(ran).toBe(false);
    t = 1001;
    await next;
    expect(ran).toBe(true);
  });

  it('acquire() holds a place until its release, and a second release frees nothing more', async () => {
    const sem = createSemaphore(1);
    const release = await sem.acquire();
    const other = sem.acquire();
    await new Promise((r) => setTimeout(r, 20));
    expect(sem.load()).toEqual({ active: 1, pending: 1 });
    release();
    const releaseOther = await other;
    release();
    expect(sem.load()).toEqual({ active: 1, pending: 0 });
    releaseOther();
    expect(sem.load()).toEqual({ active: 0, pending: 0 });
  });

  it('spaces the polls of many waiters out: never under perWaiterMs per waiter, so a burst does not wake the isolate thousands of times', async () => {
    const waits: number[] = [];
    let hold = (): void => undefined;
    const sem = createSemaphore(1, {
      perWaiterMs: 2,
      maxPollMs: 1000,
      random: () => 0.5, // no jitter: the poll is exactly its base
      sleep: (ms) => {
        waits.push(ms);
        return new Promise((r) => setTimeout(r, 1));
      },
    });
    const inside = sem.run(() => new Promise<void>((r) => (hold = r)));
    const waiters = Array.from({ length: 100 }, () => sem.run(() => Promise.resolve()));
    await new Promise((r) => setTimeout(r, 20));
    // the k-th to arrive first polls after max(5, k × 2) ms; once all 100 wait, every poll is ≥ 100 × 2 ms
    expect(waits.length).toBeGreaterThanOrEqual(200);
    waits.slice(0, 100).forEach((ms, k) => expect(ms).toBeGreaterThanOrEqual(Math.max(5, (k + 1) * 2)));
    expect(Math.min(...waits.slice(100, 200))).toBe(200);
    hold();
    await Promise.all([inside, ...waiters]);
    // a lone waiter backs off from 5 ms as before
    waits.length = 0;
    const lone = sem.run(() => new Promise<void>((r) => (hold = r)));
    const second = sem.run(() => Promise.resolve());
    await new Promise((r) => setTimeout(r, 10));
    expect(waits[0]).toBe(5);
    hold();
    await Promise.all([lone, second]);
  });

  it('refuses a limit below 1', () => {
    expect(() => createSemaphore(0)).toThrow(RangeError);
  });
  it('lag gate: a waiter whose timer fired over lagLimitMs late keeps everyone out for lagHoldMs, free places or not', async () => {
    /** when the second caller got in, its first timer firing 80 ms late; the place is freed during that sleep */
    const entryTime = async (gate: { lagLimitMs?: number; lagHoldMs?: number }) => {
      let t = 0;
      const lateness = [80];
      let release = (): void => undefined;
      const sem = createSemaphore(2, {
        ...gate,
        now: () => t,
        random: () => 0.5,
        firstPollMs: 10,
        sleep: async (ms) => {
          t += ms + (lateness.shift() ?? 0);
          release();
          await Promise.resolve();
        },
      });
      await sem.acquire(); // held throughout: the gate holds only while someone is inside
      release = await sem.acquire();
      await sem.acquire();
      return t;
    };
    // without the gate: in as soon as the late timer fires (10 ms asked + 80 late)
    expect(await entryTime({})).toBe(90);
    // with it: out until 90 + 100 ms, polling on (backoff 20, 40, 80 ms: in at 230)
    expect(await entryTime({ lagLimitMs: 50, lagHoldMs: 100 })).toBe(230);
    // a timer late by less than the limit changes nothing
    expect(await entryTime({ lagLimitMs: 100, lagHoldMs: 100 })).toBe(90);
  });

  it('lag gate: with nobody inside, one caller goes in however late the timers are', async () => {
    let t = 0;
    let release = (): void => undefined;
    let calls = 0;
    const sleep = async (ms: number) => {
      if (++calls > 100) throw new Error('never admitted');
      t += ms + 500; // every timer half a second late
      release();
      await Promise.resolve();
    };
    const sem = createSemaphore(1, { now: () => t, lagLimitMs: 50, lagHoldMs: 1_000_000, random: () => 0.5, firstPollMs: 10, sleep });
    release = await sem.acquire();
    await sem.acquire();
    // in after its first (late) timer, not a million ms later
    expect(t).toBe(510);
  });
});
