// Signed webhooks, as Standard Webhooks 1.0 defines them (standardwebhooks.com):
// the request fields that ask for one, the delivery record a job shows, the
// headers, and HMAC-SHA256 signing and verification on Web Crypto (no node:
// imports, so the edge signs and a client verifies with the same code).
//
//   webhook-id:        the message's id, the same on every retry (an idempotency key)
//   webhook-timestamp: unix seconds of this attempt
//   webhook-signature: "v1,<base64 HMAC-SHA256 of `${id}.${timestamp}.${body}`>", space-separated when several
// The HMAC key is the secret's bytes: base64 after the `whsec_` prefix.
import { z } from 'zod';
import type { WebhookPayload } from './edge-api.ts';

/** what a webhook can be told; progress is never sent */
export const webhookEvents = ['start', 'completed'] as const;
export const WebhookEvent = z.enum(webhookEvents);
export type WebhookEvent = z.infer<typeof WebhookEvent>;

/** the payload's `type` for each event: `job.start`, `job.completed` */
export const webhookPayloadTypes = { start: 'job.start', completed: 'job.completed' } as const satisfies Record<WebhookEvent, string>;

/** the fields POST /v1/generations and POST /v1/images/:id/upscale take (which targets are allowed is the edge's configuration) */
export const webhookRequestFields = {
  webhook: z
    .url({ protocol: /^https?$/ })
    .max(2048)
    .optional()
    .meta({ description: 'POST the job\'s events here, signed (Standard Webhooks). https: only; http://127.0.0.1 only where the edge\'s local dev config allows it', example: 'https://example.com/hooks/imagen' }),
  webhookEvents: z
    .array(WebhookEvent)
    .min(1)
    .max(webhookEvents.length)
    .refine((a) => new Set(a).size === a.length, 'no event twice')
    .optional()
    .meta({ description: 'which events to send (default: all): `start` when a runner starts the job, `completed` when it succeeded, failed or was canceled' }),
};

/** how one delivery attempt ended: delivered (2xx), retried later, or given up (24 h passed, or the receiver answered 410 Gone) */
export const WebhookAttempt = z.object({
  event: WebhookEvent,
  /** the webhook-id header */
  messageId: z.string(),
  /** 1-based, per message */
  number: z.number().int(),
  at: z.string().meta({ description: 'when the attempt was sent (ISO 8601)' }),
  /** the receiver's HTTP status; null when none came (network error, timeout) */
  status: z.number().int().nullable(),
  error: z.string().optional(),
  durationMs: z.number().int(),
  outcome: z.enum(['delivered', 'retry', 'gave_up']),
});
export type WebhookAttempt = z.infer<typeof WebhookAttempt>;

/** a job's `webhook`: where it goes and every attempt so far */
export const WebhookStatus = z
  .object({
    url: z.string(),
    events: z.array(WebhookEvent),
    attempts: z.array(WebhookAttempt),
    /** the last attempt's HTTP status (null: none yet, or no response) */
    lastStatus: z.number().int().nullable(),
    /** messages not yet delivered nor given up */
    pending: z.number().int(),
    nextAttemptAt: z.string().nullable(),
  })
  .meta({ id: 'WebhookStatus' });
export type WebhookStatus = z.infer<typeof WebhookStatus>;

/** POST /v1/webhooks/secret's answer: the key's new secret, shown this once */
export const WebhookSecret = z
  .object({
    secret: z.string().meta({ example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }),
    createdAt: z.string(),
  })
  .meta({ id: 'WebhookSecret' });
export type WebhookSecret = z.infer<typeof WebhookSecret>;

export const webhookHeaders = { id: 'webhook-id', timestamp: 'webhook-timestamp', signature: 'webhook-signature' } as const;
export const webhookSecretPrefix = 'whsec_';
/** the default tolerance of verifyWebhook() for webhook-timestamp, either way */
export const webhookToleranceSeconds = 300;
/** a message is retried for this long after its first attempt, then given up */
export const webhookRetryWindowMs = 24 * 60 * 60 * 1000;

const utf8 = new TextEncoder();

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array | undefined {
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    return undefined;
  }
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** a new secret: `whsec_` + base64 of 32 random bytes (the spec asks for 24 to 64) */
export function generateWebhookSecret(): string {
  const bytes = new Uint8Array(32);
  crypto.getRandomValues(bytes);
  return webhookSecretPrefix + toBase64(bytes);
}

function secretKey(secret: string): Promise<CryptoKey> {
  const raw = fromBase64(secret.startsWith(webhookSecretPrefix) ? secret.slice(webhookSecretPrefix.length) : secret);
  if (!raw || raw.length === 0) throw new WebhookVerificationError('the secret is not a whsec_ key (base64 after the prefix)');
  return crypto.subtle.importKey('raw', raw.slice().buffer, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
}

function bodyBytes(body: string | Uint8Array): Uint8Array {
  return typeof body === 'string' ? utf8.encode(body) : body;
}

async function hmac(key: CryptoKey, id: string, timestamp: number, body: Uint8Array): Promise<Uint8Array> {
  const head = utf8.encode(`${id}.${timestamp}.`);
  const content = new Uint8Array(head.length + body.length);
  content.set(head);
  content.set(body, head.length);
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, content));
}

/** the webhook-signature value for one secret: `v1,<base64>` */
export async function signWebhook(secret: string, id: string, timestamp: number, body: string | Uint8Array): Promise<string> {
  return `v1,${toBase64(await hmac(await secretKey(secret), id, timestamp, bodyBytes(body)))}`;
}

/** the three headers of one delivery attempt (timestamp: unix seconds, default now) */
export async function webhookRequestHeaders(secret: string, id: string, body: string, timestamp = Math.floor(Date.now() / 1000)): Promise<Record<string, string>> {
  return {
    [webhookHeaders.id]: id,
    [webhookHeaders.timestamp]: String(timestamp),
    [webhookHeaders.signature]: await signWebhook(secret, id, timestamp, body),
  };
}

export class WebhookVerificationError extends Error {
  override name = 'WebhookVerificationError';
}

export interface VerifyWebhookOptions {
  /** accepted distance of webhook-timestamp from now, either way (default 300 s) */
  toleranceSeconds?: number;
  /** unix seconds (default: the wall clock) */
  now?: () => number;
}

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

function header(headers: Headers | Record<string, string | undefined>, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return v;
  return undefined;
}

/**
 * Checks a webhook the edge sent: the raw body exactly as received (not re-serialized
 * JSON), its headers, and the key's `whsec_` secret. Returns the parsed payload;
 * throws WebhookVerificationError when a header is missing, the timestamp is outside
 * the tolerance, or no `v1` signature matches (compared in constant time).
 * Use the payload's webhook-id to drop duplicates: a message may arrive more than once.
 */
export async function verifyWebhook(
  secret: string,
  body: string | Uint8Array,
  headers: Headers | Record<string, string | undefined>,
  options: VerifyWebhookOptions = {},
): Promise<WebhookPayload> {
  const id = header(headers, webhookHeaders.id);
  const tsText = header(headers, webhookHeaders.timestamp);
  const signatures = header(headers, webhookHeaders.signature);
  if (!id || !tsText || !signatures) throw new WebhookVerificationError('missing webhook-id, webhook-timestamp or webhook-signature');
  if (!/^\d{1,12}$/.test(tsText)) throw new WebhookVerificationError('malformed webhook-timestamp');
  const timestamp = Number(tsText);
  const now = options.now?.() ?? Math.floor(Date.now() / 1000);
  const tolerance = options.toleranceSeconds ?? webhookToleranceSeconds;
  if (now - timestamp > tolerance) throw new WebhookVerificationError('webhook-timestamp too old');
  if (timestamp - now > tolerance) throw new WebhookVerificationError('webhook-timestamp too new');
  const bytes = bodyBytes(body);
  const expected = await hmac(await secretKey(secret), id, timestamp, bytes);
  let match = false;
  for (const versioned of signatures.split(' ')) {
    const comma = versioned.indexOf(',');
    // other schemes (v1a: asymmetric) are skipped, as the spec asks
    if (comma < 0 || versioned.slice(0, comma) !== 'v1') continue;
    const given = fromBase64(versioned.slice(comma + 1));
    // no early exit: every listed signature is compared
    if (given && constantTimeEqual(given, expected)) match = true;
  }
  if (!match) throw new WebhookVerificationError('no matching signature');
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as WebhookPayload;
  } catch {
    throw new WebhookVerificationError('the body is not JSON');
  }
}
