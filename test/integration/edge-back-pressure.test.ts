// Back-pressure end to end (issue 15): the edge under `wrangler dev` against two REAL
// runners whose queues hold one job each (RUNNER_QUEUE_LIMIT=1), so a burst draws
// their 429 queue_full with Retry-After. Every job must succeed on its first attempt.
// Skipped when the fixture is missing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureAvailable, startEdge, startRunner, type EdgeProc, type RunnerProc } from './edge-harness.ts';

interface JobBody {
  id: string;
  status: string;
  attempts: number;
  error: { code: string; message: string } | null;
  queue?: { waiting: boolean; waitMs: number; deferrals: number };
}

const burst = 12;
let runners: RunnerProc[] = [];
let edge: EdgeProc;

const suite = fixtureAvailable() ? describe : describe.skip;

suite('back-pressure from real runners (wrangler dev, fixture model, queue limit 1)', () => {
  beforeAll(async () => {
    runners = await Promise.all([startRunner({ RUNNER_QUEUE_LIMIT: '1' }), startRunner({ RUNNER_QUEUE_LIMIT: '1' })]);
    edge = await startEdge(
      runners.map((r) => r.url),
      [{ name: 'main', scopes: ['generate'], ratePerMinute: 10_000 }],
      { RUNNER_STALL_SECONDS: '30', QUEUE_TIMEOUT_SECONDS: '120' },
    );
  }, 240_000);

  afterAll(async () => {
    await Promise.all([edge?.stop(), ...runners.map((r) => r.stop())]);
  });

  it(`${burst} jobs at once: the runners answer 429, and every job succeeds on its first attempt`, async () => {
    const key = edge.keys.main ?? '';
    const headers = { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' };
    const rejectedBefore = (await Promise.all(runners.map((r) => r.metric('imagen_runner_rejected_total', { reason: 'queue_full' })))).reduce((a, b) => a + b, 0);
    const created = await Promise.all(
      Array.from({ length: burst }, (_, i) =>
        fetch(`${edge.url}/v1/generations`, { method: 'POST', headers, body: JSON.stringify({ prompt: 'a red circle', seed: 500 + i, size: 64, steps: 2 }) }),
      ),
    );
    expect(created.map((r) => r.status)).toEqual(created.map(() => 202));
    const ids = await Promise.all(created.map(async (r) => ((await r.json()) as JobBody).id));
    const done = await Promise.all(
      ids.map(async (id) => {
        for (let i = 0; i < 900; i++) {
          const job = (await (await fetch(`${edge.url}/v1/jobs/${id}`, { headers })).json()) as JobBody;
          if (job.status !== 'queued' && job.status !== 'running') return job;
          await new Promise((r) => setTimeout(r, 200));
        }
        throw new Error(`job ${id} never finished`);
      }),
    );
    const rejected = (await Promise.all(runners.map((r) => r.metric('imagen_runner_rejected_total', { reason: 'queue_full' })))).reduce((a, b) => a + b, 0) - rejectedBefore;
    console.info(`[back-pressure] ${burst} jobs, 2 runners with queue limit 1: ${rejected} answers 429, longest wait ${Math.max(...done.map((j) => j.queue?.waitMs ?? 0))} ms`);
    expect(rejected).toBeGreaterThan(0);
    expect(done.map((j) => `${j.status}${j.error ? ` ${j.error.code}` : ''}`)).toEqual(done.map(() => 'succeeded'));
    expect(done.map((j) => j.attempts)).toEqual(done.map(() => 1));
  }, 240_000);
});
