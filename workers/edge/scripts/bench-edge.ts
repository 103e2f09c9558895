// npm run bench:edge — what the edge costs, and what its embedding cache saves.
// Starts one runner (the fixture model, unless BENCH_MODEL_DIR names another)
// and the edge under `wrangler dev`, then measures:
//   1. a cache-hit generation through the edge vs the same job sent straight to
//      the runner (signed, with the same embeddings), end to end; through wrangler
//      dev's entry (its proxy worker, a second workerd, which production does not
//      have) and on the edge's own workerd socket;
//   2. getting embeddings: the edge's KV hit vs the runner's /v1/embed;
//   3. runner encoder calls for one prompt repeated through the edge.
// Writes .local/bench-edge.json.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { bytesToBase64 } from '@imagen-ts/protocol';
import { ownSocket, startEdge, startRunner } from '../../../test/integration/edge-harness.ts';
import { benchModelDir, localDir } from './local.ts';

const rounds = 12;
const repeats = 20;
const body = { prompt: 'a lighthouse on a cliff at dawn', seed: 1, size: 64, steps: 2 };

function stats(xs: number[]): { median: number; p90: number; min: number } {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
  return { median: at(0.5), p90: at(0.9), min: s[0] ?? NaN };
}

const runner = await startRunner(benchModelDir ? { RUNNER_MODEL_DIR: benchModelDir } : {});
const edge = await startEdge([runner.url], [{ name: 'bench', scopes: ['generate'], ratePerMinute: 100_000 }]);
const key = edge.keys.bench ?? '';
const auth = { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' };

async function viaEdge(seed: number, base = edge.url): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${base}/v1/generations`, { method: 'POST', headers: { ...auth, Prefer: 'wait=120' }, body: JSON.stringify({ ...body, seed }) });
  const job = (await res.json()) as { status: string; images: { url: string }[] };
  if (job.status !== 'succeeded') throw new Error(`edge job ${job.status}`);
  await (await fetch(`${base}${job.images[0]?.url ?? ''}`)).arrayBuffer();
  return performance.now() - t0;
}

async function direct(seed: number, embeddings: string, negative: string, id: string): Promise<number> {
  const t0 = performance.now();
  const submit = await runner.signed('POST', '/v1/jobs', JSON.stringify({ id, prompt: body.prompt, embeddings, negativeEmbeddings: negative, seed, size: 64, stages: { base64: { steps: 2 } } }));
  if (!submit.ok) throw new Error(`runner submit ${submit.status}: ${await submit.text()}`);
  const events = await runner.signed('GET', `/v1/jobs/${id}/events`);
  const text = await events.text();
  if (!text.includes('event: succeeded')) throw new Error(`runner job did not succeed: ${text.slice(-300)}`);
  await (await runner.signed('GET', `/v1/jobs/${id}/images/0`)).arrayBuffer();
  return performance.now() - t0;
}

try {
  // warm: the cache, the isolates, the runner's batch path
  const embedBefore = await runner.metric('imagen_runner_http_requests_total', { route: '/v1/embed' });
  for (let i = 0; i < repeats; i++) await viaEdge(1000 + i);
  const embedCalls = (await runner.metric('imagen_runner_http_requests_total', { route: '/v1/embed' })) - embedBefore;

  const embed = async (prompt: string) => new Uint8Array(await (await runner.signed('POST', '/v1/embed', JSON.stringify({ prompts: [prompt] }))).arrayBuffer());
  const emb = bytesToBase64(await embed(body.prompt));
  const neg = bytesToBase64(await embed(''));

  const own = await ownSocket(edge);
  const edgeMs: number[] = [];
  const ownMs: number[] = [];
  const directMs: number[] = [];
  for (let i = 0; i < rounds; i++) {
    // interleaved, so drift in the machine's load hits every side alike
    edgeMs.push(await viaEdge(2000 + i));
    ownMs.push(await viaEdge(3000 + i, own));
    directMs.push(await direct(2000 + i, emb, neg, `bench-${Date.now()}-${i}`));
  }

  const embedMs: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    await embed(body.prompt);
    embedMs.push(performance.now() - t0);
  }

  const e = stats(edgeMs);
  const o = stats(ownMs);
  const d = stats(directMs);
  const result = {
    model: benchModelDir ?? 'models/fixtures/tiny',
    request: body,
    rounds,
    edgeCacheHitMs: e,
    runnerDirectMs: d,
    edgeOverheadMs: { median: e.median - d.median, p90: e.p90 - d.p90 },
    edgeOwnSocketMs: o,
    edgeOverheadOwnSocketMs: { median: o.median - d.median, p90: o.p90 - d.p90 },
    runnerEmbedMs: stats(embedMs),
    repeatedPrompt: { requests: repeats, runnerEmbedCalls: embedCalls, withoutCache: repeats * 2 },
  };
  writeFileSync(resolve(localDir, 'bench-edge.json'), `${JSON.stringify(result, null, 2)}\n`);
  const f = (x: number) => x.toFixed(1).padStart(8);
  process.stdout.write(
    [
      `edge bench (${result.model}, 64 px, 2 steps, ${rounds} rounds)`,
      `                              median      p90      min  (ms)`,
      `edge, cache hit, end to end ${f(e.median)} ${f(e.p90)} ${f(e.min)}`,
      `runner direct, same job     ${f(d.median)} ${f(d.p90)} ${f(d.min)}`,
      `edge overhead               ${f(e.median - d.median)} ${f(e.p90 - d.p90)}`,
      `edge, its own workerd socket${f(o.median)} ${f(o.p90)} ${f(o.min)}`,
      `overhead, no wrangler proxy ${f(o.median - d.median)} ${f(o.p90 - d.p90)}`,
      `runner /v1/embed (a miss)   ${f(stats(embedMs).median)} ${f(stats(embedMs).p90)} ${f(stats(embedMs).min)}`,
      `one prompt × ${repeats} through the edge: ${embedCalls} runner /v1/embed call(s) (prompt + null prompt; ${repeats * 2} without the cache)`,
      '',
    ].join('\n'),
  );
} finally {
  await edge.stop();
  await runner.stop();
}
