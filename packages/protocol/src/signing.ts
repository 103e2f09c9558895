// HMAC-SHA256 request signing between the edge and the GPU runner (and for the
// runner's callbacks). Web Crypto only, no node: imports, so the same module
// runs in Node and in Cloudflare workerd.
//
// Canonical string (UTF-8), hex HMAC-SHA256 with the key's secret:
//   `${METHOD}\n${path incl. query}\n${timestamp}\n${hex sha256(body)}`
// and, when the request carries an `x-imagen-nonce` header, `\n${nonce}` appended.
// signRequest() always adds a random nonce, so two identical legitimate requests in
// the same second get different signatures and the verifier's replay set can reject
// an exact replay without rejecting honest repeats.

export interface SigningKey {
  keyId: string;
  secret: string;
}

export const signingHeaders = {
  keyId: 'x-imagen-key-id',
  timestamp: 'x-imagen-timestamp',
  signature: 'x-imagen-signature',
  nonce: 'x-imagen-nonce',
} as const;

export interface SignableRequest {
  method: string;
  /** path including the query string, e.g. "/v1/jobs?x=1" */
  path: string;
  body?: Uint8Array | string;
  /** unix seconds; default now */
  timestamp?: number;
}

export type VerifyResult = { ok: true; keyId: string } | { ok: false; reason: string };

export interface VerifiableRequest {
  method: string;
  path: string;
  headers: Headers;
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

/** the exact string that is signed */
export async function canonicalString(method: string, path: string, timestamp: number, body: Uint8Array | string | undefined, nonce?: string): Promise<string> {
  const base = `${method.toUpperCase()}\n${path}\n${timestamp}\n${await sha256Hex(toBytes(body))}`;
  return nonce === undefined ? base : `${base}\n${nonce}`;
}

function randomNonce(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return toHex(bytes);
}

export async function signRequest(key: SigningKey, req: SignableRequest): Promise<Record<string, string>> {
  const timestamp = req.timestamp ?? Math.floor(Date.now() / 1000);
  const nonce = randomNonce();
  const message = await canonicalString(req.method, req.path, timestamp, req.body, nonce);
  return {
    [signingHeaders.keyId]: key.keyId,
    [signingHeaders.timestamp]: String(timestamp),
    [signingHeaders.nonce]: nonce,
    [signingHeaders.signature]: toHex(await hmac(key.secret, message)),
  };
}

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

export interface VerifierOptions {
  /** keyId → secret; several at once so secrets rotate without downtime */
  keys: Record<string, string>;
  /** accepted clock skew either way, seconds (default 300) */
  windowSeconds?: number;
  /** unix seconds (default: the wall clock) */
  now?: () => number;
  /** most signatures remembered for replay detection (default 100,000) */
  maxSeen?: number;
}

export function createVerifier(opts: VerifierOptions): (req: VerifiableRequest) => Promise<VerifyResult> {
  const windowSeconds = opts.windowSeconds ?? 300;
  const now = opts.now ?? (() => Math.floor(Date.now() / 1000));
  const maxSeen = opts.maxSeen ?? 100_000;
  const keys = new Map(Object.entries(opts.keys));
  // signature hex → unix second after which its timestamp is stale anyway
  const seen = new Map<string, number>();

  function sweep(t: number): void {
    for (const [sig, expires] of seen) if (expires < t) seen.delete(sig);
  }

  return async (req) => {
    const keyId = req.headers.get(signingHeaders.keyId);
    const tsText = req.headers.get(signingHeaders.timestamp);
    const sigText = req.headers.get(signingHeaders.signature);
    const nonce = req.headers.get(signingHeaders.nonce) ?? undefined;
    if (!keyId || !tsText || !sigText) return { ok: false, reason: 'missing signature headers' };
    const secret = keys.get(keyId);
    if (secret === undefined) return { ok: false, reason: 'unknown key id' };
    if (!/^\d{1,12}$/.test(tsText)) return { ok: false, reason: 'malformed timestamp' };
    const timestamp = Number(tsText);
    const t = now();
    if (Math.abs(t - timestamp) > windowSeconds) return { ok: false, reason: 'stale timestamp' };
    if (nonce !== undefined && !/^[0-9a-zA-Z_-]{8,128}$/.test(nonce)) return { ok: false, reason: 'malformed nonce' };
    const given = fromHex(sigText);
    if (!given || given.length !== 32) return { ok: false, reason: 'malformed signature' };
    const expected = await hmac(secret, await canonicalString(req.method, req.path, timestamp, req.body, nonce));
    if (!constantTimeEqual(given, expected)) return { ok: false, reason: 'bad signature' };
    const sigKey = toHex(given);
    if (seen.has(sigKey)) return { ok: false, reason: 'replayed request' };
    if (seen.size >= maxSeen) sweep(t);
    // Fail closed rather than forget a live signature: forgetting would allow its replay.
    if (seen.size >= maxSeen) return { ok: false, reason: 'replay cache full, retry later' };
    seen.set(sigKey, timestamp + windowSeconds);
    return { ok: true, keyId };
  };
}
