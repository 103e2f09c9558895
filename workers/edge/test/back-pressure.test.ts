// Back-pressure (issue 15): a runner's 429, or 503 with Retry-After, is not a failure.
// The job waits in its Durable Object, spends no attempt, leaves the runner in the pool,
// and runs once a runner has room; past QUEUE_TIMEOUT_SECONDS (10 s in this suite's
// config) it ends `queue_timeout`.
import { env } from 'cloudflare:workers';
import { jobErrorCodes, type Job } from '@imagen-ts/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { createRunnerPool, resetRunnerStates } from '../src/runner/runner-pool.ts';
import { call, createKey, runnerA, runnerB, setBusyRetryAfter, setCapacity, setEmbedBusy, setMode, stats, waitJob } from './helpers.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function view(id: string, key: string): Promise<Job> {
  return (await call(`/v1/jobs/${id}`, { key })).json<Job>();
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

async function eventTypes(id: string, key: string): Promise<string[]> {
  const text = await (await call(`/v1/jobs/${id}/events`, { key })).text();
  return [...text.matchAll(/^event: (\w+)$/gm)].map((m) => m[1] ?? '');
}

afterEach(async () => {
  for (const runner of [runnerA, runnerB]) {
    await setMode(runner, 'ok');
    await setCapacity(runner, null);
    await setEmbedBusy(runner, 0);
    await setBusyRetryAfter(runner, 1);
  }
  resetRunnerStates();
});

describe('back-pressure from runners', () => {
  it('429 and 503 + Retry-After: the job waits queued, spends no attempt, marks no runner bad, and runs once one has room', async () => {
    const { key } = await createKey();
    await setMode(runnerA, 'busy');
    await setMode(runnerB, 'loading');
    const res = await call('/v1/generations', { method: 'POST', key, json: { prompt: 'a patient heron', seed: 31 } });
    expect(res.status).toBe(202);
    const { id } = await res.json<Job>();
    await until(async () => ((await view(id, key)).queue?.deferrals ?? 0) >= 2, 'both runners to answer busy');

    const waiting = await view(id, key);
    expect(waiting).toMatchObject({ status: 'queued', attempts: 0, error: null, queue: { waiting: true } });
    expect(Date.parse(waiting.queue?.retryAt ?? '')).toBeGreaterThan(Date.now() - 100);
    expect(Date.parse(waiting.queue?.deadlineAt ?? '')).toBeGreaterThan(Date.now());
    expect((await stats(runnerA)).busyAnswers).toBeGreaterThanOrEqual(1);
    expect((await stats(runnerB)).busyAnswers).toBeGreaterThanOrEqual(1);
    // neither runner was taken out of the pool for answering busy
    expect(createRunnerPool(loadConfig(env)).snapshot().map((r) => r.failures)).toEqual([0, 0]);

    await setMode(runnerB, 'ok');
    const done = (await waitJob(id, key)) as unknown as Job;
    expect(done).toMatchObject({ status: 'succeeded', attempts: 1, error: null, queue: { waiting: false, retryAt: null, deadlineAt: null } });
    expect(done.queue?.deferrals).toBeGreaterThanOrEqual(2);
    // it waited at least one Retry-After (1 s) before a runner took it
    expect(done.queue?.waitMs).toBeGreaterThanOrEqual(900);
    expect(await eventTypes(id, key)).not.toContain('retry');
  });

  it('a burst larger than the runners\' queues: every job succeeds on its first attempt', async () => {
    const { key } = await createKey();
    await setCapacity(runnerA, 2);
    await setCapacity(runnerB, 2);
    const busyBefore = (await stats(runnerA)).busyAnswers + (await stats(runnerB)).busyAnswers;
    const created = await Promise.all(
      Array.from({ length: 16 }, (_, i) => call('/v1/generations', { method: 'POST', key, json: { prompt: 'a flock of starlings', seed: 100 + i } })),
    );
    expect(created.map((r) => r.status)).toEqual(created.map(() => 202));
    const ids = await Promise.all(created.map(async (r) => (await r.json<Job>()).id));
    const done = await Promise.all(ids.map(async (id) => (await waitJob(id, key, 60_000)) as unknown as Job));
    const busy = (await stats(runnerA)).busyAnswers + (await stats(runnerB)).busyAnswers - busyBefore;
    console.info(`[back-pressure] 16 jobs, capacity 2 + 2: ${busy} busy answers, waits up to ${Math.max(...done.map((j) => j.queue?.waitMs ?? 0))} ms`);
    expect(busy).toBeGreaterThan(0);
    expect(done.map((j) => j.status)).toEqual(done.map(() => 'succeeded'));
    expect(done.map((j) => j.attempts)).toEqual(done.map(() => 1));
  });

  it('what one job hears from a busy runner, the others use: they wait without sending it their requests', async () => {
    const { key } = await createKey();
    for (const runner of [runnerA, runnerB]) {
      await setMode(runner, 'busy');
      await setBusyRetryAfter(runner, 5);
    }
    const first = await (await call('/v1/generations', { method: 'POST', key, json: { prompt: 'a scout ant', seed: 40 } })).json<Job>();
    await until(async () => ((await view(first.id, key)).queue?.deferrals ?? 0) >= 2, 'both runners to answer the first job busy');
    const busyBefore = (await stats(runnerA)).busyAnswers + (await stats(runnerB)).busyAnswers;

    const more = await Promise.all(Array.from({ length: 10 }, (_, i) => call('/v1/generations', { method: 'POST', key, json: { prompt: 'a column of ants', seed: 41 + i } })));
    const ids = await Promise.all(more.map(async (r) => (await r.json<Job>()).id));
    await until(async () => (await Promise.all(ids.map((id) => view(id, key)))).every((j) => j.status === 'queued' && j.queue?.retryAt !== null), 'the ten jobs to wait');
    const views = await Promise.all(ids.map((id) => view(id, key)));
    expect(views.map((j) => j.queue?.waiting)).toEqual(views.map(() => true));
    // inside the runners' Retry-After (5 s) not one of the ten reached a runner
    expect((await stats(runnerA)).busyAnswers + (await stats(runnerB)).busyAnswers).toBe(busyBefore);

    for (const runner of [runnerA, runnerB]) await setMode(runner, 'ok');
    const done = await Promise.all([first.id, ...ids].map(async (id) => (await waitJob(id, key, 30_000)) as unknown as Job));
    expect(done.map((j) => j.status)).toEqual(done.map(() => 'succeeded'));
  });

  it('runners taken out under load but ready lately: a new job is accepted and waits for one, instead of a 503', async () => {
    const { key } = await createKey();
    const warm = await call('/v1/generations', { method: 'POST', key, json: { prompt: 'a lighthouse keeper', seed: 60 } });
    expect(warm.status).toBe(202);
    await waitJob((await warm.json<Job>()).id, key);
    // both runners go quiet, and a stall took them out (as under a burst)
    const pool = createRunnerPool(loadConfig(env));
    for (const runner of [runnerA, runnerB]) await setMode(runner, 'down');
    for (const spec of loadConfig(env).runners) pool.markBad(spec, 'no event for 15 s');

    const res = await call('/v1/generations', { method: 'POST', key, json: { prompt: 'a lighthouse in fog', seed: 61 } });
    expect(res.status).toBe(202);
    const { id } = await res.json<Job>();
    expect((await view(id, key)).status).toBe('queued');
    for (const runner of [runnerA, runnerB]) await setMode(runner, 'ok');
    const done = (await waitJob(id, key, 30_000)) as unknown as Job;
    expect(done).toMatchObject({ status: 'succeeded', error: null });

    // a runner never seen ready is no ground to accept a job: still a 503
    resetRunnerStates();
    for (const runner of [runnerA, runnerB]) await setMode(runner, 'down');
    const refused = await call('/v1/generations', { method: 'POST', key, json: { prompt: 'a lighthouse at night', seed: 62 } });
    expect(refused.status).toBe(503);
  });

  it('an encoder queue full at submission: the job is created all the same, and its object embeds the prompt once a runner has room', async () => {
    const { key } = await createKey();
    const prompt = `a queue at the encoder ${Date.now()}`;
    await setEmbedBusy(runnerA, 3);
    await setEmbedBusy(runnerB, 3);
    const res = await call('/v1/generations', { method: 'POST', key, json: { prompt, seed: 34 } });
    expect(res.status).toBe(202);
    expect(res.headers.get('x-embedding-cache')).toBe('miss');
    const { id } = await res.json<Job>();
    const done = (await waitJob(id, key, 30_000)) as unknown as Job;
    expect(done).toMatchObject({ status: 'succeeded', attempts: 1, error: null });
    const [a, b] = [await stats(runnerA), await stats(runnerB)];
    expect(a.embedBusyAnswers + b.embedBusyAnswers).toBeGreaterThanOrEqual(1);
    // embedded in the end, by whichever runner had room, and no runner taken out for being busy
    expect([...a.embedPrompts, ...b.embedPrompts]).toContain(prompt);
    expect(createRunnerPool(loadConfig(env)).snapshot().map((r) => r.failures)).toEqual([0, 0]);
  });

  it('a wait past QUEUE_TIMEOUT_SECONDS ends failed with queue_timeout and a clear message', async () => {
    const { key } = await createKey();
    await setMode(runnerA, 'busy');
    await setMode(runnerB, 'busy');
    const t0 = Date.now();
    const res = await call('/v1/generations', { method: 'POST', key, json: { prompt: 'a traffic jam', seed: 32 } });
    const done = (await waitJob((await res.json<Job>()).id, key, 25_000)) as unknown as Job;
    const took = Date.now() - t0;
    expect(done).toMatchObject({ status: 'failed', attempts: 0, queue: { waiting: false } });
    expect(done.error?.code).toBe(jobErrorCodes.queueTimeout);
    expect(done.error?.message).toMatch(/^no runner had room for \d+\.\d s \(the queue deadline is QUEUE_TIMEOUT_SECONDS = 10 s\); runners answered busy \d+ time\(s\)/);
    expect(took).toBeGreaterThanOrEqual(10_000);
    expect(took).toBeLessThan(16_000);
  });
});
