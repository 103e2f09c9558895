import type { Job } from '@imagen-ts/protocol';
import { describe, expect, it } from 'vitest';
import { enqueueWebhook, newWebhookState, nextRetryAt, recordAttempt, webhookEventFor, webhookStatus } from './webhook-queue.ts';
import { webhookUrlProblem } from './webhook-target.ts';

const hour = 3_600_000;
const job = { id: 'job_abc', status: 'running' } as Job;

describe('webhook retry schedule', () => {
  it('backs off 1, 6, 36 … × the first delay, caps at 8 h, and ends at 24 h after the first attempt', () => {
    const noJitter = () => 0;
    const first = 5000;
    let t = 0;
    const times: number[] = [];
    for (let attempts = 1; ; attempts++) {
      const next = nextRetryAt(0, attempts, t, first, 0, noJitter);
      if (next === undefined) break;
      times.push(next);
      t = next;
    }
    expect(times.slice(0, 4)).toEqual([5000, 35_000, 215_000, 1_295_000]);
    expect(times.at(-1)).toBe(24 * hour);
    expect(Math.max(...times.slice(1).map((x, i) => x - (times[i] ?? 0)))).toBeLessThanOrEqual(8 * hour);
    expect(times).toHaveLength(8);
  });

  it('waits at least the receiver\'s Retry-After, and adds at most 10% jitter', () => {
    expect(nextRetryAt(0, 1, 0, 1000, 60_000, () => 0)).toBe(60_000);
    expect(nextRetryAt(0, 1, 0, 1000, 0, () => 1)).toBe(1100);
  });
});

describe('webhook queue', () => {
  it('queues each event once, honours the filter, and drops the job view\'s own webhook field', () => {
    let s = newWebhookState({ url: 'https://x.test/h', events: ['completed'] });
    expect(enqueueWebhook(s, 'start', job, 1)).toBe(s);
    s = enqueueWebhook(s, 'completed', { ...job, webhook: webhookStatus(s) }, 1);
    expect(enqueueWebhook(s, 'completed', job, 2)).toBe(s);
    expect(s.queue).toHaveLength(1);
    const body = JSON.parse(s.queue[0]?.body ?? '{}') as Record<string, Record<string, unknown>>;
    expect(body.type).toBe('job.completed');
    expect(body.data?.webhook).toBeUndefined();
    expect([webhookEventFor('queued'), webhookEventFor('running'), webhookEventFor('canceled')]).toEqual([undefined, 'start', 'completed']);
  });

  it('a 410 Gone stops the job\'s webhook: nothing else is sent', () => {
    let s = newWebhookState({ url: 'https://x.test/h', events: ['start', 'completed'] });
    s = enqueueWebhook(enqueueWebhook(s, 'start', job, 1), 'completed', job, 1);
    s = recordAttempt(s, 'msg_job_abc_start', { at: 2, status: 410, durationMs: 1 }, 1000);
    expect(s.queue).toEqual([]);
    expect(s.attempts.map((a) => a.outcome)).toEqual(['gave_up']);
  });
});

describe('webhook targets', () => {
  it('are https: in production config; http://127.0.0.1 only where local dev config allows it', () => {
    expect(webhookUrlProblem('https://example.com/h', false)).toBeUndefined();
    expect(webhookUrlProblem('http://127.0.0.1:9000/h', false)).toBe('must be an https: URL');
    expect(webhookUrlProblem('http://127.0.0.1:9000/h', true)).toBeUndefined();
    expect(webhookUrlProblem('http://localhost:9000/h', true)).toContain('http://127.0.0.1');
    expect(webhookUrlProblem('http://example.com/h', true)).toContain('https:');
  });
});
