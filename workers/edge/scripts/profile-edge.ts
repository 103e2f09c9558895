// npm run profile:edge -- [--seconds 15] [--burst 0] [--top 30]
// A V8 CPU profile of the edge's isolate under load. Starts one fixture runner and the
// edge (`wrangler dev`, as bench:edge does), then either sends waited generations one
// after another (default) or submits --burst N at once with Prefer: wait, and records
// a profile of the edge's worker and its job objects meanwhile, through wrangler dev's
// inspector proxy. That proxy refuses a WebSocket without an allowed Origin (miniflare
// checks Host and Origin), so this client sends `Origin: http://localhost`.
// Writes .local/profile-edge.cpuprofile (open it in Chrome DevTools' Performance panel)
// and prints the functions with the most samples, by line of the bundled worker.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { startEdge, startRunner } from '../../../test/integration/edge-harness.ts';
import { localDir } from './local.ts';

const int = (name: string, lo: number, hi: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < lo || n > hi) throw new InvalidArgumentError(`${name}: an integer in [${lo}, ${hi}]`);
  return n;
};
const opts = new Command('profile:edge')
  .option('--seconds <n>', 'how long to profile', int('--seconds', 1, 300), 15)
  .option('--burst <n>', 'submit N jobs at once instead of one after another (0: one after another)', int('--burst', 0, 5000), 0)
  .option('--top <n>', 'functions to print', int('--top', 1, 500), 30)
  .parse()
  .opts<{ seconds: number; burst: number; top: number }>();

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
}

/** records a CPU profile of the inspector's target for `ms` */
async function record(wsUrl: string, ms: number): Promise<Profile> {
  // Node's WebSocket (undici) takes a WebSocketInit with headers; the DOM lib's type knows only protocols
  const init = { headers: { origin: 'http://localhost' } } as unknown as string[];
  const ws = new WebSocket(wsUrl, init);
  await new Promise<void>((ok, fail) => {
    ws.onopen = () => ok();
    ws.onerror = () => fail(new Error(`inspector WebSocket ${wsUrl} refused or closed`));
  });
  const send = (id: number, method: string) => ws.send(JSON.stringify({ id, method, params: {} }));
  const stopped = new Promise<Profile>((ok, fail) => {
    ws.onmessage = (ev) => {
      const m = JSON.parse(String(ev.data)) as { id?: number; result?: { profile?: Profile }; error?: unknown };
      if (m.id === 3 && m.result?.profile) ok(m.result.profile);
      else if (m.id === 3 && m.error) fail(new Error(`Profiler.stop: ${JSON.stringify(m.error)}`));
    };
    ws.onclose = () => fail(new Error('inspector WebSocket closed before the profile came'));
  });
  send(1, 'Profiler.enable');
  send(2, 'Profiler.start');
  await new Promise((r) => setTimeout(r, ms));
  send(3, 'Profiler.stop');
  const profile = await stopped;
  ws.close();
  return profile;
}

const runner = await startRunner({});
const edge = await startEdge([runner.url], [{ name: 'profile', scopes: ['generate'], ratePerMinute: 1_000_000 }]);
const headers = { Authorization: `Bearer ${edge.keys.profile ?? ''}`, 'Content-Type': 'application/json', Prefer: 'wait=120' };
const generate = async (seed: number) => {
  const res = await fetch(`${edge.url}/v1/generations`, { method: 'POST', headers, body: JSON.stringify({ prompt: `profile prompt ${seed % 4}`, seed, size: 64, steps: 2 }) });
  await res.arrayBuffer();
};

try {
  for (let i = 0; i < 8; i++) await generate(i); // warm: isolates, embedding cache, runner
  const targets = (await (await fetch(`http://127.0.0.1:${edge.inspectorPort}/json/list`)).json()) as { webSocketDebuggerUrl: string }[];
  const target = targets[0]?.webSocketDebuggerUrl;
  if (!target) throw new Error('wrangler dev lists no inspector target');
  let running = true;
  let jobs = 0;
  const load = opts.burst > 0
    ? Promise.all(Array.from({ length: opts.burst }, (_, i) => generate(1000 + i).then(() => void jobs++)))
    : (async () => {
        while (running) await generate(1000 + jobs++);
      })();
  const profile = await record(target, opts.seconds * 1000);
  running = false;
  await load;

  const out = resolve(localDir, 'profile-edge.cpuprofile');
  writeFileSync(out, JSON.stringify(profile));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const counts = new Map<string, number>();
  for (const id of profile.samples) {
    const f = byId.get(id)?.callFrame;
    if (!f) continue;
    const where = f.url ? `${f.url.split('/').slice(-1)[0] ?? ''}:${f.lineNumber + 1}` : '';
    const key = `${f.functionName || '(anonymous)'} ${where}`.trim();
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const total = profile.samples.length;
  const lines = [`edge isolate, ${opts.seconds} s, ${opts.burst > 0 ? `a burst of ${opts.burst}` : 'waited jobs one after another'} (${jobs} ended in the window or since): ${total} samples`];
  for (const [key, n] of [...counts].sort((a, b) => b[1] - a[1]).slice(0, opts.top)) lines.push(`${String(n).padStart(7)} ${((100 * n) / total).toFixed(1).padStart(5)}%  ${key}`);
  lines.push(`profile: ${out}`);
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await edge.stop();
  await runner.stop();
}
