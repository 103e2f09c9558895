// The one error shape of every 4xx/5xx answer, shared by the runner and the edge:
//   { "error": { "code", "message", "field"?, "allowed"? } }
// Framework-free apart from hono types, so it also runs inside workerd.
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';

export interface ApiErrorBody {
  error: { code: string; message: string; field?: string; allowed?: unknown[] };
}

export interface ApiErrorExtra {
  field?: string;
  allowed?: unknown[];
  headers?: Record<string, string>;
}

export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: ContentfulStatusCode;
  readonly code: string;
  readonly field: string | undefined;
  readonly allowed: unknown[] | undefined;
  readonly headers: Record<string, string> | undefined;
  constructor(status: ContentfulStatusCode, code: string, message: string, extra: ApiErrorExtra = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = extra.field;
    this.allowed = extra.allowed;
    this.headers = extra.headers;
  }

  body(): ApiErrorBody {
    const error: ApiErrorBody['error'] = { code: this.code, message: this.message };
    if (this.field !== undefined) error.field = this.field;
    if (this.allowed !== undefined) error.allowed = this.allowed;
    return { error };
  }
}

export function errorResponse(c: Context, err: ApiError): Response {
  if (err.headers) for (const [k, v] of Object.entries(err.headers)) c.header(k, v);
  return c.json(err.body(), err.status);
}

/** the first zod issue as a 400, naming the field and (for enums/literals) the allowed values */
export function fromZodError(error: z.ZodError, fieldPrefix = ''): ApiError {
  const issue = error.issues[0];
  if (!issue) return new ApiError(400, 'invalid_request', 'invalid request');
  const field = [fieldPrefix, ...issue.path.map(String)].filter((p) => p.length > 0).join('.');
  const extra: ApiErrorExtra = {};
  if (field) extra.field = field;
  if (issue.code === 'invalid_value') extra.allowed = issue.values.map((v) => (typeof v === 'bigint' ? String(v) : v));
  if (issue.code === 'unrecognized_keys') return new ApiError(400, 'invalid_request', `${field || 'body'}: unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`, extra);
  return new ApiError(400, 'invalid_request', field ? `${field}: ${issue.message}` : issue.message, extra);
}
