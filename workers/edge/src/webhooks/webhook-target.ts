// Which webhook targets a request may name: https: anywhere; http://127.0.0.1
// only where the configuration says so (the local dev vars, never production).
// Every refusal is a 400 naming the field.
import { webhookEvents, type WebhookEvent } from '@imagen-ts/protocol';
import type { EdgeConfig } from '../config.ts';
import { errors } from '../errors.ts';
import type { WebhookTarget } from './webhook-queue.ts';
import { webhookSecretOf } from './webhook-secrets.ts';

export interface WebhookFields {
  webhook?: string | undefined;
  webhookEvents?: WebhookEvent[] | undefined;
}

/** the reason `url` may not be a webhook target under this configuration, if any */
export function webhookUrlProblem(url: string, allowLocalHttp: boolean): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'not a URL';
  }
  if (u.protocol === 'https:') return undefined;
  if (u.protocol === 'http:' && allowLocalHttp && u.hostname === '127.0.0.1') return undefined;
  return allowLocalHttp ? 'must be an https: URL, or http://127.0.0.1 (local dev config)' : 'must be an https: URL';
}

/** the request's webhook, checked against the configuration and the key's secret; undefined when none was asked for */
export async function webhookTargetFor(env: Env, config: EdgeConfig, keyId: string, fields: WebhookFields): Promise<WebhookTarget | undefined> {
  if (fields.webhook === undefined) {
    if (fields.webhookEvents !== undefined) throw errors.invalid('webhookEvents: give a webhook URL too', { field: 'webhookEvents' });
    return undefined;
  }
  const problem = webhookUrlProblem(fields.webhook, config.webhookAllowLocalHttp);
  if (problem) throw errors.invalid(`webhook: ${problem}`, { field: 'webhook', allowed: config.webhookAllowLocalHttp ? ['https:', 'http://127.0.0.1'] : ['https:'] });
  if ((await webhookSecretOf(env.DB, keyId)) === undefined)
    throw errors.invalid('webhook: this API key has no webhook secret yet; make one with POST /v1/webhooks/secret (it is shown once)', { field: 'webhook' });
  // in the order the events happen, whatever order the request listed them in
  const events = webhookEvents.filter((e) => (fields.webhookEvents ?? webhookEvents).includes(e));
  return { url: fields.webhook, events };
}
