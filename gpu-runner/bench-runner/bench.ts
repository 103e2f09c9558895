// Load generator for the GPU runner: images/s and latency at several
// concurrencies (closed loop: each client submits, follows the job's SSE stream
// to the end, submits again), then the share of 429s when a burst overruns the
// queue limit. Starts its own runner (fixture model by default) unless --url.
//   npm run bench:runner -- --size 64 --jobs 24 --concurrency 1,4,8
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { Command } from 'commander';
import { isTerminalStatus, signRequest, type SigningKey } from '@imagen-ts/protocol';
import { fixtureModelDir, readSse, spawnRunner, type SpawnedRunner } from '../src/service/testing/spawn-runner.ts';

interface Options {
  url?: string;
  keysFile?: string;
  model: string;
  device: string;
  threads: string;
  size: string;
  jobs: string;
  concurrency: string;
  maxBatch: string;
  batchWaitMs: string;
  queueLimit: string;
  burst: string;
  json?: string;
}

const program = new Command()
  .name('bench-runner')
  .description('load generator for the imagen-ts GPU runner')
  .option('--url <url>', 'an already running runner (default: start one)')
  .option('--keys-file <file>', 'id:secret file for --url (default .local/runner-keys.txt)')
  .option('--model <dir>', 'model folder for the runner this bench starts', fixtureModelDir)
  .option('--device <device>', 'cpu | cuda', 'cpu')
  .option('--threads <n>', 'ORT intra-op threads of the started runner', '2')
  .option('--size <px>', 'output size of every job', '64')
  .option('--jobs <n>', 'jobs per concurrency level', '24')
  .option('--concurrency <list>', 'closed-loop client counts', '1,4,8')
  .option('--max-batch <n>', 'RUNNER_MAX_BATCH of the started runner', '4')
  .option('--batch-wait-ms <ms>', 'RUNNER_BATCH_WAIT_MS of the started runner', '25')
  .option('--queue-limit <n>', 'RUNNER_QUEUE_LIMIT of the started runner', '8')
  .option('--burst <n>', 'simultaneous submissions in the 429 phase', '32')
  .option('--json <file>', 'also write the results as JSON');

interface Level {
  concurrency: number;
  jobs: number;
  imagesPerSecond: number;
  p50Ms: number;
  p95Ms: number;
  meanBatch: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[i] ?? NaN;
}

async function main(): Promise<void> {
  const o = program.parse().opts<Options>();
  const size = Number(o.size);
  let runner: SpawnedRunner | undefined;
  let base: string;
  let key: SigningKey;
  if (o.url) {
    base = o.url.replace(/\/$/, '');
    const text = readFileSync(o.keysFile ?? new URL('../../.local/runner-keys.txt', import.meta.url), 'utf8').trim();
    const [keyId = '', ...rest] = (text.split(',')[0] ?? '').split(':');
    key = { keyId, secret: rest.join(':') };
  } else {
    runner = await spawnRunner(
      {
        RUNNER_MODEL_DIR: o.model,
        RUNNER_DEVICE: o.device,
        RUNNER_THREADS: o.threads,
        RUNNER_MAX_BATCH: o.maxBatch,
        RUNNER_BATCH_WAIT_MS: o.batchWaitMs,
        RUNNER_QUEUE_LIMIT: o.queueLimit,
        RUNNER_PREVIEW_EVERY: '0',
      },
      { readyTimeoutMs: 600_000 },
    );
    base = runner.base;
    key = runner.key;
  }
  const call = async (method: string, path: string, body?: unknown): Promise<Response> => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const headers = await signRequest(key, { method, path, host: new URL(base).host, ...(text === undefined ? {} : { body: text }) });
    return fetch(`${base}${path}`, { method, headers: { ...headers, 'content-type': 'application/json' }, ...(text === undefined ? {} : { body: text }) });
  };
  const batchStats = async (): Promise<{ sum: number; count: number }> => {
    const m = await (await call('GET', '/metrics')).text();
    const num = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(m)?.[1] ?? NaN);
    return { sum: num('imagen_runner_batch_size_sum'), count: num('imagen_runner_batch_size_count') };
  };
  const run = Math.random().toString(36).slice(2, 8);

  // one job, followed to its end over SSE; resolves with its latency
  async function oneJob(id: string, seed: number): Promise<number> {
    const t0 = performance.now();
    const res = await call('POST', '/v1/jobs', { id, prompt: 'a bench prompt', seed, size, n: 1 });
    if (res.status !== 202) throw new Error(`submit ${id}: ${res.status} ${await res.text()}`);
    await res.body?.cancel();
    const events = await readSse(await call('GET', `/v1/jobs/${id}/events`), (e) => isTerminalStatus(e.event));
    const last = events.at(-1);
    if (last?.event !== 'succeeded') throw new Error(`job ${id} ended ${last?.event}: ${JSON.stringify(last?.data)}`);
    return performance.now() - t0;
  }

  await oneJob(`bench-${run}-warm`, 0);
  const levels: Level[] = [];
  for (const c of o.concurrency.split(',').map(Number)) {
    const total = Number(o.jobs);
    let next = 0;
    const latencies: number[] = [];
    const before = await batchStats();
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: c }, async () => {
        for (let i = next++; i < total; i = next++) latencies.push(await oneJob(`bench-${run}-c${c}-${i}`, i + 1));
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const after = await batchStats();
    latencies.sort((a, b) => a - b);
    const level = {
      concurrency: c,
      jobs: total,
      imagesPerSecond: total / seconds,
      p50Ms: percentile(latencies, 0.5),
      p95Ms: percentile(latencies, 0.95),
      meanBatch: (after.sum - before.sum) / Math.max(1, after.count - before.count),
    };
    levels.push(level);
    process.stderr.write(`concurrency ${c}: ${level.imagesPerSecond.toFixed(2)} images/s, p50 ${level.p50Ms.toFixed(0)} ms, p95 ${level.p95Ms.toFixed(0)} ms\n`);
  }

  // Overload: a burst of simultaneous submissions against the queue limit.
  const burst = Number(o.burst);
  const statuses = await Promise.all(
    Array.from({ length: burst }, async (_, i) => {
      const res = await call('POST', '/v1/jobs', { id: `bench-${run}-burst-${i}`, prompt: 'burst', seed: i, size, n: 1 });
      await res.body?.cancel();
      return res.status;
    }),
  );
  const rejected = statuses.filter((s) => s === 429).length;
  const accepted = statuses.filter((s) => s === 202).length;
  for (let i = 0; i < burst; i++) await (await call('POST', `/v1/jobs/bench-${run}-burst-${i}/cancel`)).body?.cancel();

  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const machine = `${cpu}, ${cpus().length} cores visible, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, device ${o.device}, ${o.threads} ORT threads`;
  const rows = levels.map((l) => `| ${l.concurrency} | ${l.jobs} | ${l.imagesPerSecond.toFixed(2)} | ${l.p50Ms.toFixed(0)} | ${l.p95Ms.toFixed(0)} | ${l.meanBatch.toFixed(2)} |`);
  const table = [
    `Machine: ${machine}. Model: ${o.url ? 'the --url runner\'s' : o.model}; size ${size}; max batch ${o.maxBatch}, batch wait ${o.batchWaitMs} ms.`,
    '',
    '| concurrency | jobs | images/s | p50 ms | p95 ms | mean batch |',
    '|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    `Burst of ${burst} simultaneous submissions at queue limit ${o.queueLimit}: ${accepted} accepted, ${rejected} answered 429 (${((100 * rejected) / burst).toFixed(0)} %).`,
  ].join('\n');
  process.stdout.write(`${table}\n`);
  if (o.json) {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(o.json, JSON.stringify({ machine, size, levels, burst: { size: burst, accepted, rejected, queueLimit: Number(o.queueLimit) } }, null, 2));
  }
  await runner?.stop();
}

main().catch((e: unknown) => {
  process.stderr.write(`bench-runner: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
