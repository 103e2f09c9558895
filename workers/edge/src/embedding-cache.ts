// Prompt embeddings cached in KV, keyed on everything that decides them:
// sha256(encoder id, encoder sha256, max tokens, normalized prompt). A hit sends
// the stored bytes to the runner and skips the text encoder; the null prompt
// ("" for classifier-free guidance) is cached the same way.
import { decodeEmbeddings, embeddingContentType } from '@imagen-ts/protocol';
import { createByteLru } from './byte-lru.ts';
import { busyAnswer, type BusyAnswer } from './jobs/back-pressure.ts';
import { sha256HexOf } from './keys.ts';
import type { RunnerHandle, RunnerPool } from './runner/runner-pool.ts';

export type CacheOutcome = 'hit' | 'miss';

export interface CachedEmbedding {
  bytes: Uint8Array;
  cache: CacheOutcome;
}

export class EmbedError extends Error {
  override name = 'EmbedError';
  /** did the runner misbehave (take it out), or was the prompt at fault? */
  readonly runnerFault: boolean;
  readonly status: number;
  /** the runner's encoder queue is full (429, 503 + Retry-After): back-pressure, neither fault */
  readonly busy: BusyAnswer | undefined;
  constructor(message: string, runnerFault: boolean, status: number, busy?: BusyAnswer) {
    super(message);
    this.runnerFault = runnerFault;
    this.status = status;
    this.busy = busy;
  }
}

/**
 * The prompt as the encoder sees it, on both the cached and the uncached path:
 * Unicode NFC, whitespace runs folded to one space, trimmed.
 */
export function normalizePrompt(prompt: string): string {
  return prompt.normalize('NFC').replace(/\s+/gu, ' ').trim();
}

export async function embeddingCacheKey(encoder: { id: string; sha256: string; maxTokens: number }, normalizedPrompt: string): Promise<string> {
  // JSON keeps the fields unambiguous whatever characters they hold
  return `emb:v1:${await sha256HexOf(JSON.stringify([encoder.id, encoder.sha256, encoder.maxTokens, normalizedPrompt]))}`;
}

/** a year: the key changes whenever the encoder does, so entries never go stale */
const ttlSeconds = 365 * 24 * 3600;

/** lookups under way in this isolate, by cache key: concurrent misses for one prompt share one encoder call */
const inflight = new Map<string, Promise<CachedEmbedding>>();

/**
 * Embeddings this isolate read or stored lately, least recently used first (Map order):
 * a busy prompt skips the KV round trip. Safe to keep: a key names one encoder's output
 * for one prompt, which never changes. Bounded in bytes, so large encoders keep few.
 */
const recent = createByteLru({ maxBytes: 16 << 20, maxEntryBytes: 4 << 20 });

/** for tests: forget what this isolate remembers, so the next lookup goes to KV */
export function forgetRecentEmbeddings(): void {
  recent.clear();
}

/**
 * The prompt's embeddings from KV, or from the runner's encoder on a miss (then stored).
 * Single-flight per cache key in the isolate: a request that finds the same key already
 * being looked up waits for that lookup (and shares its outcome, errors included).
 */
export async function embedPrompt(kv: KVNamespace, pool: RunnerPool, runner: RunnerHandle, prompt: string): Promise<CachedEmbedding> {
  const normalized = normalizePrompt(prompt);
  const key = await embeddingCacheKey(runner.model.textEncoder, normalized);
  const known = recent.get(key);
  if (known) return { bytes: known, cache: 'hit' };
  // no await between the look and the set: no two callers can both start a flight
  const pending = inflight.get(key);
  if (pending) return pending;
  const flight = lookupOrEmbed(kv, pool, runner, normalized, key)
    .then((found) => {
      recent.set(key, found.bytes);
      return found;
    })
    .finally(() => inflight.delete(key));
  inflight.set(key, flight);
  return flight;
}

async function lookupOrEmbed(kv: KVNamespace, pool: RunnerPool, runner: RunnerHandle, normalized: string, key: string): Promise<CachedEmbedding> {
  const encoder = runner.model.textEncoder;
  const hit = await kv.get(key, 'arrayBuffer');
  if (hit) return { bytes: new Uint8Array(hit), cache: 'hit' };

  let res: Response;
  try {
    res = await pool.request(runner.spec, { method: 'POST', path: '/v1/embed', body: JSON.stringify({ prompts: [normalized] }), accept: embeddingContentType });
  } catch (e) {
    throw new EmbedError(`runner ${runner.spec.url} /v1/embed: ${e instanceof Error ? e.message : String(e)}`, true, 502);
  }
  if (!res.ok) {
    const text = await res.text().catch(() => '');
    const busy = busyAnswer(res, Date.now());
    if (busy) throw new EmbedError(`runner ${runner.spec.url} /v1/embed ${busy.reason}`, false, res.status, busy);
    // 4xx: the runner refused the prompt (too long, ...), not a runner fault
    throw new EmbedError(`runner /v1/embed answered ${res.status}: ${text.slice(0, 300)}`, res.status >= 500 || res.status === 401, res.status);
  }
  const bytes = new Uint8Array(await res.arrayBuffer());
  let header;
  try {
    header = decodeEmbeddings(bytes).header;
  } catch (e) {
    throw new EmbedError(`runner /v1/embed: ${e instanceof Error ? e.message : String(e)}`, true, 502);
  }
  if (header.encoderId !== encoder.id || header.encoderSha256 !== encoder.sha256 || header.batch !== 1 || header.tokens !== encoder.maxTokens)
    throw new EmbedError(`runner /v1/embed: embeddings from ${header.encoderId}@${header.encoderSha256.slice(0, 12)} [${header.batch}, ${header.tokens}] do not match the encoder it reported`, true, 502);
  await kv.put(key, bytes, { expirationTtl: ttlSeconds, metadata: { encoderId: encoder.id, tokens: header.tokens, hidden: header.hidden } });
  return { bytes, cache: 'miss' };
}
