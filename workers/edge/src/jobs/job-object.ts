// One Durable Object per job. It owns the job's record and event log, persists
// every transition before telling anyone (subscribers, waiters, the caller),
// and drives the job on the runner pool (drive.ts): at once when the worker
// creates it, and from its alarm (the watchdog) after an eviction, so a job
// survives the worker's request ending and the object being evicted.
// Its RPC surface is only what the worker calls (create, existing, view, waitFor,
// cancel); the driver reaches storage through a host object over # members.
import { DurableObject } from 'cloudflare:workers';
import type { Job, JobStatus } from '@imagen-ts/protocol';
import { loadConfig } from '../config.ts';
import { ApiError, errors, rpcError, type RpcResult } from '../errors.ts';
import { createWebhookDeliverer, webhookLeaseMs } from '../webhooks/webhook-deliverer.ts';
import { enqueueWebhook, newWebhookState, webhookEventFor, type WebhookState, type WebhookTarget } from '../webhooks/webhook-queue.ts';
import { webhookSecretOf } from '../webhooks/webhook-secrets.ts';
import { recentImage } from '../images/recent-images.ts';
import { createAlarmSchedule, type AlarmName } from './alarms.ts';
import { driveJob, tellRunnerCancel, type DriverHost, type ResolvedEmbeddings } from './drive.ts';
import { canTransition, isTerminal, jobView, newRecord, type JobInput, type JobRecord } from './job-model.ts';

export interface CreateJobArgs {
  id: string;
  input: JobInput;
  embeddingCache: 'hit' | 'miss' | null;
  /** the embeddings the worker already resolved (kept in memory only: after an eviction the driver reads the cache again) */
  resolved?: ResolvedEmbeddings;
  /** where to send the job's start and completed events (checked by the worker) */
  webhook?: WebhookTarget;
}

export interface CreatedJobResult {
  job: Job;
  created: boolean;
}

/** a waited job, and when it succeeded, its (small) PNGs, already durable in R2 */
export interface WaitedJob {
  job: Job;
  pngs?: { id: string; png: Uint8Array }[];
}

export interface StoredEvent {
  seq: number;
  type: 'state' | 'progress' | 'retry';
  data: Record<string, unknown>;
}

interface Subscriber {
  send(e: StoredEvent): void;
  close(): void;
}

/** the header the worker sets (after authenticating) to tell the object who asks */
export const ownerHeader = 'x-edge-owner-key';
const keepAliveMs = 15_000;
const encoder = new TextEncoder();

const ok = <T>(value: T): RpcResult<T> => ({ ok: true, value });

class Refusal extends Error {
  readonly api: ApiError;
  constructor(api: ApiError) {
    super(api.message);
    this.api = api;
  }
}

/** runs an RPC body; its refusals become error values */
async function answer<T>(body: () => T | Promise<T>): Promise<RpcResult<T>> {
  try {
    return ok(await body());
  } catch (e) {
    if (e instanceof Refusal) return rpcError(e.api);
    throw e;
  }
}

/** first watchdog after creation: the driver starts at once, the alarm only rescues an evicted one */
const kickoffWatchdogMs = 30_000;

export class JobObject extends DurableObject<Env> {
  #record: JobRecord | undefined;
  readonly #subscribers = new Set<Subscriber>();
  readonly #waiters = new Set<() => void>();
  #driving = false;
  #followAbort: AbortController | undefined;
  #resolved: ResolvedEmbeddings | undefined;
  /** one alarm, several deadlines: the driver's watchdog and webhook retries (alarms.ts) */
  readonly #alarms = createAlarmSchedule(this.ctx.storage);
  readonly #webhooks = createWebhookDeliverer({
    state: () => this.#load()?.webhook,
    save: (w) => this.#saveWebhook(w),
    schedule: (at) => (at === undefined ? this.#alarms.clear('webhook') : this.#alarms.set('webhook', at)),
    secret: () => webhookSecretOf(this.env.DB, this.#load()?.input.ownerKeyId ?? ''),
    firstRetryMs: () => loadConfig(this.env).webhookFirstRetryMs,
  });
  readonly #host: DriverHost = {
    load: () => this.#load(),
    save: (patch) => this.#save(patch),
    transition: (to, patch) => this.#transition(to, patch),
    progress: (p, preview, previews) => this.#progress(p, preview, previews),
    retrying: (data) => this.#broadcast(this.#append('retry', data)),
    setAlarm: (at) => this.#alarms.set('driver', at),
    durable: () => this.ctx.storage.sync(),
    setFollowAbort: (ac) => {
      this.#followAbort = ac;
    },
    resolved: () => this.#resolved,
  };

  // ---- storage ----------------------------------------------------------

  #load(): JobRecord | undefined {
    this.#record ??= this.ctx.storage.kv.get<JobRecord>('job');
    return this.#record;
  }

  #mustLoad(owner: string): JobRecord {
    const r = this.#load();
    // Another key's job is indistinguishable from a missing one.
    if (!r || r.input.ownerKeyId !== owner) throw new Refusal(errors.notFound('job'));
    return r;
  }

  #save(patch: Partial<JobRecord>): JobRecord {
    const r = this.#load();
    if (!r) throw new Error('no job record');
    const next: JobRecord = { ...r, ...patch, updatedAt: Date.now() };
    this.ctx.storage.kv.put('job', next);
    this.#record = next;
    return next;
  }

  /** webhook bookkeeping, stored with the record but leaving updatedAt alone: the job itself did not change */
  #saveWebhook(webhook: WebhookState): void {
    const r = this.#load();
    if (!r) return;
    this.#record = { ...r, webhook };
    this.ctx.storage.kv.put('job', this.#record);
  }

  #append(type: StoredEvent['type'], data: Record<string, unknown>): StoredEvent {
    const row = this.ctx.storage.sql.exec<{ seq: number }>('INSERT INTO events (type, data, at) VALUES (?, ?, ?) RETURNING seq', type, JSON.stringify(data), Date.now()).one();
    return { seq: row.seq, type, data };
  }

  #eventsAfter(seq: number): StoredEvent[] {
    return this.ctx.storage.sql
      .exec<{ seq: number; type: StoredEvent['type']; data: string }>('SELECT seq, type, data FROM events WHERE seq > ? ORDER BY seq', seq)
      .toArray()
      .map((e) => ({ seq: e.seq, type: e.type, data: JSON.parse(e.data) as Record<string, unknown> }));
  }

  #broadcast(e: StoredEvent, live: Record<string, unknown> = {}): void {
    const out = Object.keys(live).length > 0 ? { ...e, data: { ...e.data, ...live } } : e;
    for (const s of this.#subscribers) s.send(out);
    for (const ws of this.ctx.getWebSockets()) {
      try {
        ws.send(JSON.stringify({ id: out.seq, event: out.type, data: out.data }));
      } catch {
        // a socket closing under us; its close handler cleans up
      }
    }
  }

  // ---- the driver's host: transitions, progress, retries ---------------------

  async #transition(to: JobStatus, patch: Partial<JobRecord> = {}): Promise<boolean> {
    const r = this.#load();
    if (!r || !canTransition(r.status, to)) return false;
    const next = this.#save({ ...patch, status: to });
    const e = this.#append('state', jobView(next));
    const webhookQueued = await this.#queueWebhook(next, to);
    // Durable first: nobody hears of a state the storage could still lose.
    await this.ctx.storage.sync();
    this.#broadcast(e);
    if (isTerminal(to)) {
      this.#resolved = undefined;
      for (const w of this.#waiters) w();
      this.#waiters.clear();
      for (const s of this.#subscribers) s.close();
      this.#subscribers.clear();
      for (const ws of this.ctx.getWebSockets()) ws.close(1000, `job ${to}`);
      await this.#alarms.clear('driver');
    }
    // sent only now that the state it reports is durable; its failure never touches the job
    if (webhookQueued) this.#webhooks.kick().catch((err: unknown) => console.error(`[edge] job ${next.id}: webhook delivery failed; its alarm retries:`, err));
    return true;
  }

  /** queues the transition's webhook message in the same storage write as the state (false: none to send) */
  async #queueWebhook(r: JobRecord, to: JobStatus): Promise<boolean> {
    const event = webhookEventFor(to);
    if (!r.webhook || !event) return false;
    const queued = enqueueWebhook(r.webhook, event, jobView(r), Date.now());
    if (queued === r.webhook) return false;
    this.#saveWebhook(queued);
    // should this instance go before it sends, the alarm does
    await this.#alarms.set('webhook', Date.now() + webhookLeaseMs);
    return true;
  }

  /**
   * Progress is passed through, not stored: it lives in the in-memory record (GET
   * /v1/jobs/:id shows it; the next state write persists it) and goes to the live
   * subscribers under the last stored event's id, so Last-Event-ID resumes exactly
   * after the stored states. An evicted object just shows the next progress event.
   */
  #progress(p: NonNullable<Job['progress']>, preview: string | undefined, previews?: string[]): void {
    const r = this.#load();
    if (!r || isTerminal(r.status)) return;
    this.#record = { ...r, progress: p, updatedAt: Date.now() };
    const seq = this.ctx.storage.sql.exec<{ seq: number }>('SELECT COALESCE(MAX(seq), 0) AS seq FROM events').one().seq;
    const url = (png: string) => `data:image/png;base64,${png}`;
    this.#broadcast({ seq, type: 'progress', data: p }, { ...(preview ? { preview: url(preview) } : {}), ...(previews ? { previews: previews.map(url) } : {}) });
  }

  // ---- RPC from the worker ------------------------------------------------

  create(args: CreateJobArgs): Promise<RpcResult<CreatedJobResult>> {
    return answer(() => this.#createJob(args));
  }

  async #createJob(args: CreateJobArgs): Promise<CreatedJobResult> {
    const existing = this.#findExisting(args.input.ownerKeyId, args.input.requestHash);
    if (existing) return { job: existing, created: false };
    // Created here, not in the constructor: looking up an unknown job id writes nothing.
    this.ctx.storage.sql.exec('CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT, type TEXT NOT NULL, data TEXT NOT NULL, at INTEGER NOT NULL)');
    const r = newRecord(args.id, args.input, Date.now(), loadConfig(this.env).queueTimeoutSeconds * 1000);
    r.embeddingCache = args.embeddingCache;
    if (args.webhook) r.webhook = newWebhookState(args.webhook);
    this.ctx.storage.kv.put('job', r);
    this.#record = r;
    this.#resolved = args.resolved;
    this.#append('state', jobView(r));
    await this.#alarms.set('driver', Date.now() + kickoffWatchdogMs);
    // Driven now, in this instance, rather than after an alarm round trip; the alarm
    // set above resumes the job if this instance is evicted before it ends. The driver
    // syncs before it submits (the job and its first attempt); the caller hears of the
    // job only once it is durable (below).
    this.#drive().catch((e: unknown) => console.error(`[edge] job ${r.id}: driver failed; its alarm retries:`, e));
    // the caller hears of the job once it is durable (Prefer: wait then waits with waitFor, outside the worker's admission)
    await this.ctx.storage.sync();
    return { job: jobView(r), created: true };
  }

  /** an idempotent replay: the job if it exists with this request; a conflict if with another */
  existing(owner: string, requestHash: string): Promise<RpcResult<Job | null>> {
    return answer(() => this.#findExisting(owner, requestHash));
  }

  #findExisting(owner: string, requestHash: string): Job | null {
    const r = this.#load();
    if (!r) return null;
    if (r.input.ownerKeyId !== owner || r.input.requestHash !== requestHash)
      throw new Refusal(errors.conflict('idempotency_conflict', 'this Idempotency-Key was used with a different request; use a new key'));
    return jobView(r);
  }

  view(owner: string): Promise<RpcResult<Job>> {
    return answer(() => jobView(this.#mustLoad(owner)));
  }

  /** the job once it is terminal, or as it is after `ms`; with the PNGs it just stored, so the worker can answer their GETs from memory */
  waitFor(owner: string, ms: number): Promise<RpcResult<WaitedJob>> {
    return answer(async () => {
      const job = await this.#waitForJob(owner, ms);
      const pngs = job.images.flatMap((img) => {
        const png = recentImage(img.id);
        return png ? [{ id: img.id, png }] : [];
      });
      return { job, ...(pngs.length > 0 ? { pngs } : {}) };
    });
  }

  async #waitForJob(owner: string, ms: number): Promise<Job> {
    const r = this.#mustLoad(owner);
    if (isTerminal(r.status) || ms <= 0) return jobView(r);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#waiters.add(done);
    });
    // from memory: a terminal state reaches the waiters only once it is durable
    return jobView(this.#mustLoad(owner));
  }

  cancel(owner: string): Promise<RpcResult<Job>> {
    return answer(() => this.#cancelJob(owner));
  }

  async #cancelJob(owner: string): Promise<Job> {
    const r = this.#mustLoad(owner);
    if (isTerminal(r.status)) throw new Refusal(errors.conflict('job_finished', `the job already ${r.status}`));
    const open = r.attempts.at(-1);
    const attempts = open && open.endedAt === undefined ? [...r.attempts.slice(0, -1), { ...open, endedAt: Date.now(), reason: 'canceled' }] : r.attempts;
    await this.#transition('canceled', { cancelRequested: true, attempts });
    this.#followAbort?.abort(new DOMException('canceled', 'AbortError'));
    if (open && open.endedAt === undefined) await tellRunnerCancel(this.env, open);
    return jobView(this.#mustLoad(owner));
  }

  // ---- the driver ---------------------------------------------------------

  /** runs every handler whose deadline passed (alarms.ts), side by side */
  override async alarm(): Promise<void> {
    const due = this.#alarms.due(Date.now());
    await Promise.all(
      [...due].map(async ([name, at]) => {
        await this.#wake(name);
        await this.#alarms.done(name, at);
      }),
    );
    await this.#alarms.arm();
  }

  #wake(name: AlarmName): Promise<void> {
    return name === 'webhook' ? this.#webhooks.kick() : this.#watchdog();
  }

  /** the driver's watchdog: resumes a job no instance is driving (after an eviction) */
  async #watchdog(): Promise<void> {
    const r = this.#load();
    if (!r || isTerminal(r.status)) return;
    if (this.#driving) {
      // still following the runner in this instance: just keep the watchdog armed
      await this.#alarms.set('driver', Date.now() + 60_000);
      return;
    }
    await this.#drive();
  }

  async #drive(): Promise<void> {
    if (this.#driving) return;
    this.#driving = true;
    try {
      await driveJob(this.#host, this.env);
    } finally {
      this.#driving = false;
    }
  }

  // ---- events: SSE and WebSocket -------------------------------------------

  override fetch(request: Request): Response {
    const r = this.#load();
    const owner = request.headers.get(ownerHeader);
    if (!r || owner === null || r.input.ownerKeyId !== owner) {
      const err = errors.notFound('job');
      return Response.json(err.body(), { status: err.status });
    }
    const lastId = Number(request.headers.get('last-event-id') ?? '0');
    const replay = this.#eventsAfter(Number.isSafeInteger(lastId) ? lastId : 0);
    if (request.headers.get('upgrade')?.toLowerCase() === 'websocket') {
      const pair = new WebSocketPair();
      const [client, server] = [pair[0], pair[1]];
      this.ctx.acceptWebSocket(server);
      for (const e of replay) server.send(JSON.stringify({ id: e.seq, event: e.type, data: e.data }));
      if (isTerminal(r.status)) server.close(1000, `job ${r.status}`);
      return new Response(null, { status: 101, webSocket: client });
    }
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const writer = writable.getWriter();
    const write = (text: string) => {
      writer.write(encoder.encode(text)).catch(() => close());
    };
    const sse = (e: StoredEvent) => write(`id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e.data)}\n\n`);
    let closed = false;
    const keepAlive = setInterval(() => write(': keep-alive\n\n'), keepAliveMs);
    const close = () => {
      if (closed) return;
      closed = true;
      clearInterval(keepAlive);
      this.#subscribers.delete(sub);
      writer.close().catch(() => undefined);
    };
    const sub: Subscriber = { send: sse, close };
    write('retry: 2000\n\n');
    for (const e of replay) sse(e);
    if (isTerminal(r.status)) close();
    else this.#subscribers.add(sub);
    return new Response(readable, { headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-store', 'x-accel-buffering': 'no' } });
  }

  override webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): void {
    if (message === 'ping') ws.send('pong');
  }

  override webSocketClose(ws: WebSocket, code: number): void {
    try {
      ws.close(code === 1005 ? 1000 : code, 'closing');
    } catch {
      // already closed
    }
  }
}
