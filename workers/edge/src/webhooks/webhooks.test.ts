import { env } from 'cloudflare:workers';
import type { Job, WebhookPayload } from '@imagen-ts/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { call, createKey, runnerA, runnerB, setMode, waitJob } from '../../test/helpers.ts';
import type { ReceivedWebhook } from '../../test/fake-webhook-receiver.ts';
import { verifyWebhook, WebhookVerificationError } from '../client.ts';
import { resetRunnerStates } from '../runner/runner-pool.ts';

async function secretFor(key: string): Promise<string> {
  const res = await call('/v1/webhooks/secret', { method: 'POST', key });
  expect(res.status).toBe(201);
  return (await res.json<{ secret: string }>()).secret;
}

async function received(path: string): Promise<ReceivedWebhook[]> {
  return (await fetch(`http://control.test/__control/webhooks?path=${encodeURIComponent(path)}`)).json<ReceivedWebhook[]>();
}

async function until<T>(get: () => Promise<T>, ok: (v: T) => boolean, what: string, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function job(id: string, key: string): Promise<Job> {
  return (await call(`/v1/jobs/${id}`, { key })).json<Job>();
}

afterEach(async () => {
  await setMode(runnerA, 'ok');
  await setMode(runnerB, 'ok');
  resetRunnerStates();
});

describe('webhooks', () => {
  it('POST /v1/webhooks/secret shows a whsec_ secret once; calling again rotates it', async () => {
    const { key } = await createKey();
    const first = await secretFor(key);
    expect(first).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const second = await secretFor(key);
    expect(second).not.toBe(first);
    const openapi = await (await call('/v1/openapi.json')).json<{ webhooks: Record<string, unknown>; paths: Record<string, unknown> }>();
    expect(Object.keys(openapi.webhooks)).toEqual(['job']);
    expect(openapi.paths['/v1/webhooks/secret']).toBeDefined();
  });

  it('sends start and completed, signed with the key\'s secret; the job records each attempt', async () => {
    const { key } = await createKey();
    const secret = await secretFor(key);
    const path = `/${crypto.randomUUID()}`;
    const res = await call('/v1/generations', { method: 'POST', key, json: { prompt: 'a signed letter', seed: 21, webhook: `https://hooks.test${path}` }, headers: { Prefer: 'wait=20' } });
    const created = await res.json<Job>();
    expect(res.status).toBe(200);
    expect(created.webhook?.events).toEqual(['start', 'completed']);
    const got = await until(() => received(path), (r) => r.length >= 2, 'two deliveries');
    const payloads: WebhookPayload[] = [];
    for (const r of got) payloads.push(await verifyWebhook(secret, r.body, r.headers));
    expect(payloads.map((p) => p.type)).toEqual(['job.start', 'job.completed']);
    expect(payloads.map((p) => p.data.status)).toEqual(['running', 'succeeded']);
    expect(payloads[1]?.data.images).toEqual(created.images);
    expect(payloads.every((p) => p.data.id === created.id && !('webhook' in p.data))).toBe(true);
    expect(got.map((r) => r.headers['webhook-id'])).toEqual([`msg_${created.id}_start`, `msg_${created.id}_completed`]);
    expect(got[0]?.headers['content-type']).toBe('application/json');

    const done = await until(() => job(created.id, key), (j) => j.webhook?.pending === 0 && j.webhook.attempts.length === 2, 'attempts recorded');
    expect(done.status).toBe('succeeded');
    expect(done.webhook?.attempts.map((a) => [a.event, a.number, a.status, a.outcome])).toEqual([
      ['start', 1, 204, 'delivered'],
      ['completed', 1, 204, 'delivered'],
    ]);
    expect(done.webhook?.lastStatus).toBe(204);
    expect(done.webhook?.nextAttemptAt).toBeNull();
  });

  it('a receiver that fails twice gets the third attempt (the same message, from the alarm, backing off)', async () => {
    const { key } = await createKey();
    const secret = await secretFor(key);
    const path = `/${crypto.randomUUID()}`;
    const res = await call('/v1/generations', { method: 'POST', key, json: { prompt: 'a patient courier', seed: 22, webhook: `https://hooks.test${path}?fail=2`, webhookEvents: ['completed'] } });
    const created = await res.json<Job>();
    const got = await until(() => received(path), (r) => r.length >= 3, 'three attempts');
    expect(got.map((r) => r.status)).toEqual([503, 503, 204]);
    expect(new Set(got.map((r) => r.headers['webhook-id']))).toEqual(new Set([`msg_${created.id}_completed`]));
    for (const r of got) expect((await verifyWebhook(secret, r.body, r.headers)).type).toBe('job.completed');
    // WEBHOOK_FIRST_RETRY_MS is 100 here: then 600 ms (each +0-10% jitter)
    const gaps = [(got[1]?.at ?? 0) - (got[0]?.at ?? 0), (got[2]?.at ?? 0) - (got[1]?.at ?? 0)];
    expect(gaps[0]).toBeGreaterThanOrEqual(100);
    expect(gaps[1]).toBeGreaterThanOrEqual(600);

    const done = await until(() => job(created.id, key), (j) => j.webhook?.pending === 0, 'delivered');
    expect(done.status).toBe('succeeded');
    expect(done.webhook?.attempts.map((a) => [a.number, a.status, a.outcome])).toEqual([
      [1, 503, 'retry'],
      [2, 503, 'retry'],
      [3, 204, 'delivered'],
    ]);
    expect(done.webhook?.lastStatus).toBe(204);
  });

  it('a forged signature, a changed body or another key\'s secret fails verifyWebhook()', async () => {
    const { key } = await createKey();
    const secret = await secretFor(key);
    const other = await secretFor((await createKey()).key);
    const path = `/${crypto.randomUUID()}`;
    await call('/v1/generations', { method: 'POST', key, json: { prompt: 'a sealed note', seed: 23, webhook: `https://hooks.test${path}`, webhookEvents: ['completed'] } });
    const [real] = await until(() => received(path), (r) => r.length >= 1, 'a delivery');
    if (!real) throw new Error('no delivery');
    await expect(verifyWebhook(secret, real.body, real.headers)).resolves.toBeDefined();
    const sig = real.headers['webhook-signature'] ?? '';
    const forged = `v1,${btoa('x'.repeat(32))}`;
    expect(forged).not.toBe(sig);
    await expect(verifyWebhook(secret, real.body, { ...real.headers, 'webhook-signature': forged })).rejects.toThrow(WebhookVerificationError);
    await expect(verifyWebhook(secret, real.body.replace('succeeded', 'failed'), real.headers)).rejects.toThrow(WebhookVerificationError);
    await expect(verifyWebhook(other, real.body, real.headers)).rejects.toThrow(WebhookVerificationError);
  });

  it('a receiver that keeps failing never changes the job\'s outcome', async () => {
    const { key } = await createKey();
    await secretFor(key);
    const path = `/${crypto.randomUUID()}`;
    const res = await call('/v1/generations', { method: 'POST', key, json: { prompt: 'a lost postcard', seed: 24, webhook: `https://hooks.test${path}?fail=1000` }, headers: { Prefer: 'wait=20' } });
    const created = await res.json<Job>();
    expect(created.status).toBe('succeeded');
    await until(() => received(path), (r) => r.length >= 3, 'retries');
    const later = await job(created.id, key);
    expect(later.status).toBe('succeeded');
    expect(later.images).toEqual(created.images);
    expect(later.webhook?.lastStatus).toBe(503);
    expect(later.webhook?.pending).toBeGreaterThan(0);
    expect(later.webhook?.attempts.every((a) => a.outcome === 'retry')).toBe(true);
  });

  it('refuses targets and fields the configuration does not allow, with a 400 naming the field', async () => {
    const { key } = await createKey();
    const bad = async (json: Record<string, unknown>) => {
      const res = await call('/v1/generations', { method: 'POST', key, json: { prompt: 'a refused hook', ...json } });
      expect(res.status).toBe(400);
      return (await res.json<{ error: { field?: string; message: string; allowed?: unknown[] } }>()).error;
    };
    // no secret yet
    expect((await bad({ webhook: 'https://hooks.test/x' })).message).toContain('POST /v1/webhooks/secret');
    await secretFor(key);
    const local = await bad({ webhook: 'http://127.0.0.1:9000/hook' });
    expect(local.field).toBe('webhook');
    expect(local.allowed).toEqual(['https:']);
    expect((await bad({ webhook: 'ftp://hooks.test/x' })).field).toBe('webhook');
    expect((await bad({ webhookEvents: ['completed'] })).field).toBe('webhookEvents');
    expect((await bad({ webhook: 'https://hooks.test/x', webhookEvents: ['progress'] })).field).toBe('webhookEvents.0');
    const upscale = await call(`/v1/images/${'0'.repeat(64)}/upscale`, { method: 'POST', key, json: { webhook: 'http://127.0.0.1/x' } });
    expect(upscale.status).toBe(400);
  });

  it('an upscale sends its webhook too', async () => {
    const { key } = await createKey();
    const secret = await secretFor(key);
    const base = await (await call('/v1/generations', { method: 'POST', key, json: { prompt: 'a small map', seed: 25 }, headers: { Prefer: 'wait=20' } })).json<Job>();
    const imageId = base.images[0]?.id ?? '';
    const path = `/${crypto.randomUUID()}`;
    const res = await call(`/v1/images/${imageId}/upscale`, { method: 'POST', key, json: { seed: 26, webhook: `https://hooks.test${path}`, webhookEvents: ['completed'] } });
    const up = await res.json<Job>();
    const done = await waitJob(up.id, key);
    expect(done.status).toBe('succeeded');
    const [hook] = await until(() => received(path), (r) => r.length >= 1, 'the upscale\'s webhook');
    const payload = await verifyWebhook(secret, hook?.body ?? '', hook?.headers ?? {});
    expect([payload.type, payload.data.kind, payload.data.parentImageId]).toEqual(['job.completed', 'upscale', imageId]);
  });
});

describe('webhook secrets in D1', () => {
  it('keep one secret per key', async () => {
    const { id, key } = await createKey();
    await secretFor(key);
    await secretFor(key);
    const rows = await env.DB.prepare('SELECT COUNT(*) AS n FROM webhook_secrets WHERE key_id = ?').bind(id).first<{ n: number }>();
    expect(rows?.n).toBe(1);
  });
});
