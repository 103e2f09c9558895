// Back-pressure: a runner that answers 429 (its queue is full), or 503 with
// Retry-After (not ready yet), is busy, not broken. The job keeps its attempts,
// the runner stays in the pool, and the job waits in its Durable Object (its
// alarm) until a runner has room: another one at once, or the busy one after its
// Retry-After. A wait longer than QUEUE_TIMEOUT_SECONDS ends the job
// `queue_timeout`. Pure decisions over the job's record; drive.ts acts on them.
import type { JobQueue } from '@imagen-ts/protocol';
import type { JobRecord } from './job-model.ts';

/** one wait for a runner with room, as the job's record keeps it */
export interface QueueState {
  /** when the wait began (ms): the job's creation, or the end of its last failed attempt */
  since: number;
  /** the wait ends with queue_timeout at this time (ms) */
  deadlineAt: number;
  /** times a runner answered busy during this wait */
  deferrals: number;
  /** runners that answered busy, left alone until `until` (ms) */
  busy: { runner: string; until: number }[];
  /** when a runner took the job (ms); unset while waiting */
  tookAt?: number;
}

/** a runner's answer to POST /v1/jobs that asks to come back later */
export interface BusyAnswer {
  status: number;
  /** when to offer it the job again (ms) */
  until: number;
  reason: string;
}

/** Retry-After bounds: at least 1 s (the header's resolution), at most 2 min */
const minRetryMs = 1000;
const maxRetryMs = 120_000;
/** default when a 429 comes without Retry-After */
const defaultRetryMs = 1000;

/** Retry-After (delta-seconds or an HTTP date) in ms from now, or undefined when absent or unreadable */
export function retryAfterMs(header: string | null, now: number): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * Is this answer back-pressure? 429 always; 503 only with a Retry-After (a 503 without
 * one is a runner going away: a failure, as before). The wait gets up to 25% jitter so
 * jobs told the same Retry-After do not all come back in the same instant.
 */
export function busyAnswer(res: Response, now: number, random: () => number = Math.random): BusyAnswer | undefined {
  const after = retryAfterMs(res.headers.get('retry-after'), now);
  if (res.status !== 429 && !(res.status === 503 && after !== undefined)) return undefined;
  const base = Math.min(maxRetryMs, Math.max(minRetryMs, after ?? defaultRetryMs));
  const wait = Math.round(base * (1 + 0.25 * random()));
  return { status: res.status, until: now + wait, reason: `answered ${res.status}, retry after ${(base / 1000).toFixed(0)} s` };
}

/** the wait the job is in now: the stored one while no runner has taken the job, else a new one from `from` */
export function currentWait(r: JobRecord, timeoutMs: number, now: number): QueueState {
  const q = r.queue;
  if (q && q.tookAt === undefined) return q;
  const since = r.attempts.at(-1)?.endedAt ?? r.createdAt;
  // busy runners stay busy across waits: their Retry-After is about them, not this wait
  return { since, deadlineAt: since + timeoutMs, deferrals: 0, busy: (q?.busy ?? []).filter((b) => b.until > now) };
}

/** a new wait, for a record being created */
export function startWait(now: number, timeoutMs: number): QueueState {
  return { since: now, deadlineAt: now + timeoutMs, deferrals: 0, busy: [] };
}

/** the runners to leave alone now */
export function busyRunners(q: QueueState, now: number): Set<string> {
  return new Set(q.busy.filter((b) => b.until > now).map((b) => b.runner));
}

/** the wait after `runner` answered busy */
export function deferred(q: QueueState, runner: string, answer: BusyAnswer, now: number): QueueState {
  const busy = q.busy.filter((b) => b.runner !== runner && b.until > now);
  return { ...q, deferrals: q.deferrals + 1, busy: [...busy, { runner, until: answer.until }] };
}

/**
 * The wait with the runners other jobs heard busy (the pool's shared view, url → until)
 * added to its own, each with up to 25% jitter, as busyAnswer gives; the same wait
 * object when there is nothing new.
 */
export function adoptBusy(q: QueueState, known: ReadonlyMap<string, number>, now: number, random: () => number = Math.random): QueueState {
  const mine = new Set(q.busy.filter((b) => b.until > now).map((b) => b.runner));
  const added = [...known].filter(([runner, until]) => until > now && !mine.has(runner)).map(([runner, until]) => ({ runner, until: until + Math.round((until - now) * 0.25 * random()) }));
  return added.length === 0 ? q : { ...q, busy: [...q.busy.filter((b) => b.until > now), ...added] };
}

/** when to look again while every runner is busy: the first Retry-After to pass, or the deadline */
export function nextWake(q: QueueState, now: number): number {
  const untils = q.busy.filter((b) => b.until > now).map((b) => b.until);
  return Math.min(q.deadlineAt, ...untils);
}

export function timedOut(q: QueueState, now: number): boolean {
  return now >= q.deadlineAt;
}

export function timeoutMessage(q: QueueState, now: number, timeoutSeconds: number): string {
  const waited = ((now - q.since) / 1000).toFixed(1);
  return `no runner had room for ${waited} s (the queue deadline is QUEUE_TIMEOUT_SECONDS = ${timeoutSeconds} s); runners answered busy ${q.deferrals} time(s); submit again later`;
}

/** the wait as GET /v1/jobs/:id shows it */
export function queueView(r: JobRecord, now: number): JobQueue | undefined {
  const q = r.queue;
  if (!q) return undefined;
  const finished = r.status === 'succeeded' || r.status === 'failed' || r.status === 'canceled';
  const waiting = !finished && q.tookAt === undefined;
  const end = q.tookAt ?? (waiting ? now : r.updatedAt);
  const pending = waiting ? q.busy.filter((b) => b.until > now).map((b) => b.until) : [];
  return {
    waiting,
    waitMs: Math.max(0, Math.round(end - q.since)),
    deferrals: q.deferrals,
    retryAt: pending.length > 0 ? new Date(Math.min(...pending)).toISOString() : null,
    deadlineAt: waiting ? new Date(q.deadlineAt).toISOString() : null,
  };
}
