// Starts a REAL runner (src/server.ts) as a child process of this Node
// (process.execPath) on a random free port, and talks to it with signed requests.
// Used by the process-level tests and by the load generator (bench-runner/).
import { type ChildProcess, spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { signRequest, type SigningKey } from '@imagen-ts/protocol';

export const serverEntry = fileURLToPath(new URL('../../server.ts', import.meta.url));
export const fixtureModelDir = fileURLToPath(new URL('../../../../models/fixtures/tiny', import.meta.url));

export interface SpawnedRunner {
  base: string;
  port: number;
  key: SigningKey;
  proc: ChildProcess;
  /** everything the runner wrote to stderr (its JSON log lines) */
  log(): string;
  /** a signed request; `body` objects are sent as JSON */
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
  /** sends the signal and resolves with the exit code */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

export async function spawnRunner(env: Record<string, string> = {}, opts: { readyTimeoutMs?: number } = {}): Promise<SpawnedRunner> {
  const key: SigningKey = { keyId: 'itest', secret: `itest-secret-${Math.random().toString(36).slice(2)}-0123456789` };
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    RUNNER_PORT: '0',
    RUNNER_HOST: '127.0.0.1',
    RUNNER_MODEL_DIR: fixtureModelDir,
    RUNNER_THREADS: '1',
    RUNNER_KEYS: `${key.keyId}:${key.secret}`,
    // replay files (one per runner id, i.e. per port) outside the repository
    RUNNER_STATE_DIR: join(tmpdir(), 'imagen-runner-state'),
    ...env,
  };
  delete childEnv.RUNNER_KEYS_FILE;
  const proc = spawn(process.execPath, [serverEntry], {
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr?.setEncoding('utf8');
  proc.stderr?.on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));

  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    proc.stdout?.setEncoding('utf8');
    proc.stdout?.on('data', (d: string) => {
      out += d;
      const m = /RUNNER LISTENING (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    void exited.then((code) => reject(new Error(`runner exited (${code}) before listening:\n${stderr}`)));
  });
  const base = `http://127.0.0.1:${port}`;

  const until = Date.now() + (opts.readyTimeoutMs ?? 30_000);
  for (;;) {
    const res = await fetch(`${base}/v2/health/ready`).catch(() => undefined);
    if (res?.status === 200) break;
    await res?.body?.cancel();
    if (proc.exitCode !== null) throw new Error(`runner exited (${proc.exitCode}) before ready:\n${stderr}`);
    if (Date.now() > until) throw new Error(`runner not ready after ${opts.readyTimeoutMs ?? 30_000} ms:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }

  return {
    base,
    port,
    key,
    proc,
    exited,
    log: () => stderr,
    async call(method, path, body, headers = {}) {
      const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
      const signed = await signRequest(key, { method, path, host: `127.0.0.1:${port}`, ...(text === undefined ? {} : { body: text }) });
      return fetch(`${base}${path}`, {
        method,
        headers: { ...signed, ...(text === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        ...(text === undefined ? {} : { body: text }),
      });
    },
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

export interface SseEvent {
  id: number;
  event: string;
  data: Record<string, unknown>;
}

/** reads an SSE response until the stream ends (or `stopAfter` says so), parsing id/event/data */
export async function readSse(res: Response, stopAfter?: (e: SseEvent) => boolean): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  const reader = res.body?.pipeThrough(new TextDecoderStream()).getReader();
  if (!reader) return events;
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += value;
    let cut;
    while ((cut = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, cut);
      buf = buf.slice(cut + 2);
      const e: Partial<SseEvent> = {};
      for (const line of block.split('\n')) {
        if (line.startsWith('id: ')) e.id = Number(line.slice(4));
        else if (line.startsWith('event: ')) e.event = line.slice(7);
        else if (line.startsWith('data: ')) e.data = JSON.parse(line.slice(6)) as Record<string, unknown>;
      }
      if (e.event === undefined || e.id === undefined) continue;
      const event = { id: e.id, event: e.event, data: e.data ?? {} };
      events.push(event);
      if (stopAfter?.(event)) {
        await reader.cancel();
        return events;
      }
    }
  }
  return events;
}
