// `npm run attack:health-split`: where /health waits during a burst. Starts the attack's edge
// and two fixture runners, probes /health through wrangler dev's entry and on the edge's own
// workerd socket (found as `npm run floor:edge` finds it) side by side, each from its own
// worker thread, while N jobs are submitted at once with Prefer: wait; prints both summaries.
//   npm run attack:health-split -- [--jobs 600]
import { parseArgs } from 'node:util';
import { ownSocket, startEdge, startRunner } from '../integration/edge-harness.ts';
import { startHealthProbe, stallSummary } from './probes.ts';

const { values } = parseArgs({ options: { jobs: { type: 'string', default: '600' } } });
const jobs = Number(values.jobs);
if (!Number.isInteger(jobs) || jobs < 1 || jobs > 5000) throw new Error('--jobs: an integer in [1, 5000]');

// SCHED_IDLE, as in npm run attack: the runners stand in for GPU machines
const [a, b] = await Promise.all([startRunner({}, { schedIdle: true }), startRunner({}, { schedIdle: true })]);
const edge = await startEdge([a.url, b.url], [{ name: 'main', scopes: ['generate'], ratePerMinute: 1_000_000 }], { RUNNER_STALL_SECONDS: '15' });
try {
  const own = await ownSocket(edge);
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
