// The pieces of the attack run: an edge client that counts 5xx, a /health prober
// that measures stalls, and job polling. Everything talks to 127.0.0.1 only.
import { Worker } from 'node:worker_threads';

export interface Row {
  check: string;
  sent: string;
  expected: string;
  got: string;
  ok: boolean;
}

export interface EdgeClient {
  call(path: string, init?: RequestInit & { key?: string }): Promise<Response>;
  /** requests sent so far */
  sent: { count: number };
  /** responses with status >= 500, and requests that got no response */
  fivexx: { count: number; samples: string[] };
}

export function createEdgeClient(base: string, defaultKey: string): EdgeClient {
  const fivexx = { count: 0, samples: [] as string[] };
  const sent = { count: 0 };
  return {
    fivexx,
    sent,
    async call(path, init = {}) {
      sent.count++;
      const { key = defaultKey, headers, ...rest } = init;
      const h = new Headers(headers);
      if (key && !h.has('authorization')) h.set('authorization', `Bearer ${key}`);
      try {
        const res = await fetch(`${base}${path}`, { ...rest, headers: h });
        if (res.status >= 500) {
          fivexx.count++;
          if (fivexx.samples.length < 5) fivexx.samples.push(`${init.method ?? 'GET'} ${path} → ${res.status}`);
        }
        return res;
      } catch (e) {
        fivexx.count++;
        if (fivexx.samples.length < 5) fivexx.samples.push(`${init.method ?? 'GET'} ${path} → ${e instanceof Error ? e.message : String(e)}`);
        throw e;
      }
    },
  };
}

export interface HealthProbe {
  /** latencies (ms) of the probes that finished since `from` (performance.now()) */
  since(from: number): number[];
  stop(): Promise<void>;
}

/**
 * GET /health every `everyMs`, one at a time, recording each latency. Runs in a worker
 * thread (health-probe-worker.ts), so the attack's own load cannot delay the probe.
 */
export function startHealthProbe(base: string, everyMs = 100): HealthProbe {
  const samples: { at: number; ms: number }[] = [];
  const worker = new Worker(new URL('./health-probe-worker.ts', import.meta.url), { workerData: { url: `${base}/health`, everyMs } });
  const stopped = new Promise<void>((resolve) => {
    worker.on('message', (m: { at: number; ms: number } | 'stopped') => {
      if (m === 'stopped') return resolve();
      // sent as absolute time: back on this thread's performance.now() scale
      const at = m.at - performance.timeOrigin;
      samples.push({ at, ms: m.ms });
      // when, beside the phase lines, so a stall can be laid at a phase's door
      if (m.ms > stallMs) process.stderr.write(`[attack] +${(at / 1000).toFixed(1)} s: /health took ${Math.round(m.ms)} ms\n`);
    });
    worker.on('error', () => resolve());
    worker.on('exit', () => resolve());
  });
  return {
    since: (from) => samples.filter((s) => s.at >= from).map((s) => s.ms),
    async stop() {
      worker.postMessage('stop');
      await stopped;
      await worker.terminate();
    },
  };
}

export const stallMs = 200;

export function stallSummary(ms: number[]): string {
  const over = ms.filter((m) => m > stallMs).length;
  return `${over}/${ms.length} /health probes > ${stallMs} ms (max ${Math.round(Math.max(0, ...ms))} ms)`;
}

export interface JobView {
  id: string;
  status: string;
  error: { code: string; message: string } | null;
}

const terminal = new Set(['succeeded', 'failed', 'canceled']);

/** polls GET /v1/jobs/:id for every id until all are terminal or `timeoutMs` passes; at most `parallel` requests at once */
export async function pollJobs(edge: EdgeClient, ids: string[], timeoutMs: number, parallel = 8): Promise<Map<string, JobView>> {
  const last = new Map<string, JobView>();
  const end = Date.now() + timeoutMs;
  let pending = [...ids];
  while (pending.length > 0 && Date.now() < end) {
    const queue = [...pending];
    await Promise.all(
      Array.from({ length: parallel }, async () => {
        for (let id = queue.pop(); id !== undefined; id = queue.pop()) {
          const res = await edge.call(`/v1/jobs/${id}`).catch(() => undefined);
          if (res?.ok) last.set(id, (await res.json()) as JobView);
          else await res?.body?.cancel();
        }
      }),
    );
    pending = pending.filter((id) => !terminal.has(last.get(id)?.status ?? ''));
    if (pending.length > 0) await new Promise((r) => setTimeout(r, 1000));
  }
  return last;
}

export function tally<T>(items: Iterable<T>, keyOf: (t: T) => string): string {
  const counts = new Map<string, number>();
  for (const it of items) counts.set(keyOf(it), (counts.get(keyOf(it)) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${n} ${k}`).join(', ') || 'none';
}

export function printTable(rows: Row[]): void {
  const lines = ['| check | sent | expected | got | ok |', '|---|---|---|---|---|'];
  for (const r of rows) lines.push(`| ${r.check} | ${r.sent} | ${r.expected} | ${r.got} | ${r.ok ? 'yes' : '**NO**'} |`);
  process.stdout.write(`${lines.join('\n')}\n`);
}
