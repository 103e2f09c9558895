// One function per row of the attack table. Each sends its payload, measures what
// came back, and says what was expected; none of them assumes the fix is there.
import { signRequest, signingHeaders } from '@imagen-ts/protocol';
import { keyIdOf } from '../../workers/edge/src/keys.ts';
import { edgeSql, signingKey, startRunner, type EdgeProc, type RunnerOptions, type RunnerProc } from '../integration/edge-harness.ts';
import { badAuthHeaders, colonlessParametersPng, deepNotebookJson, ztxtBombPng } from './payloads.ts';
import { pollJobs, stallMs, stallSummary, tally, type EdgeClient, type HealthProbe, type JobView, type Row } from './probes.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function badKeys(edge: EdgeClient, n: number): Promise<Row> {
  const paths: [string, string][] = [['POST', '/v1/generations'], ['GET', '/v1/jobs/x'], ['GET', '/v1/notebooks'], ['POST', '/v1/images/inspect']];
  const statuses: number[] = [];
  for (const [i, headers] of (await badAuthHeaders(n)).entries()) {
    const [method, path] = paths[i % paths.length] as [string, string];
    const res = await edge.call(path, { method, key: '', headers: { ...headers, 'content-type': 'application/json' }, ...(method === 'POST' ? { body: '{"prompt":"x"}' } : {}) });
    await res.body?.cancel();
    statuses.push(res.status);
  }
  const refused = statuses.filter((s) => s === 401).length;
  return { check: 'bad API keys', sent: `${n} requests: no, malformed, Basic and unknown well-formed keys`, expected: `${n} × 401`, got: tally(statuses, String), ok: refused === n };
}

/** a POST /v1/jobs signed for `runner`, kept so it can be sent again byte for byte */
async function capturedJob(runner: RunnerProc, id: string): Promise<(base: string) => Promise<number>> {
  const body = JSON.stringify({ id, prompt: 'a replayed request', size: 64, seed: 1 });
  const headers = await signRequest(signingKey, { method: 'POST', path: '/v1/jobs', host: new URL(runner.url).host, body });
  return async (base) => {
    const res = await fetch(`${base}/v1/jobs`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body });
    await res.body?.cancel();
    return res.status;
  };
}

export async function crossRunnerReplay(a: RunnerProc, b: RunnerProc): Promise<Row> {
  const send = await capturedJob(a, `attack-cross-${Date.now()}`);
  const toBFirst = await send(b.url);
  const toA = await send(a.url);
  const toBAfter = await send(b.url);
  const toAAgain = await send(a.url);
  const accepted = [toBFirst, toBAfter, toAAgain].filter((s) => s < 300).length;
  return {
    check: 'replay across runners (shared key)',
    sent: 'one job request signed for runner A: to B, to A, to B, to A',
    expected: 'B 401, A 202, B 401, A 401 (0 replays accepted)',
    got: `B ${toBFirst}, A ${toA}, B ${toBAfter}, A ${toAAgain} (${accepted} replays accepted)`,
    ok: toA === 202 && accepted === 0,
  };
}

/** restarts runner A in place (same port, same state dir) and replays a request it accepted before */
export async function restartReplay(a: RunnerProc, options: RunnerOptions): Promise<{ row: Row; runner: RunnerProc }> {
  const send = await capturedJob(a, `attack-restart-${Date.now()}`);
  const first = await send(a.url);
  await sleep(500); // let the job finish, so the drain is quick
  await a.stop('SIGTERM');
  const t0 = performance.now();
  const restarted = await startRunner({ RUNNER_PORT: new URL(a.url).port }, options);
  const restartMs = Math.round(performance.now() - t0);
  const replay = await send(restarted.url);
  return {
    runner: restarted,
    row: {
      check: 'replay after a runner restart',
      sent: `one job request to A; A restarted (SIGTERM, ready again in ${restartMs} ms); the same request again`,
      expected: '202, then 401 (0 replays accepted)',
      got: `${first}, then ${replay}`,
      ok: first === 202 && replay === 401,
    },
  };
}

export async function unsignedBodies(a: RunnerProc, n: number, bytes: number): Promise<Row> {
  const rss = () => a.metric('process_resident_memory_bytes');
  const before = await rss();
  const body = Buffer.alloc(bytes, 0x7b);
  const t0 = performance.now();
  const outcomes = await Promise.all(
    Array.from({ length: n }, async () => {
      try {
        const res = await fetch(`${a.url}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json', [signingHeaders.keyId]: signingKey.keyId }, body });
        await res.body?.cancel();
        return String(res.status);
      } catch {
        return 'closed';
      }
    }),
  );
  const ms = Math.round(performance.now() - t0);
  const growth = Math.round((Math.max(before, await rss()) - before) / 2 ** 20);
  const refused = outcomes.filter((o) => o === '401' || o === 'closed').length;
  return {
    check: 'unsigned large bodies to a runner',
    sent: `${n} concurrent unsigned ${bytes >> 20} MiB POST /v1/jobs`,
    expected: `${n} refused (401 or closed) before the body is read; RSS growth < 64 MiB`,
    got: `${tally(outcomes, (o) => o)} in ${ms} ms; RSS +${growth} MiB`,
    ok: refused === n && growth < 64,
  };
}

export async function inspectPayloads(edge: EdgeClient, probe: HealthProbe): Promise<Row[]> {
  const payloads: [string, Uint8Array][] = [
    ['32k letters, no colon', colonlessParametersPng(32_000)],
    ['64k letters, no colon', colonlessParametersPng(64_000)],
    ['zTXt bomb (inflates to 100 MiB)', ztxtBombPng(100 << 20)],
  ];
  const rows: Row[] = [];
  for (const [name, png] of payloads) {
    const from = performance.now();
    const res = await edge.call('/v1/images/inspect', { method: 'POST', headers: { 'content-type': 'image/png' }, body: png as Uint8Array<ArrayBuffer> });
    const text = await res.text();
    const ms = Math.round(performance.now() - from);
    await sleep(300); // a probe or two after the answer
    const health = probe.since(from);
    const stalls = health.filter((m) => m > stallMs).length;
    const code = res.ok ? '' : ` ${String((JSON.parse(text) as { error?: { code?: string } }).error?.code ?? '')}`;
    rows.push({
      check: `inspect: ${name}`,
      sent: `POST /v1/images/inspect, ${Math.round(png.length / 1024)} KiB`,
      expected: `2xx/4xx in < 1 s, 0 /health probes > ${stallMs} ms`,
      got: `${res.status}${code} in ${ms} ms; ${stallSummary(health)}`,
      ok: res.status < 500 && ms < 1000 && stalls === 0,
    });
  }
  return rows;
}

export async function deepNotebook(edge: EdgeClient, depth: number): Promise<Row> {
  const res = await edge.call('/v1/notebooks', { method: 'POST', headers: { 'content-type': 'application/json' }, body: deepNotebookJson(depth) });
  const text = await res.text();
  let got = `${res.status}`;
  if (res.ok) {
    const id = (JSON.parse(text) as { id?: string }).id ?? '';
    const again = await edge.call(`/v1/notebooks/${id}`);
    await again.body?.cancel();
    got += `, stored; GET → ${again.status}`;
    await (await edge.call(`/v1/notebooks/${id}`, { method: 'DELETE', headers: { 'if-match': '*' } })).body?.cancel();
  } else {
    got += ` ${String((JSON.parse(text) as { error?: { field?: string } }).error?.field ?? '')}`;
  }
  return { check: 'deep notebook', sent: `POST /v1/notebooks, content ${depth.toLocaleString('en')} arrays deep`, expected: '400 naming the field, nothing stored', got, ok: res.status === 400 };
}

export async function embedSingleFlight(edge: EdgeClient, runners: RunnerProc[], n: number): Promise<Row> {
  const embedCalls = async () => (await Promise.all(runners.map((r) => r.metric('imagen_runner_http_requests_total', { route: '/v1/embed' })))).reduce((a, b) => a + b, 0);
  // One generation first, of another prompt, so the null prompt (classifier-free
  // guidance's "") is cached: what is counted below is the new prompt's calls alone.
  const warm = await edge.call('/v1/generations', { method: 'POST', headers: { 'content-type': 'application/json', prefer: 'wait=60' }, body: JSON.stringify({ prompt: `a warm-up prompt ${Date.now()}`, seed: 1, size: 64 }) });
  await warm.body?.cancel();
  const before = await embedCalls();
  const prompt = `a brand-new prompt ${Date.now()}`;
  const ids = await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const res = await edge.call('/v1/generations', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt, seed: i + 1, size: 64 }) });
      return ((await res.json()) as { id?: string }).id;
    }),
  );
  await pollJobs(edge, ids.filter((id): id is string => id !== undefined), 120_000);
  const calls = (await embedCalls()) - before;
  return { check: 'concurrent misses for one new prompt', sent: `${n} concurrent POST /v1/generations, one new prompt (the null prompt cached before)`, expected: '1 runner /v1/embed call', got: `${calls} /v1/embed calls`, ok: calls === 1 };
}

/**
 * Revocation latency, measured from when the UPDATE committed. `wrangler d1 execute` takes seconds,
 * longer than the edge's key cache, so its return says nothing; instead a cold key (never used,
 * so never cached) revoked in the same statement is tried every 250 ms, a fresh one each time:
 * its first 401 marks the commit. The warm key is used every 50 ms throughout; its first 401,
 * minus the commit time, is the latency (± 250 ms).
 */
export async function revocation(edge: EdgeClient, proc: EdgeProc, warmKey: string, coldKeys: string[]): Promise<Row> {
  const statusOf = async (key: string) => {
    const res = await edge.call('/v1/jobs/attack-none', { key });
    await res.body?.cancel();
    return res.status;
  };
  const warmBefore = await statusOf(warmKey);
  const ids = [warmKey, ...coldKeys].map((k) => `'${keyIdOf(k) ?? ''}'`).join(',');
  const t0 = performance.now();
  let committedAt: number | undefined;
  let warmRevokedAt: number | undefined;
  let done = false;
  const cold = (async () => {
    for (const key of coldKeys) {
      if (done || committedAt !== undefined) return;
      const at = performance.now();
      if ((await statusOf(key)) === 401) committedAt = at;
      else await sleep(250);
    }
  })();
  const warm = (async () => {
    while (!done && warmRevokedAt === undefined) {
      const at = performance.now();
      if ((await statusOf(warmKey)) === 401) warmRevokedAt = at;
      else await sleep(50);
    }
  })();
  await edgeSql(proc, `UPDATE api_keys SET revoked_at = '${new Date().toISOString()}' WHERE id IN (${ids})`);
  const sqlMs = Math.round(performance.now() - t0);
  const until = performance.now() + 15_000;
  while ((committedAt === undefined || warmRevokedAt === undefined) && performance.now() < until) await sleep(50);
  done = true;
  await Promise.all([cold, warm]);
  const latency = committedAt !== undefined && warmRevokedAt !== undefined ? Math.round(warmRevokedAt - committedAt) : undefined;
  return {
    check: 'revocation latency',
    sent: `a key in use (every 50 ms) and ${coldKeys.length} unused ones revoked in one D1 UPDATE (wrangler d1 execute, ${sqlMs} ms)`,
    expected: 'the key in use refused (401) within 1000 ms of the commit',
    got: latency === undefined ? `no 401 seen within 15 s (before: ${warmBefore}; commit ${committedAt === undefined ? 'not seen' : 'seen'})` : `401 ${latency} ms after the commit (± 250 ms)`,
    ok: latency !== undefined && latency <= 1000,
  };
}

export async function burst(edge: EdgeClient, n: number, timeoutMs: number, waitSeconds = 0): Promise<Row> {
  const t0 = performance.now();
  const sentBefore = edge.sent.count;
  // Prefer: wait holds each request until its job ends (or the wait does), instead of polling for it
  const prefer: Record<string, string> = waitSeconds > 0 ? { prefer: `wait=${waitSeconds}` } : {};
  const firstMessage = new Map<string, string>();
  const submitted = await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const res = await edge.call('/v1/generations', { method: 'POST', headers: { 'content-type': 'application/json', ...prefer }, body: JSON.stringify({ prompt: `burst prompt ${i % 4}`, seed: i + 1, size: 64 }) }).catch(() => undefined);
      if (!res) return { status: 'no answer', id: undefined };
      const body = (await res.json().catch(() => ({}))) as { id?: string; error?: { code?: string; message?: string } };
      if (body.error?.code && !firstMessage.has(body.error.code)) firstMessage.set(body.error.code, body.error.message ?? '');
      return { status: `${res.status}${body.error?.code ? ` ${body.error.code}` : ''}`, id: body.id };
    }),
  );
  const ids = submitted.flatMap((s) => (s.id ? [s.id] : []));
  const jobs = [...(await pollJobs(edge, ids, timeoutMs)).values()];
  for (const j of jobs) if (j.error && !firstMessage.has(`job ${j.error.code}`)) firstMessage.set(`job ${j.error.code}`, j.error.message);
  for (const [code, message] of firstMessage) process.stderr.write(`[attack] burst, first ${code}: ${message.slice(0, 300)}\n`);
  const s = Math.round((performance.now() - t0) / 1000);
  const outcome = (j: JobView) => (j.status === 'failed' ? `failed ${j.error?.code ?? '?'}` : j.status);
  const failed = jobs.filter((j) => j.status === 'failed' && j.error?.code !== 'queue_timeout').length;
  const unfinished = ids.length - jobs.filter((j) => j.status === 'succeeded' || j.status === 'failed').length;
  const polls = edge.sent.count - sentBefore - n;
  return {
    check: 'job burst against two runners',
    sent: `${n} concurrent POST /v1/generations (fixture model, 64 px${waitSeconds > 0 ? `, Prefer: wait=${waitSeconds}` : ''}), then ${polls} GET /v1/jobs/:id polls until all ended`,
    expected: `${n} accepted, 0 failed (queue_timeout allowed), all done`,
    got: `submit: ${tally(submitted, (x) => x.status)}; after ${s} s: ${tally(jobs, outcome)}`,
    ok: ids.length === n && failed === 0 && unfinished === 0,
  };
}
