// Each API key's webhook signing secret (D1 `webhook_secrets`): made, or replaced,
// by POST /v1/webhooks/secret, which shows it once; read by the job object at each
// delivery attempt, so a rotation applies at once to retries still pending.
import { generateWebhookSecret } from '@imagen-ts/protocol';

export async function rotateWebhookSecret(db: D1Database, keyId: string, now = new Date()): Promise<{ secret: string; createdAt: string }> {
  const secret = generateWebhookSecret();
  const createdAt = now.toISOString();
  await db
    .prepare('INSERT INTO webhook_secrets (key_id, secret, created_at) VALUES (?, ?, ?) ON CONFLICT (key_id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at')
    .bind(keyId, secret, createdAt)
    .run();
  return { secret, createdAt };
}

export async function webhookSecretOf(db: D1Database, keyId: string): Promise<string | undefined> {
  const row = await db.prepare('SELECT secret FROM webhook_secrets WHERE key_id = ?').bind(keyId).first<{ secret: string }>();
  return row?.secret;
}
