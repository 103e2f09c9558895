// The runner's side of the one error shape (@imagen-ts/protocol's ApiError): as a Hono response.
import { ApiError } from '@imagen-ts/protocol';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export { ApiError, fromZodError, type ApiErrorBody, type ApiErrorExtra } from '@imagen-ts/protocol';

export function errorResponse(c: Context, err: ApiError): Response {
  if (err.headers) for (const [k, v] of Object.entries(err.headers)) c.header(k, v);
  return c.json(err.body(), err.status as ContentfulStatusCode);
}
