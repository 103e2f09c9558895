// npm run trace:edge — where a generation's time goes inside the edge. Starts one
// runner (fixture model) and the edge under `wrangler dev`, sends 8 waited 64 px
// generations, and prints for each, in ms since the request was sent: when the job
// object recorded `queued`, `running` and `succeeded` (from the job's own event log),
// when the response arrived, and how long the image GET took. Compare with
// `npm run bench:edge`'s "runner direct" time for the runner's own share.
import { startEdge, startRunner } from '../../../test/integration/edge-harness.ts';

interface StateEvent {
  status?: string;
  updatedAt?: string;
}

const runner = await startRunner({});
const edge = await startEdge([runner.url], [{ name: 'trace', scopes: ['generate'], ratePerMinute: 100_000 }]);
const auth = { Authorization: `Bearer ${edge.keys.trace ?? ''}`, 'Content-Type': 'application/json' };
try {
  for (let i = 0; i < 8; i++) {
    const t0 = Date.now();
    const res = await fetch(`${edge.url}/v1/generations`, {
      method: 'POST',
      headers: { ...auth, Prefer: 'wait=60' },
      body: JSON.stringify({ prompt: 'a lighthouse on a cliff at dawn', seed: 100 + i, size: 64, steps: 2 }),
    });
    const job = (await res.json()) as { id: string; status: string; images: { url: string }[] };
    if (job.status !== 'succeeded') throw new Error(`job ${job.id} is ${job.status}`);
    const t1 = Date.now();
    await (await fetch(`${edge.url}${job.images[0]?.url ?? ''}`, { headers: auth })).arrayBuffer();
    const t2 = Date.now();
    const log = await (await fetch(`${edge.url}/v1/jobs/${job.id}/events`, { headers: { ...auth, Accept: 'text/event-stream' } })).text();
    const states = [...log.matchAll(/event: state\ndata: (.*)\n/g)].map((m) => JSON.parse(m[1] ?? '{}') as StateEvent);
    const at = states.map((s) => `${s.status ?? '?'} ${s.updatedAt ? Date.parse(s.updatedAt) - t0 : '?'}`).join(', ');
    process.stdout.write(`${i === 0 ? '(cold) ' : ''}${at}, response ${t1 - t0}; image GET ${t2 - t1} ms\n`);
  }
} finally {
  await edge.stop();
  await runner.stop();
}
