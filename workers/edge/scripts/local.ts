// Local development plumbing shared by the edge's scripts: where state lives,
// how wrangler is run (telemetry off, persisted under .local/wrangler), and the
// one place these scripts read process.env.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const edgeDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const repoRoot = resolve(edgeDir, '../..');
export const localDir = resolve(repoRoot, '.local');
export const wranglerBin = resolve(repoRoot, 'node_modules/wrangler/bin/wrangler.js');
export const devVarsFile = resolve(localDir, 'edge.dev.vars');
export const devKeyFile = resolve(localDir, 'dev-api-key');

const env = process.env;
/** EDGE_PERSIST_TO overrides where KV, D1, R2 and Durable Objects persist locally */
export const persistTo = resolve(env.EDGE_PERSIST_TO ?? resolve(localDir, 'wrangler'));
export const runnerUrl = env.EDGE_RUNNER_URL ?? 'http://127.0.0.1:8790';
export const edgePort = Number(env.EDGE_PORT ?? '8787');
/** bench:edge: the model the runner serves (default: the fixture) */
export const benchModelDir = env.BENCH_MODEL_DIR;

export function wranglerEnv(): NodeJS.ProcessEnv {
    // no telemetry, and no fetch of Cloudflare's cf.json: nothing leaves the machine
  return { ...env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_LOG_PATH: resolve(localDir, 'wrangler-logs') };
}

export function wrangler(args: string[], opts: { quiet?: boolean } = {}): SpawnSyncReturns<string> {
  const r = spawnSync(process.execPath, [wranglerBin, ...args], { cwd: edgeDir, env: wranglerEnv(), encoding: 'utf8' });
  if (r.status !== 0) {
    process.stderr.write(r.stdout + r.stderr);
    throw new Error(`wrangler ${args.slice(0, 3).join(' ')} failed (exit ${r.status})`);
  }
  if (!opts.quiet) process.stderr.write(r.stderr);
  return r;
}

/** applies migrations/ to the local D1 (idempotent) */
export function migrate(): void {
  mkdirSync(persistTo, { recursive: true });
  wrangler(['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', persistTo], { quiet: true });
}

export function d1(sql: string): unknown[] {
  const r = wrangler(['d1', 'execute', 'DB', '--local', '--persist-to', persistTo, '--json', '--command', sql], { quiet: true });
  const out = JSON.parse(r.stdout) as { results: unknown[] }[];
  return out[0]?.results ?? [];
}

/** the runner's dev signing key (gpu-runner writes .local/runner-keys.txt as "id:secret") */
export function runnerKeysFile(): string {
  return env.RUNNER_KEYS_FILE ?? resolve(localDir, 'runner-keys.txt');
}

/** .local/edge.dev.vars: the worker's secret for signing runner requests, and where the runner is */
export function writeDevVars(): string {
  const file = runnerKeysFile();
  if (!existsSync(file)) throw new Error(`${file} is missing: start the runner once (npm run start -w gpu-runner) or set RUNNER_KEYS_FILE`);
  const first = readFileSync(file, 'utf8').trim().split(',')[0] ?? '';
  const colon = first.indexOf(':');
  if (colon < 1) throw new Error(`${file}: expected "id:secret"`);
  const keyId = first.slice(0, colon).trim();
  const secret = first.slice(colon + 1).trim();
  const vars = {
    RUNNER_SIGNING_KEYS: JSON.stringify({ [keyId]: secret }),
    RUNNERS: JSON.stringify([{ url: runnerUrl, keyId }]),
    // local dev only: webhooks may go to a receiver on this machine over plain http
    WEBHOOK_ALLOW_LOCAL_HTTP: 'true',
  };
  mkdirSync(localDir, { recursive: true });
  // single quotes: dotenv takes the JSON literally
  writeFileSync(devVarsFile, Object.entries(vars).map(([k, v]) => `${k}='${v}'`).join('\n') + '\n', { mode: 0o600 });
  return devVarsFile;
}
