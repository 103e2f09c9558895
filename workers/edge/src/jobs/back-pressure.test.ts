import { describe, expect, it } from 'vitest';
import { adoptBusy, busyAnswer, busyRunners, deferred, nextWake, retryAfterMs, startWait, timedOut } from './back-pressure.ts';

const now = Date.parse('2026-12-07T12:00:00Z');
const answer = (status: number, retryAfter?: string) => new Response('{}', { status, headers: retryAfter === undefined ? {} : { 'retry-after': retryAfter } });

describe('back-pressure decisions', () => {
  it("adopts the runners other jobs heard busy: with jitter, keeping its own, dropping expired ones; unchanged when nothing is new", () => {
    const own = deferred(startWait(now, 60_000), 'http://a', { status: 429, until: now + 2000, reason: '' }, now);
    const known = new Map([['http://a', now + 9000], ['http://b', now + 4000], ['http://c', now - 1]]);
    const adopted = adoptBusy(own, known, now, () => 1);
    expect(adopted.busy).toEqual([{ runner: 'http://a', until: now + 2000 }, { runner: 'http://b', until: now + 5000 }]);
    expect(busyRunners(adopted, now)).toEqual(new Set(['http://a', 'http://b']));
    expect(nextWake(adopted, now)).toBe(now + 2000);
    expect(adoptBusy(adopted, known, now)).toBe(adopted);
    expect(adoptBusy(own, new Map(), now)).toBe(own);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(retryAfterMs('7', now)).toBe(7000);
    expect(retryAfterMs(new Date(now + 3000).toUTCString(), now)).toBe(3000);
    expect(retryAfterMs(null, now)).toBeUndefined();
    expect(retryAfterMs('soon', now)).toBeUndefined();
  });

  it('429 is busy (1 s without Retry-After); 503 only with Retry-After; other errors are not', () => {
    const noJitter = () => 0;
    expect(busyAnswer(answer(429, '5'), now, noJitter)?.until).toBe(now + 5000);
    expect(busyAnswer(answer(429), now, noJitter)?.until).toBe(now + 1000);
    expect(busyAnswer(answer(503, '2'), now, noJitter)?.until).toBe(now + 2000);
    expect(busyAnswer(answer(503), now, noJitter)).toBeUndefined();
    expect(busyAnswer(answer(500, '2'), now, noJitter)).toBeUndefined();
    expect(busyAnswer(answer(400), now, noJitter)).toBeUndefined();
    // bounded to [1 s, 2 min], with up to 25% jitter
    expect(busyAnswer(answer(429, '0'), now, noJitter)?.until).toBe(now + 1000);
    expect(busyAnswer(answer(429, '9999'), now, noJitter)?.until).toBe(now + 120_000);
    expect(busyAnswer(answer(429, '4'), now, () => 1)?.until).toBe(now + 5000);
  });

  it('leaves busy runners alone until their time, wakes at the first, never past the deadline', () => {
    let q = startWait(now, 10_000);
    q = deferred(q, 'a', { status: 429, until: now + 4000, reason: '' }, now);
    q = deferred(q, 'b', { status: 429, until: now + 2000, reason: '' }, now);
    expect(q.deferrals).toBe(2);
    expect(busyRunners(q, now)).toEqual(new Set(['a', 'b']));
    expect(busyRunners(q, now + 3000)).toEqual(new Set(['a']));
    expect(nextWake(q, now)).toBe(now + 2000);
    q = deferred(q, 'b', { status: 429, until: now + 60_000, reason: '' }, now + 2000);
    expect(q.busy).toHaveLength(2);
    expect(nextWake(q, now + 5000)).toBe(now + 10_000);
    expect(timedOut(q, now + 9999)).toBe(false);
    expect(timedOut(q, now + 10_000)).toBe(true);
  });
});
