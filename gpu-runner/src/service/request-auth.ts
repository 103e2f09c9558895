// Signature checking for the runner's routes, headers first: the key id, the
// timestamp window, the nonce (unseen, on disk when a state dir is set) and the
// target (this runner's id) are checked before a byte of the body is read; only
// then is the body streamed through SHA-256 under the size cap (413 past it), and
// the MAC checked on the digest. An unsigned 16 MiB upload is answered 401 at once
// with `connection: close`, instead of being buffered first.
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { createVerifier, type ReplayStore, type Verifier } from '@imagen-ts/protocol';
import type { MiddlewareHandler } from 'hono';
import { ApiError } from './errors.ts';
import { createFileReplayStore, type FileReplayStore } from './replay-file.ts';

export interface RequestAuthOptions {
  keys: Record<string, string>;
  /** this runner's id (RUNNER_ID); when absent, set later with setRunnerId (the listen address) */
  runnerId: string | undefined;
  /** where the replay file lives; absent = in memory only (in-process tests) */
  stateDir: string | undefined;
  maxBodyBytes: number;
  windowSeconds?: number;
  now?: () => number;
  isPublic(path: string): boolean;
}

export interface RequestAuth {
  middleware: MiddlewareHandler<{ Variables: { keyId: string; body: Uint8Array } }>;
  setRunnerId(id: string): void;
  runnerId(): string | undefined;
  close(): void;
}

/** the replay file of one runner id inside the state dir */
export function replayFileOf(stateDir: string, runnerId: string): string {
  return resolve(stateDir, `replay-${runnerId.replace(/[^A-Za-z0-9._-]/g, '_')}.log`);
}

const closeHeaders = { connection: 'close' };

type BodyRead = { ok: true; bytes: Uint8Array; sha256: string } | { ok: false; read: number };

/** reads at most `max` bytes, hashing as it goes; cancels the stream past the cap */
async function readCapped(stream: ReadableStream<Uint8Array> | null, max: number): Promise<BodyRead> {
  const hash = createHash('sha256');
  if (!stream) return { ok: true, bytes: new Uint8Array(0), sha256: hash.digest('hex') };
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => undefined);
      return { ok: false, read: total };
    }
    hash.update(value);
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return { ok: true, bytes, sha256: hash.digest('hex') };
}

export function createRequestAuth(opts: RequestAuthOptions): RequestAuth {
  let id = opts.runnerId;
  let verifier: Verifier | undefined;
  let store: FileReplayStore | undefined;
  const tooLarge = () => new ApiError(413, 'body_too_large', `the body exceeds ${opts.maxBodyBytes} bytes`, { headers: closeHeaders });

  function current(): Verifier | undefined {
    if (verifier || id === undefined) return verifier;
    let replayStore: ReplayStore | undefined;
    if (opts.stateDir !== undefined) replayStore = store = createFileReplayStore({ file: replayFileOf(opts.stateDir, id), ...(opts.now ? { now: opts.now } : {}) });
    verifier = createVerifier({
      keys: opts.keys,
      target: id,
      ...(opts.windowSeconds === undefined ? {} : { windowSeconds: opts.windowSeconds }),
      ...(opts.now ? { now: opts.now } : {}),
      ...(replayStore ? { replayStore } : {}),
    });
    return verifier;
  }

  const middleware: RequestAuth['middleware'] = async (c, next) => {
    if (opts.isPublic(c.req.path)) return next();
    const verify = current();
    if (!verify) throw new ApiError(503, 'not_ready', 'the runner is starting', { headers: { 'retry-after': '1' } });
    const url = new URL(c.req.url);
    const head = verify.checkHeaders({ method: c.req.method, path: `${url.pathname}${url.search}`, host: url.host, headers: c.req.raw.headers });
    if (!head.ok) throw new ApiError(401, 'unauthorized', `request signature rejected: ${head.reason}`, { headers: closeHeaders });
    const declared = Number(c.req.header('content-length') ?? '0');
    if (declared > opts.maxBodyBytes) throw tooLarge();
    const body = await readCapped(c.req.raw.body, opts.maxBodyBytes);
    if (!body.ok) throw tooLarge();
    const result = await head.finish(body.sha256);
    if (!result.ok) throw new ApiError(401, 'unauthorized', `request signature rejected: ${result.reason}`);
    c.set('keyId', result.keyId);
    c.set('body', body.bytes);
    return next();
  };

  return {
    middleware,
    setRunnerId(next) {
      if (id !== undefined) return;
      id = next;
    },
    runnerId: () => id,
    close: () => store?.close(),
  };
}
