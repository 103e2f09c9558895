// Sends a job's queued webhook messages, in order, signed with the key's secret
// (Standard Webhooks headers), one at a time. The job object calls kick() once a
// message is durably queued and from its alarm; a failed attempt sets the alarm
// for the retry. Before each attempt the alarm is set a lease ahead, so an object
// evicted mid-attempt tries again from its alarm.
import { webhookRequestHeaders } from '@imagen-ts/protocol';
import { recordAttempt, type AttemptResult, type WebhookMessage, type WebhookState } from './webhook-queue.ts';

export interface WebhookDeliveryHost {
  /** the stored state, read fresh (the job may have queued more meanwhile) */
  state(): WebhookState | undefined;
  save(state: WebhookState): void;
  /** the webhook's alarm deadline (ms); undefined: none needed */
  schedule(at: number | undefined): Promise<void>;
  /** the job owner's current whsec_ secret (read at each attempt, so a rotation applies at once) */
  secret(): Promise<string | undefined>;
  firstRetryMs(): number;
}

export type WebhookSender = (url: string, message: WebhookMessage, secret: string) => Promise<AttemptResult>;

export interface WebhookDeliverer {
  /** delivers what is due; joins a run already going (which then looks again) */
  kick(): Promise<void>;
}

/** Standard Webhooks recommends 15-30 s */
export const attemptTimeoutMs = 15_000;
/** how far ahead the alarm is set while an attempt is out (or about to be) */
export const webhookLeaseMs = attemptTimeoutMs + 5_000;

function retryAfterMs(value: string | null): number | undefined {
  if (value === null) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** one signed POST; redirects are not followed (a 3xx is a failed attempt, as the spec advises) */
export const sendWebhook: WebhookSender = async (url, message, secret) => {
  const at = Date.now();
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { ...(await webhookRequestHeaders(secret, message.id, message.body)), 'content-type': 'application/json', 'user-agent': 'imagen-ts-webhooks/1' },
      body: message.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(attemptTimeoutMs),
    });
    await res.body?.cancel();
    const wait = retryAfterMs(res.headers.get('retry-after'));
    return { at, status: res.status, durationMs: Date.now() - at, ...(wait !== undefined ? { retryAfterMs: wait } : {}) };
  } catch (e) {
    return { at, status: null, error: e instanceof Error ? `${e.name}: ${e.message}`.slice(0, 300) : String(e), durationMs: Date.now() - at };
  }
};

async function deliverDue(host: WebhookDeliveryHost, send: WebhookSender): Promise<void> {
  for (;;) {
    const state = host.state();
    const head = state?.queue[0];
    if (!state || !head) return host.schedule(undefined);
    const now = Date.now();
    if (head.nextAt > now) return host.schedule(head.nextAt);
    await host.schedule(now + webhookLeaseMs);
    const secret = await host.secret();
    const result: AttemptResult =
      secret === undefined ? { at: now, status: null, error: 'the API key has no webhook secret (POST /v1/webhooks/secret)', durationMs: 0 } : await send(state.url, head, secret);
    const fresh = host.state();
    if (!fresh) return;
    host.save(recordAttempt(fresh, head.id, result, host.firstRetryMs()));
  }
}

export function createWebhookDeliverer(host: WebhookDeliveryHost, send: WebhookSender = sendWebhook): WebhookDeliverer {
  let running: Promise<void> | undefined;
  let again = false;
  return {
    kick() {
      if (running) {
        again = true;
        return running;
      }
      running = (async () => {
        do {
          again = false;
          await deliverDue(host, send);
        } while (again);
      })().finally(() => {
        running = undefined;
      });
      return running;
    },
  };
}
