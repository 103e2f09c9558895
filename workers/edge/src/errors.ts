// The edge's one error type and its one mapping to HTTP. Every 4xx/5xx body is
//   { "error": { "code", "message", "field"?, "allowed"? } }
// whether it came from validation, auth, a missing route, or a bug.
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

import { ApiError, type ApiErrorExtra, type ApiErrorStatus } from '@imagen-ts/protocol';

// The ApiError class and the zod mapping are the protocol's: one error shape on every side.
export { ApiError, fromZodError, type ApiErrorBody, type ApiErrorExtra } from '@imagen-ts/protocol';

export const errors = {
  invalid: (message: string, extra: ApiErrorExtra = {}) => new ApiError(400, 'invalid_request', message, extra),
  unauthorized: (message: string) => new ApiError(401, 'unauthorized', message, { headers: { 'WWW-Authenticate': 'Bearer realm="imagen-ts"' } }),
  forbidden: (scope: string) => new ApiError(403, 'forbidden', `this API key lacks the "${scope}" scope`, { allowed: [scope] }),
  notFound: (what: string) => new ApiError(404, 'not_found', `${what} not found`),
  conflict: (code: string, message: string) => new ApiError(409, code, message),
  preconditionFailed: (message: string, etag: string) => new ApiError(412, 'precondition_failed', message, { headers: { ETag: etag } }),
  preconditionRequired: (message: string) => new ApiError(428, 'precondition_required', message, { field: 'If-Match' }),
  tooLarge: (limit: number) => new ApiError(413, 'payload_too_large', `request body is larger than ${limit} bytes`),
  rateLimited: (retryAfterSeconds: number) =>
    new ApiError(429, 'rate_limited', `rate limit exceeded; retry after ${retryAfterSeconds} s`, { headers: { 'Retry-After': String(retryAfterSeconds) } }),
  unavailable: (message: string) => new ApiError(503, 'runner_unavailable', message, { headers: { 'Retry-After': '5' } }),
  upstream: (message: string) => new ApiError(502, 'runner_error', message),
};

function isApiError(err: unknown): err is ApiError {
  return err instanceof ApiError;
}

// A Durable Object's RPC method returns its ApiErrors as values: thrown ones
// would reach the worker as plain Errors (and be logged as uncaught there).
export interface RpcError {
  status: ApiErrorStatus;
  code: string;
  message: string;
  field?: string;
  allowed?: unknown[];
  headers?: Record<string, string>;
}

export type RpcResult<T> = { ok: true; value: T } | { ok: false; error: RpcError };

export function rpcError(err: ApiError): { ok: false; error: RpcError } {
  const error: RpcError = { status: err.status, ...err.body().error };
  if (err.headers) error.headers = err.headers;
  return { ok: false, error };
}

/** the value, or the ApiError the object returned, thrown in the worker */
export function unwrap<T>(result: RpcResult<T>): T {
  if (result.ok) return result.value;
  const { status, code, message, ...extra } = result.error;
  throw new ApiError(status, code, message, extra);
}

export function toApiError(err: unknown): ApiError {
  if (isApiError(err)) return err;
  // hono's HTTPException (e.g. from bodyLimit) carries a status; keep 4xx as client errors
  if (err instanceof Error && 'status' in err && typeof err.status === 'number' && err.status >= 400 && err.status < 500) {
    if (err.status === 413) return new ApiError(413, 'payload_too_large', err.message || 'request body too large');
    return new ApiError(err.status as ApiErrorStatus, 'invalid_request', err.message || 'invalid request');
  }
  return new ApiError(500, 'internal', 'internal error');
}

/** app.onError: the one place an error becomes an HTTP response */
export function errorResponse(err: unknown, c: Context): Response {
  const api = toApiError(err);
  if (api.status === 500) console.error(`[edge] ${c.req.method} ${c.req.path}:`, err);
  else if (api.status > 500) console.warn(`[edge] ${c.req.method} ${c.req.path}: ${api.status} ${api.message}`);
  const headers: Record<string, string> = { 'Cache-Control': 'no-store', ...api.headers };
  return c.json(api.body(), api.status as ContentfulStatusCode, headers);
}
