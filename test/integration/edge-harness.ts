// Starts real GPU runners (the fixture model) and the edge under `wrangler dev`
// (workerd, local KV/D1/R2/Durable Objects in a temporary folder), for the edge's
// integration tests and its benchmark. Every process is started here and ended
// here, by its own process-group id.
import { execSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { signRequest } from '@imagen-ts/protocol';
import { generateApiKey, insertKeySql, type Scope } from '../../workers/edge/src/keys.ts';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const fixtureModel = resolve(repoRoot, 'models/fixtures/tiny');
const wranglerBin = resolve(repoRoot, 'node_modules/wrangler/bin/wrangler.js');
const edgeDir = resolve(repoRoot, 'workers/edge');

export const signingKey = { keyId: 'edge-it', secret: randomBytes(24).toString('hex') };

// wrangler lets process.env override the env file: the edge's own variables must come from the file only
const { RUNNERS: _r, RUNNER_SIGNING_KEYS: _k, RUNNER_STALL_SECONDS: _s, MAX_ATTEMPTS: _m, QUEUE_TIMEOUT_SECONDS: _q, ...inherited } = process.env;
// X_LOCAL_OBSERVABILITY: wrangler's local trace collector (a tail stream per invocation) halved /health's
// cost on the edge's own socket when off (5.8 → 2.7 ms p50, npm run floor:edge); nothing here reads it
const baseEnv = { ...inherited, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', X_LOCAL_OBSERVABILITY: 'false' };

export function fixtureAvailable(): boolean {
  return existsSync(resolve(fixtureModel, 'manifest.json'));
}

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => ok(port));
    });
  });
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs: number, proc?: Proc): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (proc && proc.child.exitCode !== null) throw new Error(`${what}: the process exited (${proc.child.exitCode})\n${proc.output().slice(-3000)}`);
    if (await check().catch(() => false)) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${proc?.output().slice(-3000) ?? ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface Proc {
  child: ChildProcess;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

// Every process started here; whatever is still running when this process exits is
// killed, with what it started (wrangler's workerd).
const started = new Set<number>();
process.once('exit', () => {
  for (const pid of started) signalTree(processTree(pid), 'SIGKILL');
});

function signalTree(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/**
 * Children stay in this process's session, and so (kernel.sched_autogroup_enabled=1,
 * Debian's default) in its autogroup. The scheduler shares the CPUs between autogroups
 * first, and SCHED_IDLE ranks tasks only inside one: an idle runner in a session of its
 * own still delayed the edge by up to a slice at each of its wake-ups (in a burst the
 * edge's thread, 20 ms at a time, ran 1-3 ms and waited 15-19 ms for a CPU, while the
 * idle runners ran) — even with that session's autogroup at nice 19. In one session,
 * a waking edge preempts an idle runner at once: `attack:health-split`, edge's own socket,
 * 46-55 of ~1 000 probes over 200 ms (max 3.1 s) with sessions apart, 4/1 158 (max 439 ms)
 * in one. So a background job beside an attack run belongs in the same session too.
 */
function launch(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd = repoRoot, schedIdle = false): Proc {
  // `chrt` execs the command, so the pid (and every thread it starts) is the command's own
  const [file, argv] = schedIdle ? ['chrt', ['--idle', '0', cmd, ...args]] : [cmd, args];
  const child = spawn(file, argv, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid;
  if (pid !== undefined) started.add(pid);
  child.once('exit', () => {
    if (pid !== undefined) started.delete(pid);
  });
  let log = '';
  const keep = (b: Buffer) => {
    log = (log + b.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return {
    child,
    output: () => log,
    stop: (signal = 'SIGTERM') =>
      new Promise<void>((ok) => {
        const exited = () => child.exitCode !== null || child.signalCode !== null;
        if (exited() || pid === undefined) return ok();
        child.once('exit', () => ok());
        // the whole tree, taken now: once wrangler exits, its workerd is no longer its child
        const tree = processTree(pid);
        signalTree(tree, signal);
        setTimeout(() => {
          if (!exited()) signalTree([...new Set([...tree, ...processTree(pid)])], 'SIGKILL');
        }, 5000).unref();
      }),
  };
}

export interface RunnerProc extends Proc {
  url: string;
  /** a signed request to the runner, as the edge makes them */
  signed(method: 'GET' | 'POST', path: string, body?: string): Promise<Response>;
  /** a counter from the runner's /metrics, summed over label sets matching `labels` */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
}

export interface RunnerOptions {
  /**
   * Linux SCHED_IDLE: the runner gets only CPU nothing else wants. Where runners stand in
   * for GPU machines beside the edge, niceness is not enough: under EEVDF a waking edge
   * still waits out a busy runner's slice (nice 10 runners ran 600 ms/s, the nice 0 edge
   * 268 ms/s while waiting 600 ms/s for a CPU, from /proc/PID/schedstat). It works only
   * inside one autogroup, hence children stay in this session (launch).
   */
  schedIdle?: boolean;
}

export async function startRunner(extraEnv: Record<string, string> = {}, options: RunnerOptions = {}): Promise<RunnerProc> {
  // RUNNER_PORT may be given, to restart a runner where it was
  const port = extraEnv.RUNNER_PORT ? Number(extraEnv.RUNNER_PORT) : await freePort();
  const proc = launch(process.execPath, ['gpu-runner/src/server.ts'], {
    ...baseEnv,
    RUNNER_PORT: String(port),
    RUNNER_MODEL_DIR: fixtureModel,
    RUNNER_KEYS: `${signingKey.keyId}:${signingKey.secret}`,
    RUNNER_METRICS_PUBLIC: '1',
    RUNNER_THREADS: '1',
    RUNNER_PREVIEW_EVERY: '0',
    RUNNER_STATE_DIR: resolve(repoRoot, '.local/tmp/runner-state'),
    ...extraEnv,
  }, repoRoot, options.schedIdle);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${url}/v2/health/ready`)).ok, `runner on ${port}`, 120_000, proc).catch(async (e: unknown) => {
    await proc.stop();
    throw e;
  });
  return {
    ...proc,
    url,
    async signed(method, path, body) {
      const headers = await signRequest(signingKey, { method, path, host: new URL(url).host, body: body ?? '' });
      return fetch(`${url}${path}`, { method, headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body } : {}) });
    },
    async metric(name, labels = {}) {
      const text = await (await fetch(`${url}/metrics`)).text();
      let sum = 0;
      for (const line of text.split('\n')) {
        if (!line.startsWith(name)) continue;
        const m = /^([a-z_]+)(\{[^}]*\})? ([0-9.e+-]+)$/.exec(line);
        if (!m || m[1] !== name) continue;
        const labelText = m[2] ?? '';
        if (Object.entries(labels).every(([k, v]) => labelText.includes(`${k}="${v}"`))) sum += Number(m[3]);
      }
      return sum;
    },
  };
}

export interface EdgeProc extends Proc {
  url: string;
  /** wrangler dev's inspector (Chrome DevTools protocol; its WebSocket wants an allowed Origin) */
  inspectorPort: number;
  /** key → its API key string */
  keys: Record<string, string>;
  stateDir: string;
}

export interface EdgeKeySpec {
  name: string;
  scopes: Scope[];
  ratePerMinute: number;
}

export async function startEdge(runnerUrls: string[], keySpecs: EdgeKeySpec[], vars: Record<string, string> = {}): Promise<EdgeProc> {
  const tmpRoot = resolve(repoRoot, '.local/tmp');
  mkdirSync(tmpRoot, { recursive: true });
  const stateDir = mkdtempSync(resolve(tmpRoot, 'edge-it-'));
  const persist = resolve(stateDir, 'wrangler');
  const devVars = resolve(stateDir, 'dev.vars');
  const allVars: Record<string, string> = {
    RUNNERS: JSON.stringify(runnerUrls.map((url) => ({ url, keyId: signingKey.keyId }))),
    RUNNER_SIGNING_KEYS: JSON.stringify({ [signingKey.keyId]: signingKey.secret }),
    ...vars,
  };
  writeFileSync(devVars, Object.entries(allVars).map(([k, v]) => `${k}='${v}'`).join('\n') + '\n', { mode: 0o600 });

  const wrangler = (args: string[]) => {
    const r = spawnSync(process.execPath, [wranglerBin, ...args], { cwd: edgeDir, env: baseEnv, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`wrangler ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  };
  wrangler(['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', persist]);
  const keys: Record<string, string> = {};
  const sql: string[] = [];
  for (const spec of keySpecs) {
    const k = await generateApiKey();
    keys[spec.name] = k.key;
    sql.push(insertKeySql(k, spec.name, spec.scopes, spec.ratePerMinute));
  }
  if (sql.length > 0) wrangler(['d1', 'execute', 'DB', '--local', '--persist-to', persist, '--command', sql.join(' ')]);

  const { proc, url, inspectorPort } = await startWranglerDev({ cwd: edgeDir, persist, args: ['--env-file', devVars] }).catch((e: unknown) => {
    rmSync(stateDir, { recursive: true, force: true });
    throw e;
  });
  return {
    ...proc,
    url,
    inspectorPort,
    keys,
    stateDir,
    stop: async (signal) => {
      await proc.stop(signal);
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

export interface WranglerDevOptions {
  /** the worker's folder (its wrangler.jsonc, unless `config` names another) */
  cwd: string;
  config?: string;
  /** local state (--persist-to) */
  persist: string;
  /** extra `wrangler dev` arguments */
  args?: string[];
  /** answers 200 once the worker serves */
  readyPath?: string;
}

/** `wrangler dev --local` on a free 127.0.0.1 port, as the edge is run here */
export async function startWranglerDev(o: WranglerDevOptions): Promise<{ proc: Proc; url: string; inspectorPort: number }> {
  const port = await freePort();
  const inspectorPort = await freePort();
  const args = [wranglerBin, 'dev', '--local', '--ip', '127.0.0.1', '--port', String(port), '--persist-to', o.persist, '--show-interactive-dev-session=false', '--live-reload=false', '--log-level', 'warn', '--inspector-port', String(inspectorPort)];
  const proc = launch(process.execPath, [...args, ...(o.config ? ['--config', o.config] : []), ...(o.args ?? [])], baseEnv, o.cwd);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${url}${o.readyPath ?? '/health'}`)).ok, `wrangler dev on ${port}`, 90_000, proc).catch(async (e: unknown) => {
    await proc.stop();
    throw e;
  });
  return { proc, url, inspectorPort };
}

/** runs SQL against a running edge's local D1 (as an operator would with wrangler), e.g. to revoke a key; async, so callers keep polling meanwhile */
export function edgeSql(edge: EdgeProc, sql: string): Promise<void> {
  const child = spawn(process.execPath, [wranglerBin, 'd1', 'execute', 'DB', '--local', '--persist-to', resolve(edge.stateDir, 'wrangler'), '--command', sql], { cwd: edgeDir, env: baseEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  return new Promise((ok, fail) => {
    child.once('error', fail);
    child.once('exit', (code) => (code === 0 ? ok() : fail(new Error(`wrangler d1 execute: ${out.slice(-2000)}`))));
  });
}

/** the process and its descendants (Linux `ps`) */
export function processTree(root: number | undefined): number[] {
  const rows = execSync('ps -eo pid=,ppid=').toString().trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number));
  const all = root === undefined ? [] : [root];
  for (let i = 0; i < all.length; i++) for (const [pid, ppid] of rows) if (ppid === all[i] && pid !== undefined) all.push(pid);
  return all;
}

/**
 * A worker's own workerd socket under `wrangler dev`: the port of its process tree, other
 * than wrangler's entry, that answers GET /health (the entry's proxy worker forwards there).
 */
export async function ownSocket(worker: { url: string; child: ChildProcess }): Promise<string> {
  const entry = new URL(worker.url).port;
  const pids = processTree(worker.child.pid).map(String);
  const lines = execSync('ss -ltnp').toString().split('\n').filter((l) => pids.some((p) => l.includes(`pid=${p},`)));
  for (const l of lines) {
    const port = /127\.0\.0\.1:(\d+)/.exec(l)?.[1];
    if (!port || port === entry) continue;
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(1000) })).ok) return `http://127.0.0.1:${port}`;
    } catch {
      // not an HTTP socket of the worker
    }
  }
  throw new Error(`no socket of ${worker.url}'s workerd besides wrangler's entry answers /health`);
}
