// Issue 15's signing defects, in-process on the FAKE engine: a request captured
// for runner A is refused by runner B sharing the key; a restart (a new service on
// the same state dir) does not reopen the replay window; an unsigned or badly
// signed large body is refused on its headers, without being read.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { signRequest, signingHeaders } from '@imagen-ts/protocol';
import { createRunnerService, type RunnerService } from './app.ts';
import { createLogger } from './log.ts';
import { replayFileOf } from './request-auth.ts';
import { createFakeEngine } from './testing/fake-engine.ts';
import { testConfig, testKey } from './testing/harness.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function stateDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'runner-state-'));
  dirs.push(d);
  return d;
}

function service(runnerId: string, dir?: string, maxBodyBytes = 1 << 20): RunnerService {
  const s = createRunnerService({ ...testConfig, runnerId, maxBodyBytes, ...(dir === undefined ? {} : { stateDir: dir }) }, { logger: createLogger({ logPrompts: false, quiet: true }) });
  s.attachEngine(createFakeEngine());
  s.markReady();
  return s;
}

/** a signed request as the edge sends it to runner `target` at `host`, kept so it can be replayed */
async function captured(target: string, host: string, body: unknown): Promise<() => Request> {
  const text = JSON.stringify(body);
  const headers = await signRequest(testKey, { method: 'POST', path: '/v1/jobs', host, target, body: text });
  return () => new Request(`http://${host}/v1/jobs`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: text });
}

const job = (id: string) => ({ id, prompt: 'a red cube', size: 64, seed: 1 });

describe('signatures bind the target runner', () => {
  it('a request captured for runner A is refused by runner B sharing the key, whatever Host it claims', async () => {
    const a = service('gpu-a');
    const b = service('gpu-b');
    const req = await captured('gpu-a', 'a.internal:8790', job('x1'));
    const atB = await b.app.request(req());
    expect(atB.status).toBe(401);
    expect(((await atB.json()) as { error: { message: string } }).error.message).toContain('signed for target "gpu-a", this is "gpu-b"');
    // with the target header rewritten to B's id, the MAC no longer matches
    const forged = req();
    forged.headers.set(signingHeaders.target, 'gpu-b');
    expect(((await (await b.app.request(forged)).json()) as { error: { message: string } }).error.message).toContain('bad signature');
    expect(b.store.get('x1')).toBeUndefined();
    // A accepts it once; the same request at another host of A's is refused
    expect((await a.app.request(new Request('http://a.other:8790/v1/jobs', req()))).status).toBe(401);
    expect((await a.app.request(req())).status).toBe(202);
    expect((await a.app.request(req())).status).toBe(401);
  });
});

describe('replay after a restart', () => {
  it('a nonce seen before the restart is still refused after it (the replay file survives)', async () => {
    const dir = stateDir();
    const first = service('gpu-a', dir);
    const req = await captured('gpu-a', 'a.internal:8790', job('r1'));
    expect((await first.app.request(req())).status).toBe(202);
    await first.shutdown(0);
    // the restart: a new service, nothing in memory, the same state dir
    const second = service('gpu-a', dir);
    const replay = await second.app.request(req());
    expect(replay.status).toBe(401);
    expect(((await replay.json()) as { error: { message: string } }).error.message).toContain('replayed request');
    expect(second.store.get('r1')).toBeUndefined();
    // a fresh signature still works after the restart
    expect((await second.app.request((await captured('gpu-a', 'a.internal:8790', job('r2')))())).status).toBe(202);
    // one line per accepted nonce
    expect(readFileSync(replayFileOf(dir, 'gpu-a'), 'utf8').trim().split('\n')).toHaveLength(2);
    await second.shutdown(0);
  });
});

/** a body stream of `total` bytes that counts what the server pulled from it */
function countingBody(total: number, chunk = 64 * 1024): { stream: ReadableStream<Uint8Array>; pulled: () => number } {
  let sent = 0;
  const bytes = new Uint8Array(chunk).fill(0x7b);
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (sent >= total) return controller.close();
        const n = Math.min(chunk, total - sent);
        sent += n;
        controller.enqueue(bytes.subarray(0, n));
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, pulled: () => sent };
}

function post(s: RunnerService, headers: Record<string, string>, body: ReadableStream<Uint8Array>): Promise<Response> {
  return Promise.resolve(s.app.request(new Request('http://localhost/v1/jobs', { method: 'POST', headers, body, duplex: 'half' } as RequestInit)));
}

describe('headers first, body streamed under the cap', () => {
  const big = 16 << 20;

  it('refuses an unsigned or badly signed 16 MiB body on its headers, without reading it', async () => {
    const s = service('runner-test', undefined, big);
    const unsigned = countingBody(big);
    const r1 = await post(s, { 'content-type': 'application/json' }, unsigned.stream);
    expect(r1.status).toBe(401);
    expect(r1.headers.get('connection')).toBe('close');
    const wrongKey = await signRequest({ keyId: 'nobody', secret: 'x'.repeat(20) }, { method: 'POST', path: '/v1/jobs', host: 'localhost', target: 'runner-test', body: 'x' });
    const badKey = countingBody(big);
    expect((await post(s, wrongKey, badKey.stream)).status).toBe(401);
    const stale = await signRequest(testKey, { method: 'POST', path: '/v1/jobs', host: 'localhost', target: 'runner-test', body: 'x', timestamp: 1_000_000 });
    const staleBody = countingBody(big);
    expect((await post(s, stale, staleBody.stream)).status).toBe(401);
    // at most the first chunk is pulled (the stream is started), never the 16 MiB
    for (const b of [unsigned, badKey, staleBody]) expect(b.pulled()).toBeLessThanOrEqual(64 * 1024);
  });

  it('streams a signed body under the cap and stops reading past it (413)', async () => {
    const cap = 1 << 20;
    const s = service('runner-test', undefined, cap);
    // well signed headers for some other body: the digest is computed as the body streams
    const h = await signRequest(testKey, { method: 'POST', path: '/v1/jobs', host: 'localhost', target: 'runner-test', body: 'x' });
    const over = countingBody(big);
    const res = await post(s, h, over.stream);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('body_too_large');
    expect(over.pulled()).toBeLessThanOrEqual(cap + 2 * 64 * 1024);
    // under the cap, a wrong body is read whole and fails the MAC (it was signed for "x")
    const under = countingBody(cap - 1);
    const h2 = await signRequest(testKey, { method: 'POST', path: '/v1/jobs', host: 'localhost', target: 'runner-test', body: 'x' });
    const res2 = await post(s, h2, under.stream);
    expect(res2.status).toBe(401);
    expect(((await res2.json()) as { error: { message: string } }).error.message).toContain('bad signature');
  });
});
