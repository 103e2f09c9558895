// npm run floor:edge — what a request through local `wrangler dev` costs before the
// edge does any work, and the CPU a waited generation burns in each process. Starts
// one runner (fixture model) and the edge, then prints:
//   1. p50 of GET /health through wrangler's entry (its proxy worker, in one workerd),
//      straight to the edge's own workerd socket, and the runner's GET /v2/health/live;
//   2. CPU ms per waited 64 px generation (+ its image GET) for each process, from
//      /proc (Linux only), over 30 warm jobs;
//   3. the platform floor: a worker with none of our code (test/platform-floor/) doing
//      only the durable writes one job makes — a job object's record three times, a
//      10 KiB R2 object and a D1 row — p50 on its own workerd socket, per kind of write;
//      and, three times, /health on that socket (probed every 50 ms) while 600 requests
//      that store nothing arrive at once through wrangler's entry, as the attack's burst does.
// Context for npm run bench:edge: its edge path makes two such requests per job.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { stallSummary, startHealthProbe } from '../../../test/attack/probes.ts';
import { ownSocket, processTree as tree, repoRoot, startEdge, startRunner, startWranglerDev } from '../../../test/integration/edge-harness.ts';

const runner = await startRunner({});
const edge = await startEdge([runner.url], [{ name: 'floor', scopes: ['generate'], ratePerMinute: 100_000 }]);
const auth = { Authorization: `Bearer ${edge.keys.floor ?? ''}`, 'Content-Type': 'application/json' };

async function p50(f: () => Promise<unknown>, n = 60): Promise<number> {
  for (let i = 0; i < 5; i++) await f();
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await f();
    xs.push(performance.now() - t);
  }
  return xs.sort((a, b) => a - b)[Math.floor(n / 2)] ?? NaN;
}

const cpuMs = (pid: number) => {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(f[11]) + Number(f[12])) * 10; // utime + stime, in 10 ms ticks
  } catch {
    return 0;
  }
};
const nameOf = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, 3).join(' ').replace(/\S*\/node_modules\//g, '').slice(0, 70);

async function generate(seed: number): Promise<void> {
  const res = await fetch(`${edge.url}/v1/generations`, { method: 'POST', headers: { ...auth, Prefer: 'wait=60' }, body: JSON.stringify({ prompt: 'a lighthouse on a cliff at dawn', seed, size: 64, steps: 2 }) });
  const job = (await res.json()) as { images: { url: string }[] };
  await (await fetch(`${edge.url}${job.images[0]?.url ?? ''}`)).arrayBuffer();
}

async function platformFloor(f: (x: number) => string): Promise<string[]> {
  const persist = mkdtempSync(resolve(repoRoot, '.local/tmp/platform-floor-'));
  const { proc, url } = await startWranglerDev({ cwd: resolve(repoRoot, 'workers/edge/test/platform-floor'), persist, readyPath: '/health' });
  try {
    await fetch(`${url}/setup`);
    const base = await ownSocket({ url, child: proc.child });
    const post = (path: string) => async () => (await fetch(`${base}${path}`, { method: 'POST' })).text();
    const out = ['platform floor: a worker with none of our code (its own workerd socket), p50 of 60'];
    const rows: [string, string][] = [
      ['/noop', 'a request, nothing stored'],
      ['/object', 'a new job object, one record write'],
      ['/r2', 'one 10 KiB R2 put'],
      ['/d1', 'one D1 INSERT'],
      ['/job', "one job's writes: 3 records, R2 + D1"],
    ];
    for (const [path, what] of rows) out.push(`  ${what.padEnd(38)} ${f(await p50(post(path)))}`);
    for (let i = 0; i < 3; i++) out.push(`  ${burstOfArrivals} requests at once, nothing stored: ${await arrivals(url, base)}`);
    return out;
  } finally {
    await proc.stop();
    rmSync(persist, { recursive: true, force: true });
  }
}

const burstOfArrivals = 600;

/** /health on the worker's own socket while `burstOfArrivals` requests that store nothing come in at once */
async function arrivals(entry: string, own: string): Promise<string> {
  const probe = startHealthProbe(own, 50);
  await new Promise((r) => setTimeout(r, 500));
  const t0 = performance.now();
  await Promise.all(Array.from({ length: burstOfArrivals }, async () => (await fetch(`${entry}/noop`, { method: 'POST' })).text()));
  await new Promise((r) => setTimeout(r, 300));
  await probe.stop();
  return stallSummary(probe.since(t0));
}

try {
  const inner = await ownSocket(edge);
  const get = (url: string) => async () => (await fetch(url)).text();
  const f = (x: number) => `${x.toFixed(1).padStart(6)} ms`;
  const out = [`GET /health p50 (60 requests each)`, `  through wrangler dev's entry     ${f(await p50(get(`${edge.url}/health`)))}`];
  out.push(`  the edge's own workerd socket    ${f(await p50(get(`${inner}/health`)))}`);
  out.push(`  runner /v2/health/live           ${f(await p50(get(`${runner.url}/v2/health/live`)))}`);

  for (let i = 0; i < 10; i++) await generate(i);
  const pids = [...tree(edge.child.pid), ...tree(runner.child.pid)];
  const before = pids.map(cpuMs);
  const jobs = 30;
  for (let i = 0; i < jobs; i++) await generate(100 + i);
  out.push(`CPU per waited generation + image GET (${jobs} jobs)`);
  pids.forEach((pid, i) => {
    const ms = (cpuMs(pid) - (before[i] ?? 0)) / jobs;
    if (ms > 0) out.push(`  ${f(ms)}  ${nameOf(pid)}`);
  });
  out.push(...(await platformFloor(f)));
  process.stdout.write(`${out.join('\n')}\n`);
} finally {
  await edge.stop();
  await runner.stop();
}
