import { abortAllDurableObjects, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import type { RunnerModel } from '@imagen-ts/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { call, createKey, runnerA, runnerB, setMode, stats, waitJob } from '../../test/helpers.ts';
import { resetRunnerStates } from '../runner/runner-pool.ts';
import { canTransition, isTerminal, negativeFromEncoder } from './job-model.ts';
import type { JobObject } from './job-object.ts';

interface JobBody {
  id: string;
  status: string;
  attempts: number;
  images: { id: string; url: string }[];
  error: { code: string; message: string } | null;
}

interface Sse {
  id: number;
  event: string;
  data: Record<string, unknown>;
}

function parseSse(text: string): Sse[] {
  return text
    .split('\n\n')
    .map((block) => {
      const lines = block.split('\n');
      const get = (f: string) => lines.find((l) => l.startsWith(`${f}: `))?.slice(f.length + 2);
      const data = get('data');
      return data === undefined ? undefined : { id: Number(get('id')), event: get('event') ?? 'message', data: JSON.parse(data) as Record<string, unknown> };
    })
    .filter((e): e is Sse => e !== undefined);
}

async function create(key: string, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<{ res: Response; job: JobBody }> {
  const res = await call('/v1/generations', { method: 'POST', key, json: body, headers });
  return { res, job: await res.json<JobBody>() };
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

afterEach(async () => {
  await setMode(runnerA, 'ok');
  await setMode(runnerB, 'ok');
  resetRunnerStates();
});

describe('job state machine', () => {
  it('allows only queued → running → succeeded | failed | canceled', () => {
    expect(canTransition('queued', 'running')).toBe(true);
    expect(canTransition('queued', 'canceled')).toBe(true);
    expect(canTransition('running', 'succeeded')).toBe(true);
    expect(canTransition('running', 'queued')).toBe(false);
    expect(canTransition('queued', 'succeeded')).toBe(false);
    for (const t of ['succeeded', 'failed', 'canceled'] as const) {
      expect(isTerminal(t)).toBe(true);
      expect(canTransition(t, 'running')).toBe(false);
    }
  });
});

describe('jobs on the runner pool', () => {
  it('Prefer: wait returns the finished job (200); the log holds each transition once, in order, as stored', async () => {
    const { key } = await createKey();
    const { res, job } = await create(key, { prompt: 'a paper boat', seed: 3, n: 2 }, { Prefer: 'wait=20' });
    expect(res.status).toBe(200);
    expect(res.headers.get('Preference-Applied')).toBe('wait=20');
    expect(job.status).toBe('succeeded');
    expect(job.images).toHaveLength(2);

    const events = parseSse(await (await call(`/v1/jobs/${job.id}/events`, { key })).text());
    const states = events.filter((e) => e.event === 'state').map((e) => e.data.status);
    expect(states).toEqual(['queued', 'running', 'succeeded']);
    const ids = events.map((e) => e.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    // progress is passed through to live listeners, never written: a replay holds the states only
    expect(events.filter((e) => e.event === 'progress')).toEqual([]);

    const stub = env.JOBS.get(env.JOBS.idFromName(job.id));
    await runInDurableObject(stub, (_instance: JobObject, state) => {
      const stored = state.storage.kv.get<{ status: string }>('job');
      expect(stored?.status).toBe('succeeded');
      const rows = state.storage.sql.exec<{ type: string }>("SELECT type FROM events WHERE type = 'state'").toArray();
      expect(rows).toHaveLength(3);
    });
  });

  it('without Prefer answers 202 at once; SSE streams live progress and ends after the terminal state; Last-Event-ID resumes', async () => {
    const { key } = await createKey();
    await setMode(runnerA, 'slow');
    await setMode(runnerB, 'slow');
    const { res, job } = await create(key, { prompt: 'a slow snail', seed: 5 });
    expect(res.status).toBe(202);
    expect(res.headers.get('Location')).toBe(`/v1/jobs/${job.id}`);
    const stream = await call(`/v1/jobs/${job.id}/events`, { key });
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    const events = parseSse(await stream.text());
    expect(events.at(-1)?.data.status).toBe('succeeded');
    expect(events.filter((e) => e.event === 'progress').length).toBe(4);
    // previews go to live listeners as data URLs; the stored log keeps none
    expect(String(events.find((e) => e.data.step === 2)?.data.preview)).toMatch(/^data:image\/png;base64,iVBOR/);
    expect(events.find((e) => e.data.step === 2)?.data.previews).toEqual([0, 1].map(() => expect.stringMatching(/^data:image\/png;base64,iVBOR/) as unknown));

    const cut = events[2]?.id ?? 0;
    const rest = parseSse(await (await call(`/v1/jobs/${job.id}/events`, { key, headers: { 'Last-Event-ID': String(cut) } })).text());
    expect(rest.map((e) => e.id)).toEqual(events.filter((e) => e.id > cut).map((e) => e.id));
    expect(rest.some((e) => 'preview' in e.data)).toBe(false);
  });

  it('offers the same events over a WebSocket', async () => {
    const { key } = await createKey();
    const { job } = await create(key, { prompt: 'a socket', seed: 9 }, { Prefer: 'wait=20' });
    const res = await call(`/v1/jobs/${job.id}/events`, { key, headers: { Upgrade: 'websocket' } });
    expect(res.status).toBe(101);
    const ws = res.webSocket;
    if (!ws) throw new Error('no websocket');
    const got: { event: string; data: { status?: string } }[] = [];
    const closed = new Promise<void>((resolve) => ws.addEventListener('close', () => resolve()));
    ws.addEventListener('message', (m) => got.push(JSON.parse(String(m.data)) as (typeof got)[number]));
    ws.accept();
    await closed;
    expect(got.filter((e) => e.event === 'state').map((e) => e.data.status)).toEqual(['queued', 'running', 'succeeded']);
  });

  it("a newer runner's inline PNGs are stored without an image request; an older runner's are fetched; the same image either way", async () => {
    const { key } = await createKey();
    const on = async (runner: string, other: string) => {
      await setMode(other, 'down');
      resetRunnerStates();
      const before = (await stats(runner)).imageFetches;
      const { job } = await create(key, { prompt: 'a brass key', seed: 21, n: 2 }, { Prefer: 'wait=20' });
      expect(job.status).toBe('succeeded');
      await setMode(other, 'ok');
      return { ids: job.images.map((i) => i.id), fetches: (await stats(runner)).imageFetches - before };
    };
    const inline = await on(runnerA, runnerB);
    const fetched = await on(runnerB, runnerA);
    expect(inline.fetches).toBe(0);
    expect(fetched.fetches).toBe(2);
    expect(fetched.ids).toEqual(inline.ids);
    for (const id of inline.ids) expect((await call(`/v1/images/${id}`)).status).toBe(200);
  });

  it('a runner that dies mid-job: the job is retried on another runner and succeeds', async () => {
    const { key } = await createKey();
    await setMode(runnerA, 'die-mid-job');
    await setMode(runnerB, 'down');
    const before = (await stats(runnerA)).jobs.length;
    const { job } = await create(key, { prompt: 'a phoenix', seed: 11 });
    await until(async () => (await stats(runnerA)).jobs.length > before, 'runner A to get the job');
    await setMode(runnerB, 'ok');
    const done = (await waitJob(job.id, key)) as unknown as JobBody;
    expect(done.status).toBe('succeeded');
    expect(done.attempts).toBe(2);
    const events = parseSse(await (await call(`/v1/jobs/${job.id}/events`, { key })).text());
    const retry = events.find((e) => e.event === 'retry');
    expect(retry?.data.runner).toBe('http://runner-a.test');
    expect(String(retry?.data.reason)).toMatch(/broke|ended/);
    expect((await stats(runnerB)).jobs.some((j) => String(j.id).startsWith(job.id))).toBe(true);
  });

  it('a runner that stalls past RUNNER_STALL_SECONDS is given up and the job moves on', async () => {
    const { key } = await createKey();
    await setMode(runnerA, 'stall');
    await setMode(runnerB, 'down');
    const before = (await stats(runnerA)).jobs.length;
    const { job } = await create(key, { prompt: 'a frozen clock', seed: 12 });
    await until(async () => (await stats(runnerA)).jobs.length > before, 'runner A to get the job');
    await setMode(runnerB, 'ok');
    const done = (await waitJob(job.id, key)) as unknown as JobBody;
    expect(done.status).toBe('succeeded');
    expect(done.attempts).toBe(2);
    const events = parseSse(await (await call(`/v1/jobs/${job.id}/events`, { key })).text());
    expect(String(events.find((e) => e.event === 'retry')?.data.reason)).toContain('no event');
  });

  it('fails clearly once every attempt died', async () => {
    const { key } = await createKey();
    await setMode(runnerA, 'die-mid-job');
    await setMode(runnerB, 'die-mid-job');
    const { job } = await create(key, { prompt: 'a doomed ship', seed: 13 });
    const done = (await waitJob(job.id, key, 25_000)) as unknown as JobBody;
    expect(done.status).toBe('failed');
    expect(done.attempts).toBe(3);
    expect(done.error?.code).toBe('runner_failed');
    expect(done.error?.message).toContain('3 attempt(s)');
  });

  it('an object reset mid-job resumes the same runner attempt from its last event (the watchdog alarm)', async () => {
    const { key } = await createKey();
    await setMode(runnerA, 'slow');
    await setMode(runnerB, 'slow');
    const { job } = await create(key, { prompt: 'a restless tide', seed: 17 });
    await until(async () => (await (await call(`/v1/jobs/${job.id}`, { key })).json<{ progress: { step: number } | null }>()).progress !== null, 'first progress');
    await abortAllDurableObjects();
    const done = (await waitJob(job.id, key)) as unknown as JobBody;
    expect(done.status).toBe('succeeded');
    // the same attempt, not a retry: the runner ran the job once
    expect(done.attempts).toBe(1);
    const events = parseSse(await (await call(`/v1/jobs/${job.id}/events`, { key })).text());
    expect(events.filter((e) => e.event === 'state').map((e) => e.data.status)).toEqual(['queued', 'running', 'succeeded']);
  });

  it('a failure the runner calls final is not retried', async () => {
    const { key } = await createKey();
    await setMode(runnerA, 'fail-final');
    await setMode(runnerB, 'fail-final');
    const { job } = await create(key, { prompt: 'an impossible request', seed: 14 });
    const done = (await waitJob(job.id, key)) as unknown as JobBody;
    expect(done.status).toBe('failed');
    expect(done.attempts).toBe(1);
    expect(done.error).toEqual({ code: 'invalid_request', message: 'fake failure' });
  });

  it('cancel while running: canceled at once, the runner told; a second cancel is 409', async () => {
    const { key } = await createKey();
    await setMode(runnerA, 'slow');
    await setMode(runnerB, 'slow');
    const { job } = await create(key, { prompt: 'a long poem', seed: 15 });
    await until(async () => (await (await call(`/v1/jobs/${job.id}`, { key })).json<JobBody>()).status === 'running', 'running');
    const res = await call(`/v1/jobs/${job.id}/cancel`, { method: 'POST', key });
    expect(res.status).toBe(200);
    expect((await res.json<JobBody>()).status).toBe('canceled');
    const cancels = [...(await stats(runnerA)).cancels, ...(await stats(runnerB)).cancels];
    expect(cancels).toContain(`${job.id}.1`);
    const again = await call(`/v1/jobs/${job.id}/cancel`, { method: 'POST', key });
    expect(again.status).toBe(409);
    // it stays canceled: the runner's late events do not revive it
    await new Promise((r) => setTimeout(r, 700));
    expect((await (await call(`/v1/jobs/${job.id}`, { key })).json<JobBody>()).status).toBe('canceled');
  });

  it('Idempotency-Key: a retry returns the same job and runs it once; another body with the key is 409', async () => {
    const { key } = await createKey();
    const body = { prompt: `an idempotent owl ${crypto.randomUUID()}` };
    const headers = { 'Idempotency-Key': `idem-${crypto.randomUUID()}` };
    const first = await create(key, body, headers);
    const second = await create(key, body, headers);
    expect(second.job.id).toBe(first.job.id);
    expect(second.res.headers.get('Idempotent-Replayed')).toBe('true');
    await waitJob(first.job.id, key);
    const runs = [...(await stats(runnerA)).jobs, ...(await stats(runnerB)).jobs].filter((j) => String(j.id).startsWith(first.job.id));
    expect(runs).toHaveLength(1);
    const conflict = await create(key, { ...body, n: 2 }, headers);
    expect(conflict.res.status).toBe(409);
    // the same Idempotency-Key from another API key is another job
    const other = await createKey();
    expect((await create(other.key, body, headers)).job.id).not.toBe(first.job.id);
  });

  it('another key\'s job is 404 everywhere', async () => {
    const owner = await createKey();
    const stranger = await createKey();
    const { job } = await create(owner.key, { prompt: 'a private garden', seed: 16 }, { Prefer: 'wait=20' });
    for (const [path, method] of [[`/v1/jobs/${job.id}`, 'GET'], [`/v1/jobs/${job.id}/events`, 'GET'], [`/v1/jobs/${job.id}/cancel`, 'POST']] as const) {
      const res = await call(path, { key: stranger.key, method });
      expect(res.status, path).toBe(404);
      expect((await res.json<{ error: { code: string } }>()).error.code).toBe('not_found');
    }
  });

  it('503 with Retry-After when no runner is ready', async () => {
    const { key } = await createKey();
    await setMode(runnerA, 'down');
    await setMode(runnerB, 'down');
    const { res } = await create(key, { prompt: 'nobody home' });
    expect(res.status).toBe(503);
    expect(res.headers.get('Retry-After')).toBe('5');
  });
});

describe('the negative side of guidance', () => {
  const model = (nullPrompt: 'empty-prompt' | 'zeros'): RunnerModel => ({
    id: 'm',
    negativeEmbeddings: true,
    examplePrompts: [],
    textEncoder: { id: 't', sha256: 'a'.repeat(64), maxTokens: 8, nullPrompt },
    stages: [{ name: 'base64', resolution: 64, defaults: { steps: 1, sampler: 'ddim', guidance: 1 } }],
  });
  it('is encoded for a negative prompt, and for the null prompt of an empty-prompt model, not of a zeros model', () => {
    expect(negativeFromEncoder(model('empty-prompt'), '')).toBe(true);
    expect(negativeFromEncoder(model('zeros'), '')).toBe(false);
    expect(negativeFromEncoder(model('zeros'), 'blurry')).toBe(true);
  });
});
