// `npm run attack:health-split`: where /health waits during a burst. Starts the attack's edge
// and two fixture runners, probes /health through wrangler dev's entry and on the edge's own
// workerd socket (found as `npm run floor:edge` finds it) side by side, each from its own
// worker thread, while N jobs are submitted at once with Prefer: wait; prints both summaries.
//   npm run attack:health-split -- [--jobs 600]
import { execSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { startEdge, startRunner } from '../integration/edge-harness.ts';
import { startHealthProbe, stallSummary } from './probes.ts';

const { values } = parseArgs({ options: { jobs: { type: 'string', default: '600' } } });
const jobs = Number(values.jobs);
if (!Number.isInteger(jobs) || jobs < 1 || jobs > 5000) throw new Error('--jobs: an integer in [1, 5000]');

/** the process and its descendants */
function tree(root: number | undefined): string[] {
  const rows = execSync('ps -eo pid=,ppid=').toString().trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number));
  const all = root === undefined ? [] : [root];
  for (let i = 0; i < all.length; i++) for (const [pid, ppid] of rows) if (ppid === all[i] && pid !== undefined) all.push(pid);
  return all.map(String);
}

/** a port of the edge's process tree, other than wrangler's entry, that answers GET /health */
async function ownSocket(entryUrl: string, root: number | undefined): Promise<string> {
  const entry = new URL(entryUrl).port;
  const pids = tree(root);
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
  throw new Error('no socket of the edge besides wrangler’s entry answers /health');
}

// SCHED_IDLE, as in npm run attack: the runners stand in for GPU machines
const [a, b] = await Promise.all([startRunner({}, { schedIdle: true }), startRunner({}, { schedIdle: true })]);
const edge = await startEdge([a.url, b.url], [{ name: 'main', scopes: ['generate'], ratePerMinute: 1_000_000 }], { RUNNER_STALL_SECONDS: '15' });
try {
  const own = await ownSocket(edge.url, edge.child.pid);
  const viaEntry = startHealthProbe(edge.url);
  const direct = startHealthProbe(own);
  const t0 = performance.now();
  const statuses = await Promise.all(
    Array.from({ length: jobs }, async (_, i) => {
      const res = await fetch(`${edge.url}/v1/generations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${edge.keys.main ?? ''}`, 'content-type': 'application/json', prefer: 'wait=120' },
        body: JSON.stringify({ prompt: `burst prompt ${i % 4}`, seed: i + 1, size: 64 }),
      });
      return ((await res.json()) as { status?: string }).status ?? String(res.status);
    }),
  );
  await Promise.all([viaEntry.stop(), direct.stop()]);
  const done = statuses.filter((s) => s === 'succeeded').length;
  console.log(`${jobs} jobs in ${((performance.now() - t0) / 1000).toFixed(0)} s (${done} succeeded within their wait)`);
  console.log(`via wrangler's entry     ${stallSummary(viaEntry.since(t0))}`);
  console.log(`the edge's own socket    ${stallSummary(direct.since(t0))}`);
} finally {
  await Promise.all([edge.stop(), a.stop(), b.stop()]);
}
