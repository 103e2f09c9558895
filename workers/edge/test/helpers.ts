// Test helpers inside workerd: API keys, requests to the worker, the fake runner's controls.
import { exports, env } from 'cloudflare:workers';
import { generateApiKey, type Scope } from '../src/keys.ts';
import type { RunnerMode } from './fake-runner.ts';

export const runnerA = 'runner-a.test';
export const runnerB = 'runner-b.test';

export async function createKey(scopes: Scope[] = ['generate', 'notebooks'], ratePerMinute = 10_000): Promise<{ id: string; key: string }> {
  const k = await generateApiKey();
  await env.DB.prepare('INSERT INTO api_keys (id, name, key_hash, scopes, rate_limit_per_minute, created_at) VALUES (?, ?, ?, ?, ?, ?)')
    .bind(k.id, `test-${k.id}`, k.hash, scopes.join(','), ratePerMinute, new Date().toISOString())
    .run();
  return { id: k.id, key: k.key };
}

export function call(path: string, init: RequestInit & { key?: string; json?: unknown } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.key !== undefined) headers.set('Authorization', `Bearer ${init.key}`);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set('Content-Type', 'application/json');
    body = JSON.stringify(init.json);
  }
  return exports.default.fetch(new Request(`http://edge.test${path}`, { ...init, headers, body: body ?? null }));
}

export async function setMode(runner: string, mode: RunnerMode): Promise<void> {
  const res = await fetch(`http://control.test/__control/mode?runner=${runner}`, { method: 'POST', body: JSON.stringify({ mode }) });
  if (!res.ok) throw new Error(`control: ${res.status}`);
}

/** at most `capacity` unfinished jobs on the runner; more are answered 429 with Retry-After (null: no limit) */
export async function setCapacity(runner: string, capacity: number | null): Promise<void> {
  const res = await fetch(`http://control.test/__control/capacity?runner=${runner}`, { method: 'POST', body: JSON.stringify({ capacity }) });
  if (!res.ok) throw new Error(`control: ${res.status}`);
}

/** the Retry-After (s) the runner's 429 to POST /v1/jobs carries (1 unless set) */
export async function setBusyRetryAfter(runner: string, seconds: number): Promise<void> {
  const res = await fetch(`http://control.test/__control/busy-retry-after?runner=${runner}`, { method: 'POST', body: JSON.stringify({ seconds }) });
  if (!res.ok) throw new Error(`control: ${res.status}`);
}

/** the runner answers its next `count` POST /v1/embed calls 429 queue_full with Retry-After: 1 */
export async function setEmbedBusy(runner: string, count: number): Promise<void> {
  const res = await fetch(`http://control.test/__control/embed-busy?runner=${runner}`, { method: 'POST', body: JSON.stringify({ count }) });
  if (!res.ok) throw new Error(`control: ${res.status}`);
}

export interface RunnerStats {
  mode: RunnerMode;
  embedCalls: number;
  embedPrompts: string[];
  tokenizeCalls: number;
  jobs: Record<string, unknown>[];
  cancels: string[];
  busyAnswers: number;
  embedBusyAnswers: number;
  imageFetches: number;
}

export async function stats(runner: string): Promise<RunnerStats> {
  return (await fetch(`http://control.test/__control/stats?runner=${runner}`)).json<RunnerStats>();
}

export async function resetRunners(): Promise<void> {
  await fetch('http://control.test/__control/reset', { method: 'POST' });
}

export async function totalEmbedCalls(): Promise<number> {
  return (await stats(runnerA)).embedCalls + (await stats(runnerB)).embedCalls;
}

/** polls a job until it is terminal */
export async function waitJob(id: string, key: string, timeoutMs = 20_000): Promise<Record<string, unknown> & { status: string }> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await call(`/v1/jobs/${id}`, { key });
    const job = await res.json<Record<string, unknown> & { status: string }>();
    if (['succeeded', 'failed', 'canceled'].includes(job.status)) return job;
    if (Date.now() > until) throw new Error(`job ${id} still ${job.status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
