// A job's webhook as the job object stores it: the target, the messages still to
// deliver (in order: `start` before `completed`), and every attempt made. Pure
// functions of that state; webhook-deliverer.ts sends, the job object stores.
import {
  isTerminalStatus,
  webhookPayloadTypes,
  webhookRetryWindowMs,
  type Job,
  type JobStatus,
  type WebhookAttempt,
  type WebhookEvent,
  type WebhookPayload,
  type WebhookStatus,
} from '@imagen-ts/protocol';

/** what the request asked for (validated by webhook-target.ts) */
export interface WebhookTarget {
  url: string;
  events: WebhookEvent[];
}

export interface WebhookMessage {
  /** webhook-id: the same on every attempt */
  id: string;
  event: WebhookEvent;
  /** the exact bytes signed and sent, on every attempt */
  body: string;
  attempts: number;
  /** the first attempt (ms); the 24 h retry window counts from it */
  firstAt: number | null;
  /** when the next attempt is due (ms) */
  nextAt: number;
}

export interface WebhookState extends WebhookTarget {
  queue: WebhookMessage[];
  attempts: WebhookAttempt[];
  lastStatus: number | null;
}

export interface AttemptResult {
  at: number;
  status: number | null;
  error?: string;
  durationMs: number;
  /** the receiver's Retry-After, in ms */
  retryAfterMs?: number;
}

/** each retry waits this many times longer than the one before, up to maxRetryDelayMs */
const backoffFactor = 6;
const maxRetryDelayMs = 8 * 60 * 60 * 1000;
/** the attempt log a job keeps (a message is tried at most ~9 times in its 24 h) */
const maxLoggedAttempts = 50;

export function newWebhookState(target: WebhookTarget): WebhookState {
  return { url: target.url, events: target.events, queue: [], attempts: [], lastStatus: null };
}

/** the event a transition into `status` sends, if any */
export function webhookEventFor(status: JobStatus): WebhookEvent | undefined {
  if (status === 'running') return 'start';
  return isTerminalStatus(status) ? 'completed' : undefined;
}

/** adds the event's message (once per job and event; not at all when the request filtered it out) */
export function enqueueWebhook(state: WebhookState, event: WebhookEvent, job: Job, now: number): WebhookState {
  const id = `msg_${job.id}_${event}`;
  if (!state.events.includes(event) || state.queue.some((m) => m.id === id) || state.attempts.some((a) => a.messageId === id)) return state;
  const { webhook: _self, ...data } = job;
  const payload: WebhookPayload = { type: webhookPayloadTypes[event], timestamp: new Date(now).toISOString(), data };
  const message: WebhookMessage = { id, event, body: JSON.stringify(payload), attempts: 0, firstAt: null, nextAt: now };
  return { ...state, queue: [...state.queue, message] };
}

/**
 * When a message that failed its `attempts`-th time is tried next: 1, 6, 36 … times
 * `firstRetryMs` later (at most 8 h, plus up to 10% jitter, at least the receiver's
 * Retry-After), and never after the 24 h window; undefined once the window is over.
 */
export function nextRetryAt(firstAt: number, attempts: number, now: number, firstRetryMs: number, retryAfterMs = 0, random = Math.random): number | undefined {
  const end = firstAt + webhookRetryWindowMs;
  if (now >= end) return undefined;
  const delay = Math.min(firstRetryMs * backoffFactor ** Math.max(0, attempts - 1), maxRetryDelayMs) * (1 + 0.1 * random());
  return Math.min(now + Math.max(delay, retryAfterMs), end);
}

/** records one attempt of message `id`: delivered (2xx), retried later, or given up (410 Gone stops the job's webhook) */
export function recordAttempt(state: WebhookState, id: string, result: AttemptResult, firstRetryMs: number): WebhookState {
  const message = state.queue.find((m) => m.id === id);
  if (!message) return state;
  const number = message.attempts + 1;
  const firstAt = message.firstAt ?? result.at;
  const delivered = result.status !== null && result.status >= 200 && result.status < 300;
  const next = delivered || result.status === 410 ? undefined : nextRetryAt(firstAt, number, result.at, firstRetryMs, result.retryAfterMs);
  const outcome: WebhookAttempt['outcome'] = delivered ? 'delivered' : next === undefined ? 'gave_up' : 'retry';
  const attempt: WebhookAttempt = {
    event: message.event,
    messageId: id,
    number,
    at: new Date(result.at).toISOString(),
    status: result.status,
    ...(result.error !== undefined ? { error: result.error } : {}),
    durationMs: result.durationMs,
    outcome,
  };
  let queue = state.queue.filter((m) => m.id !== id);
  if (outcome === 'retry' && next !== undefined) queue = state.queue.map((m) => (m.id === id ? { ...m, attempts: number, firstAt, nextAt: next } : m));
  // the receiver asked for no more: drop what is still queued too
  if (result.status === 410) queue = [];
  return { ...state, queue, attempts: [...state.attempts, attempt].slice(-maxLoggedAttempts), lastStatus: result.status };
}

/** the job view's `webhook` */
export function webhookStatus(state: WebhookState): WebhookStatus {
  const head = state.queue[0];
  return {
    url: state.url,
    events: state.events,
    attempts: state.attempts,
    lastStatus: state.lastStatus,
    pending: state.queue.length,
    nextAttemptAt: head ? new Date(head.nextAt).toISOString() : null,
  };
}
