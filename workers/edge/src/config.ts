// The edge's configuration: the one module that reads the worker's vars and
// secrets (Env). Parsed once per isolate and validated with zod; errors name the
// variable and never echo a secret.
import { z } from 'zod';
import type { SigningKey } from '@imagen-ts/protocol';

export interface RunnerSpec {
  url: string;
  keyId: string;
  /** the runner's RUNNER_ID, which signatures name; default: the URL's host:port (a runner without RUNNER_ID answers to its listen address) */
  id?: string;
}

export interface EdgeConfig {
  runners: RunnerSpec[];
  /** keyId → secret */
  signingKeys: Record<string, string>;
  corsOrigins: string[];
  /** seconds without any runner event before an attempt counts as dead */
  runnerStallSeconds: number;
  /** attempts per job, across runners */
  maxAttempts: number;
  /** how long a job may wait for a runner with room (runners answering 429 / 503 Retry-After) before it fails queue_timeout */
  queueTimeoutSeconds: number;
  /** webhooks: also allow http://127.0.0.1 targets (local dev config only; production takes https: only) */
  webhookAllowLocalHttp: boolean;
  /** webhooks: the first retry's delay; each later one is 6× longer (capped at 8 h), for up to 24 h */
  webhookFirstRetryMs: number;
}

const RunnerList = z
  .array(
    z.object({
      url: z.string().regex(/^https?:\/\/[^/\s]+$/, 'an origin such as http://127.0.0.1:8790 (no path)'),
      keyId: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, '1-64 of [A-Za-z0-9._-]'),
      id: z.string().regex(/^[A-Za-z0-9._:[\]-]{1,128}$/, "1-128 of [A-Za-z0-9._:[]-], the runner's RUNNER_ID").optional(),
    }),
  )
  .min(1, 'at least one runner');

const jsonText = <T extends z.ZodType>(schema: T) =>
  z.string().transform((text, ctx): z.infer<T> => {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'not valid JSON' });
      return z.NEVER;
    }
    const r = schema.safeParse(raw);
    if (!r.success) {
      const issue = r.error.issues[0];
      ctx.addIssue({ code: 'custom', message: `${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}` });
      return z.NEVER;
    }
    return r.data;
  });

const intText = (min: number, max: number, fallback: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return fallback;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `an integer in [${min}, ${max}]` });
        return z.NEVER;
      }
      return n;
    });

const Vars = z.object({
  RUNNERS: jsonText(RunnerList),
  // The secret's message must not include its value: only structure is reported.
  RUNNER_SIGNING_KEYS: z.string().transform((text, ctx) => {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON object {"<keyId>": "<secret>"}' });
      return z.NEVER;
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON object {"<keyId>": "<secret>"}' });
      return z.NEVER;
    }
    const out: Record<string, string> = {};
    for (const [id, secret] of Object.entries(raw)) {
      if (typeof secret !== 'string' || secret.length < 16) {
        ctx.addIssue({ code: 'custom', message: `key "${id}": secret must be a string of at least 16 characters` });
        return z.NEVER;
      }
      out[id] = secret;
    }
    return out;
  }),
  CORS_ORIGINS: z
    .string()
    .optional()
    .transform((s) => (s ?? '').split(',').map((o) => o.trim()).filter((o) => o.length > 0)),
  RUNNER_STALL_SECONDS: intText(1, 3600, 60),
  MAX_ATTEMPTS: intText(1, 10, 3),
  QUEUE_TIMEOUT_SECONDS: intText(1, 86_400, 600),
  WEBHOOK_ALLOW_LOCAL_HTTP: z.enum(['true', 'false', '']).optional().transform((v) => v === 'true'),
  WEBHOOK_FIRST_RETRY_MS: intText(1, 3_600_000, 5000),
});

export class ConfigError extends Error {
  override name = 'ConfigError';
}

let cached: { source: unknown; config: EdgeConfig } | undefined;

export function loadConfig(env: Env): EdgeConfig {
  if (cached?.source === env) return cached.config;
  const parsed = Vars.safeParse({
    RUNNERS: env.RUNNERS,
    RUNNER_SIGNING_KEYS: env.RUNNER_SIGNING_KEYS ?? '',
    CORS_ORIGINS: env.CORS_ORIGINS,
    RUNNER_STALL_SECONDS: env.RUNNER_STALL_SECONDS,
    MAX_ATTEMPTS: env.MAX_ATTEMPTS,
    QUEUE_TIMEOUT_SECONDS: env.QUEUE_TIMEOUT_SECONDS,
    WEBHOOK_ALLOW_LOCAL_HTTP: env.WEBHOOK_ALLOW_LOCAL_HTTP,
    WEBHOOK_FIRST_RETRY_MS: env.WEBHOOK_FIRST_RETRY_MS,
  });
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid edge configuration: ${lines.join('; ')}`);
  }
  const v = parsed.data;
  for (const r of v.RUNNERS) {
    if (!(r.keyId in v.RUNNER_SIGNING_KEYS)) throw new ConfigError(`RUNNERS: runner ${r.url} uses key "${r.keyId}", which RUNNER_SIGNING_KEYS lacks`);
  }
  const config: EdgeConfig = {
    runners: v.RUNNERS,
    signingKeys: v.RUNNER_SIGNING_KEYS,
    corsOrigins: v.CORS_ORIGINS,
    runnerStallSeconds: v.RUNNER_STALL_SECONDS,
    maxAttempts: v.MAX_ATTEMPTS,
    queueTimeoutSeconds: v.QUEUE_TIMEOUT_SECONDS,
    webhookAllowLocalHttp: v.WEBHOOK_ALLOW_LOCAL_HTTP,
    webhookFirstRetryMs: v.WEBHOOK_FIRST_RETRY_MS,
  };
  cached = { source: env, config };
  return config;
}

export function signingKeyFor(config: EdgeConfig, runner: RunnerSpec): SigningKey {
  const secret = config.signingKeys[runner.keyId];
  if (secret === undefined) throw new ConfigError(`no signing secret for key "${runner.keyId}"`);
  return { keyId: runner.keyId, secret };
}
