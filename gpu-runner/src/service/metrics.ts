// Prometheus metrics of one runner (own registry, so tests can build several apps).
import type { TerminalStatus } from '@imagen-ts/protocol';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type JobOutcome = TerminalStatus;

export interface RunnerMetrics {
  registry: Registry;
  queueDepth: Gauge;
  runningJobs: Gauge;
  batchSize: Histogram;
  batchesTotal: Counter;
  stepSeconds: Histogram<'stage'>;
  jobSeconds: Histogram<'outcome'>;
  jobsTotal: Counter<'outcome' | 'code'>;
  rejectedTotal: Counter<'reason'>;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  textEncoderRuns: Counter;
  /** where imagen_runner_text_encoder_runs_total reads the engine's running count (set once the engine is loaded) */
  watchTextEncoder(runs: () => number): void;
}

export function createMetrics(opts: { maxBatch: number; defaultMetrics?: boolean }): RunnerMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'imagen_runner_' });
  const batchBuckets: number[] = [];
  for (let b = 1; b <= opts.maxBatch; b *= 2) batchBuckets.push(b);
  if (batchBuckets[batchBuckets.length - 1] !== opts.maxBatch) batchBuckets.push(opts.maxBatch);
  const registers = [registry];
  let encoderRuns: (() => number) | undefined;
  let encoderRunsSeen = 0;
  const textEncoderRuns = new Counter({
    name: 'imagen_runner_text_encoder_runs_total',
    help: 'text-encoder runs (POST /v1/embed, jobs without embeddings or negativeEmbeddings, warm-up); prompts in the engine\'s embedding cache (RUNNER_EMBEDDING_CACHE) do not run it',
    registers,
    // The engine owns the count; a scrape adds what it ran since the last one.
    collect() {
      const now = encoderRuns?.() ?? encoderRunsSeen;
      if (now > encoderRunsSeen) textEncoderRuns.inc(now - encoderRunsSeen);
      encoderRunsSeen = now;
    },
  });
  return {
    textEncoderRuns,
    watchTextEncoder(runs) {
      encoderRuns = runs;
      encoderRunsSeen = 0;
    },
    registry,
    queueDepth: new Gauge({ name: 'imagen_runner_queue_depth', help: 'jobs waiting for the engine', registers }),
    runningJobs: new Gauge({ name: 'imagen_runner_running_jobs', help: 'jobs in the engine batch now running', registers }),
    batchSize: new Histogram({ name: 'imagen_runner_batch_size', help: 'images per engine batch', buckets: batchBuckets, registers }),
    batchesTotal: new Counter({ name: 'imagen_runner_batches_total', help: 'engine batches run', registers }),
    stepSeconds: new Histogram({
      name: 'imagen_runner_step_seconds',
      help: 'wall time of one denoising step of a whole batch',
      labelNames: ['stage'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    jobSeconds: new Histogram({
      name: 'imagen_runner_job_seconds',
      help: 'time from submission to outcome',
      labelNames: ['outcome'],
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
      registers,
    }),
    jobsTotal: new Counter({ name: 'imagen_runner_jobs_total', help: 'finished jobs by outcome', labelNames: ['outcome', 'code'], registers }),
    rejectedTotal: new Counter({ name: 'imagen_runner_rejected_total', help: 'submissions refused before queueing', labelNames: ['reason'], registers }),
    httpRequests: new Counter({ name: 'imagen_runner_http_requests_total', help: 'HTTP answers', labelNames: ['method', 'route', 'status'], registers }),
  };
}
