// SIGTERM drain of the REAL runner (fixture model, child process), observed
// through signed callbacks to a local receiver: running jobs finish within the
// grace period or fail after it, queued ones fail, new work gets 503, exit 0.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier } from '@imagen-ts/protocol';
import { spawnRunner, type SpawnedRunner } from './testing/spawn-runner.ts';

interface Received {
  path: string;
  verified: boolean;
  payload: { jobId: string; event: { id: number; type: string; data: Record<string, unknown> } };
}

let receiver: Server;
let receiverBase = '';
const received: Received[] = [];
let verify: ((req: { method: string; path: string; host: string; headers: Headers; body: Uint8Array }) => Promise<{ ok: boolean }>) | undefined;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = new Uint8Array(Buffer.concat(chunks));
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
      void (async () => {
        const ok = verify ? (await verify({ method: req.method ?? '', path: req.url ?? '', host: req.headers.host ?? '', headers, body })).ok : false;
        received.push({ path: req.url ?? '', verified: ok, payload: JSON.parse(Buffer.from(body).toString('utf8')) as Received['payload'] });
        res.writeHead(ok ? 204 : 401).end();
      })();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverBase = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => receiver.close(() => r())));

async function waitRunning(R: SpawnedRunner, id: string): Promise<void> {
  for (;;) {
    const { job } = (await (await R.call('GET', `/v1/jobs/${id}`)).json()) as { job: { status: string; progress: unknown } };
    if (job.status === 'running' && job.progress) return;
    if (job.status !== 'queued' && job.status !== 'running') throw new Error(`job ${id} is ${job.status}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function eventsOf(jobId: string): Received[] {
  return received.filter((r) => r.payload.jobId === jobId);
}

async function spawnWithReceiver(env: Record<string, string>): Promise<SpawnedRunner> {
  const R = await spawnRunner({ RUNNER_MAX_BATCH: '1', RUNNER_BATCH_WAIT_MS: '0', RUNNER_CALLBACK_ALLOWLIST: 'http://127.0.0.1:*', ...env });
  verify = createVerifier({ keys: { [R.key.keyId]: R.key.secret } });
  return R;
}

describe('SIGTERM drain (real runner)', () => {
  it('finishes the running job within the grace period, fails the queued one, refuses new work, exits 0', async () => {
    const R = await spawnWithReceiver({ RUNNER_SHUTDOWN_GRACE_MS: '30000' });
    expect((await R.call('POST', '/v1/jobs', { id: 'run', prompt: 'x', seed: 1, size: 256, callbackUrl: `${receiverBase}/hook/run` })).status).toBe(202);
    expect((await R.call('POST', '/v1/jobs', { id: 'wait', prompt: 'x', seed: 2, size: 64, callbackUrl: `${receiverBase}/hook/wait` })).status).toBe(202);
    await waitRunning(R, 'run');
    R.proc.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 50));
    const refused = await R.call('POST', '/v1/jobs', { id: 'late', prompt: 'x', seed: 3, size: 64 }).catch(() => undefined);
    // the runner answers 503 while it drains (or has already closed its socket)
    if (refused) {
      expect(refused.status).toBe(503);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('shutting_down');
    }
    expect(await R.exited).toBe(0);

    const run = eventsOf('run');
    expect(run.every((r) => r.verified && r.path === '/hook/run')).toBe(true);
    expect(run[0]?.payload.event.type).toBe('queued');
    expect(run.at(-1)?.payload.event.type).toBe('succeeded');
    const wait = eventsOf('wait');
    expect(wait.map((r) => r.payload.event.type)).toEqual(['queued', 'failed']);
    expect(wait[1]?.payload.event.data).toMatchObject({ code: 'shutting_down', retryable: true });
    expect(R.log()).toContain('"msg":"stopped"');
  });

  it('fails a running job that outlives the grace period, reports it, exits 0', async () => {
    const R = await spawnWithReceiver({ RUNNER_SHUTDOWN_GRACE_MS: '100' });
    expect((await R.call('POST', '/v1/jobs', { id: 'slow', prompt: 'x', seed: 1, size: 1024, callbackUrl: `${receiverBase}/hook/slow` })).status).toBe(202);
    await waitRunning(R, 'slow');
    R.proc.kill('SIGTERM');
    expect(await R.exited).toBe(0);
    const slow = eventsOf('slow');
    expect(slow.every((r) => r.verified)).toBe(true);
    const last = slow.at(-1)?.payload.event;
    expect(last?.type).toBe('failed');
    expect(last?.data).toMatchObject({ code: 'shutting_down', retryable: true });
    // it stopped between steps, before the last stage
    expect(slow.some((r) => r.payload.event.type === 'progress' && r.payload.event.data.stage === 'sr1024')).toBe(false);
  });
});
