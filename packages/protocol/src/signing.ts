// HMAC-SHA256 request signing between the edge and the GPU runner (and for the
// runner's callbacks). Web Crypto only, no node: imports, so the same module
// runs in Node and in Cloudflare workerd.
//
// Canonical string (UTF-8), hex HMAC-SHA256 with the key's secret, one field a line:
//   METHOD, path incl. query, timestamp, hex sha256(body), nonce, target, host
// The nonce (random, from `x-imagen-nonce`) makes every signature unique so the
// verifier's replay set rejects an exact replay without rejecting honest repeats.
// The target (`x-imagen-target`: the runner id; for a callback receiver, which has
// no id, its host) and the host (the URL's authority, as the Host header carries
// it) bind the request to its recipient: a request captured on its way to runner A
// does not verify on runner B, even when both share the key.
//
// Verification is two-phase so a server can refuse a request on its headers alone,
// before reading a byte of the body: checkHeaders() (key id, timestamp window,
// nonce unseen, target) and then finish(sha256 of the body, hashed while streaming).

export interface SigningKey {
  keyId: string;
  secret: string;
}

export const signingHeaders = {
  keyId: 'x-imagen-key-id',
  timestamp: 'x-imagen-timestamp',
  signature: 'x-imagen-signature',
  nonce: 'x-imagen-nonce',
  target: 'x-imagen-target',
} as const;

export interface SignableRequest {
  method: string;
  /** path including the query string, e.g. "/v1/jobs?x=1" */
  path: string;
  /** the URL's authority, e.g. "127.0.0.1:8790" (what the Host header will say) */
  host: string;
  /** the recipient's id (the runner id); default: the host */
  target?: string;
  body?: Uint8Array | string;
  /** unix seconds; default now */
  timestamp?: number;
}

export type VerifyResult = { ok: true; keyId: string } | { ok: false; reason: string };

export interface SignedHeadersRequest {
  method: string;
  path: string;
  /** the authority the request was sent to (the Host header) */
  host: string;
  headers: Headers;
}

export interface VerifiableRequest extends SignedHeadersRequest {
  body: Uint8Array;
}

const utf8 = new TextEncoder();
const emptyBody = new Uint8Array(0);

function toBytes(body: Uint8Array | string | undefined): Uint8Array {
  if (body === undefined) return emptyBody;
  return typeof body === 'string' ? utf8.encode(body) : body;
}

function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

function fromHex(hex: string): Uint8Array | null {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return null;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

// Web Crypto wants an ArrayBuffer-backed view; copying also detaches us from shared buffers.
function asBuffer(bytes: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy.buffer;
}

export async function sha256Hex(data: Uint8Array | string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', asBuffer(toBytes(data)));
  return toHex(new Uint8Array(digest));
}

const keyCache = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keyCache.get(secret);
  if (!key) {
    key = crypto.subtle.importKey('raw', asBuffer(utf8.encode(secret)), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    // A handful of keys live for the process; the cap only guards against misuse.
    if (keyCache.size > 64) keyCache.clear();
    keyCache.set(secret, key);
  }
  return key;
}

async function hmac(secret: string, message: string): Promise<Uint8Array> {
  const key = await hmacKey(secret);
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, asBuffer(utf8.encode(message))));
}

export interface CanonicalFields {
  method: string;
  path: string;
  timestamp: number;
  /** hex sha256 of the body (of the empty string when there is none) */
  bodySha256: string;
  nonce: string;
  target: string;
  host: string;
}

/** the exact string that is signed */
export function canonicalString(f: CanonicalFields): string {
  return [f.method.toUpperCase(), f.path, String(f.timestamp), f.bodySha256, f.nonce, f.target, f.host].join('\n');
}

function randomNonce(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return toHex(bytes);
}

export async function signRequest(key: SigningKey, req: SignableRequest): Promise<Record<string, string>> {
  const timestamp = req.timestamp ?? Math.floor(Date.now() / 1000);
  const nonce = randomNonce();
  const target = req.target ?? req.host;
  const bodySha256 = await sha256Hex(toBytes(req.body));
  const message = canonicalString({ method: req.method, path: req.path, timestamp, bodySha256, nonce, target, host: req.host });
  return {
    [signingHeaders.keyId]: key.keyId,
    [signingHeaders.timestamp]: String(timestamp),
    [signingHeaders.nonce]: nonce,
    [signingHeaders.target]: target,
    [signingHeaders.signature]: toHex(await hmac(key.secret, message)),
  };
}

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

/** where verified nonces are remembered until their timestamp leaves the window */
export interface ReplayStore {
  has(key: string, now: number): boolean;
  /** records `key` until `expiresAt` (unix s); false when the store is full of live entries */
  add(key: string, expiresAt: number, now: number): boolean;
}

/** the in-memory store: bounded, expired entries swept when full */
export function createMemoryReplayStore(maxSeen = 100_000): ReplayStore {
  const seen = new Map<string, number>();
  return {
    has: (key, now) => (seen.get(key) ?? -Infinity) >= now,
    add(key, expiresAt, now) {
      if (seen.size >= maxSeen) for (const [k, expires] of seen) if (expires < now) seen.delete(k);
      // Fail closed rather than forget a live nonce: forgetting would allow its replay.
      if (seen.size >= maxSeen) return false;
      seen.set(key, expiresAt);
      return true;
    },
  };
}

export interface VerifierOptions {
  /** keyId → secret; several at once so secrets rotate without downtime */
  keys: Record<string, string>;
  /** this recipient's id (a runner's RUNNER_ID); default: the request's host, for recipients without one */
  target?: string;
  /** accepted clock skew either way, seconds (default 300) */
  windowSeconds?: number;
  /** unix seconds (default: the wall clock) */
  now?: () => number;
  /** most nonces remembered for replay detection by the default in-memory store (default 100,000) */
  maxSeen?: number;
  /** where seen nonces live (default: in memory, lost on restart) */
  replayStore?: ReplayStore;
}

export type HeaderCheck = { ok: true; keyId: string; finish(bodySha256: string): Promise<VerifyResult> } | { ok: false; reason: string };

export type Verifier = ((req: VerifiableRequest) => Promise<VerifyResult>) & {
  /** phase 1, on the headers alone; then finish() with the body's hex sha256 */
  checkHeaders(req: SignedHeadersRequest): HeaderCheck;
};

interface ParsedHeaders {
  keyId: string;
  secret: string;
  timestamp: number;
  nonce: string;
  target: string;
  given: Uint8Array;
}

const nonceRe = /^[0-9a-zA-Z_-]{16,128}$/;

export function createVerifier(opts: VerifierOptions): Verifier {
  const windowSeconds = opts.windowSeconds ?? 300;
  const now = opts.now ?? (() => Math.floor(Date.now() / 1000));
  const keys = new Map(Object.entries(opts.keys));
  const store = opts.replayStore ?? createMemoryReplayStore(opts.maxSeen ?? 100_000);

  function parse(req: SignedHeadersRequest, t: number): ParsedHeaders | { reason: string } {
    const h = req.headers;
    const keyId = h.get(signingHeaders.keyId);
    const tsText = h.get(signingHeaders.timestamp);
    const sigText = h.get(signingHeaders.signature);
    const nonce = h.get(signingHeaders.nonce);
    if (!keyId || !tsText || !sigText || !nonce) return { reason: 'missing signature headers' };
    const secret = keys.get(keyId);
    if (secret === undefined) return { reason: 'unknown key id' };
    if (!/^\d{1,12}$/.test(tsText)) return { reason: 'malformed timestamp' };
    const timestamp = Number(tsText);
    if (Math.abs(t - timestamp) > windowSeconds) return { reason: 'stale timestamp' };
    if (!nonceRe.test(nonce)) return { reason: 'malformed nonce' };
    const given = fromHex(sigText);
    if (!given || given.length !== 32) return { reason: 'malformed signature' };
    const expectedTarget = opts.target ?? req.host;
    const target = h.get(signingHeaders.target) ?? expectedTarget;
    // Named in the reason so a misconfigured edge (RUNNERS id vs RUNNER_ID) is diagnosable.
    if (target !== expectedTarget) return { reason: `signed for target "${target.slice(0, 80)}", this is "${expectedTarget}"` };
    return { keyId, secret, timestamp, nonce, target, given };
  }

  function checkHeaders(req: SignedHeadersRequest): HeaderCheck {
    const t = now();
    const p = parse(req, t);
    if ('reason' in p) return { ok: false, reason: p.reason };
    const replayKey = `${p.keyId}:${p.nonce}`;
    if (store.has(replayKey, t)) return { ok: false, reason: 'replayed request' };
    return {
      ok: true,
      keyId: p.keyId,
      async finish(bodySha256) {
        const message = canonicalString({ method: req.method, path: req.path, timestamp: p.timestamp, bodySha256, nonce: p.nonce, target: p.target, host: req.host });
        if (!constantTimeEqual(p.given, await hmac(p.secret, message))) return { ok: false, reason: 'bad signature' };
        // Checked again: a concurrent copy may have been recorded while this body streamed.
        const t2 = now();
        if (store.has(replayKey, t2)) return { ok: false, reason: 'replayed request' };
        if (!store.add(replayKey, p.timestamp + windowSeconds, t2)) return { ok: false, reason: 'replay cache full, retry later' };
        return { ok: true, keyId: p.keyId };
      },
    };
  }

  const verify = async (req: VerifiableRequest): Promise<VerifyResult> => {
    const head = checkHeaders(req);
    if (!head.ok) return head;
    return head.finish(await sha256Hex(req.body));
  };
  return Object.assign(verify, { checkHeaders });
}
