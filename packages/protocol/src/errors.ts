// The one error shape of every 4xx/5xx answer, from the runner and the edge alike:
//   { "error": { "code", "message", "field"?, "allowed"? } }
// Framework-free: each service turns an ApiError into its framework's response.
import { z } from 'zod';

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().meta({ example: 'invalid_request' }),
      message: z.string(),
      field: z.string().optional(),
      allowed: z.array(z.unknown()).optional(),
    }),
  })
  .meta({ id: 'Error' });
export type ApiErrorBody = z.infer<typeof ErrorBody>;

/** the statuses an ApiError carries (all have a body) */
export type ApiErrorStatus = 400 | 401 | 403 | 404 | 405 | 409 | 410 | 412 | 413 | 415 | 422 | 428 | 429 | 500 | 502 | 503 | 504 | 507;

export interface ApiErrorExtra {
  field?: string;
  allowed?: unknown[];
  headers?: Record<string, string>;
}

export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: ApiErrorStatus;
  readonly code: string;
  readonly field: string | undefined;
  readonly allowed: unknown[] | undefined;
  readonly headers: Record<string, string> | undefined;
  constructor(status: ApiErrorStatus, code: string, message: string, extra: ApiErrorExtra = {}) {
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
