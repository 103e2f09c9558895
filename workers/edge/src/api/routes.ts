// Every route of the edge API as an OpenAPI route config. The worker binds
// handlers to these (../app.ts); the typed client derives its types from them
// alone (../client.ts), so neither depends on the other's runtime.
import { createRoute, z } from '@hono/zod-openapi';
import {
  ApiKeyId,
  ErrorBody,
  GenerationRequest,
  ImageId,
  ImageMeta,
  InspectResult,
  Job,
  JobId,
  ModelList,
  Notebook,
  NotebookId,
  NotebookInput,
  NotebookList,
  OpenAiImageRequest,
  OpenAiImageResponse,
  RevokedKey,
  TokenizeInput,
  TokenizeResult,
  UpscaleRequest,
  WebhookPayload,
  WebhookSecret,
} from '@imagen-ts/protocol';

const security = [{ bearer: [] }];
const json = <T extends z.ZodType>(schema: T, description: string) => ({ content: { 'application/json': { schema } }, description });
const errorsOf = (...codes: number[]) =>
  Object.fromEntries(codes.map((code) => [code, json(ErrorBody, errorDescriptions[code] ?? 'error')])) as Record<number, ReturnType<typeof json<typeof ErrorBody>>>;
const errorDescriptions: Record<number, string> = {
  400: 'invalid request (the field and allowed values are named)',
  401: 'missing, malformed, unknown or revoked API key',
  403: 'the key lacks the scope',
  404: 'not found (or owned by another key)',
  409: 'conflict',
  412: 'If-Match does not match the current ETag',
  413: 'body too large',
  428: 'If-Match required',
  429: 'rate limit exceeded (see Retry-After)',
  503: 'no healthy runner',
};

const CreateHeaders = z.object({
  'idempotency-key': z
    .string()
    .regex(/^[\x21-\x7e]{1,255}$/, '1-255 visible ASCII characters')
    .optional()
    .openapi({ description: 'Idempotency-Key: retrying with the same key (and body) returns the same job' }),
  prefer: z
    .string()
    .regex(/^\s*wait=\d{1,3}\s*$/, 'wait=N (seconds, at most 300)')
    .optional()
    .openapi({ description: 'Prefer: wait=N answers 200 with the finished job when it finishes within N seconds', example: 'wait=30' }),
});

const jobResponses = {
  200: json(Job, 'the job finished within Prefer: wait (or an idempotent replay of a finished job)'),
  202: json(Job, 'the job is queued or running; follow Location or /events'),
  ...errorsOf(400, 401, 403, 409, 413, 429, 503),
};

export const healthRoute = createRoute({
  method: 'get',
  path: '/health',
  summary: 'The edge is up (says nothing about runners; see GET /v1/models)',
  responses: { 200: json(z.object({ status: z.literal('ok') }), 'up') },
});

export const createGeneration = createRoute({
  method: 'post',
  path: '/v1/generations',
  summary: 'Generate images (a job)',
  security,
  request: { headers: CreateHeaders, body: { required: true, content: { 'application/json': { schema: GenerationRequest } } } },
  responses: jobResponses,
});

export const getJob = createRoute({
  method: 'get',
  path: '/v1/jobs/{id}',
  summary: 'A job',
  security,
  request: { params: z.object({ id: JobId }) },
  responses: { 200: json(Job, 'the job'), ...errorsOf(400, 401, 404, 429) },
});

export const jobEvents = createRoute({
  method: 'get',
  path: '/v1/jobs/{id}/events',
  summary: 'A job\'s events: Server-Sent Events (or a WebSocket with Upgrade: websocket)',
  description:
    'Events: `state` (every transition, data = the job), `progress` (JobProgressEvent: {stage, stageIndex, step, total, preview?: data URL}). ' +
    'Each has an increasing id; reconnect with Last-Event-ID to resume. The stream ends after a terminal state.',
  security,
  request: { params: z.object({ id: JobId }), headers: z.object({ 'last-event-id': z.string().regex(/^\d{1,12}$/).optional() }) },
  responses: { 200: { content: { 'text/event-stream': { schema: z.string() } }, description: 'the event stream' }, 101: { description: 'WebSocket' }, ...errorsOf(400, 401, 404, 429) },
});

export const cancelJob = createRoute({
  method: 'post',
  path: '/v1/jobs/{id}/cancel',
  summary: 'Cancel a job',
  security,
  request: { params: z.object({ id: JobId }) },
  responses: { 200: json(Job, 'the job, canceled'), ...errorsOf(400, 401, 404, 409, 429) },
});

export const upscaleImage = createRoute({
  method: 'post',
  path: '/v1/images/{id}/upscale',
  summary: 'Run the next super-resolution stage on a stored image (a job)',
  security,
  request: { params: z.object({ id: ImageId }), headers: CreateHeaders, body: { required: true, content: { 'application/json': { schema: UpscaleRequest } } } },
  responses: jobResponses,
});

export const getImage = createRoute({
  method: 'get',
  path: '/v1/images/{id}',
  summary: 'An image (PNG); public and immutable: the id is its sha256',
  request: { params: z.object({ id: ImageId }) },
  responses: { 200: { content: { 'image/png': { schema: z.string().openapi({ format: 'binary' }) } }, description: 'the PNG' }, 304: { description: 'not modified' }, ...errorsOf(400, 404) },
});

export const getImageMeta = createRoute({
  method: 'get',
  path: '/v1/images/{id}/meta',
  summary: 'An image\'s metadata and lineage',
  security,
  request: { params: z.object({ id: ImageId }) },
  responses: { 200: json(ImageMeta, 'metadata'), ...errorsOf(400, 401, 404, 429) },
});

export const inspectImage = createRoute({
  method: 'post',
  path: '/v1/images/inspect',
  summary: 'Read the generation parameters stored in a PNG (ours or AUTOMATIC1111\'s)',
  security,
  request: {
    body: {
      required: true,
      content: {
        'image/png': { schema: z.string().openapi({ format: 'binary' }) },
        // checked by the handler, which names the field; z.any() keeps the form validator out of the way
        'multipart/form-data': { schema: z.object({ file: z.any().optional().openapi({ type: 'string', format: 'binary' }) }) },
      },
    },
  },
  responses: { 200: json(InspectResult, 'the parameters'), ...errorsOf(400, 401, 413, 429) },
});

export const openAiGenerations = createRoute({
  method: 'post',
  path: '/v1/images/generations',
  summary: 'OpenAI Images API: create images (waits for the job)',
  security,
  request: { body: { required: true, content: { 'application/json': { schema: OpenAiImageRequest } } } },
  responses: { 200: json(OpenAiImageResponse, 'the images'), ...errorsOf(400, 401, 403, 413, 429, 503) },
});

export const listModels = createRoute({
  method: 'get',
  path: '/v1/models',
  summary: 'The models the runner pool serves',
  security,
  responses: { 200: json(ModelList, 'models'), ...errorsOf(401, 429, 503) },
});

export const tokenizePrompt = createRoute({
  method: 'post',
  path: '/v1/tokenize',
  summary: "A prompt through the model's tokenizer: token count, truncation, unknown words (no encoder run; cached)",
  security,
  request: { body: { required: true, content: { 'application/json': { schema: TokenizeInput } } } },
  responses: { 200: json(TokenizeResult, 'what the model makes of the prompt'), ...errorsOf(400, 401, 429, 502, 503) },
});

export const createWebhookSecret = createRoute({
  method: 'post',
  path: '/v1/webhooks/secret',
  summary: "Make (or rotate) this key's webhook signing secret; it is shown only in this response",
  description:
    'Webhooks are signed as Standard Webhooks specifies (webhook-id, webhook-timestamp, webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">) ' +
    'with this secret. Calling again replaces it at once, for pending retries too.',
  security,
  responses: { 201: json(WebhookSecret, 'the new secret (store it: it is not shown again)'), ...errorsOf(401, 403, 429) },
});

/** the request the edge sends to a job's webhook URL (the OpenAPI document's `webhooks`) */
export const jobWebhook = {
  method: 'post' as const,
  path: 'job',
  summary: "A job's event, sent to the `webhook` URL of its request",
  description:
    '`job.start` when a runner starts the job, `job.completed` when it succeeded, failed or was canceled (progress is not sent). ' +
    'Verify with the key\'s secret (the typed client\'s verifyWebhook()); answer 2xx. Other answers and timeouts (15 s) are retried ' +
    'with backoff for up to 24 h; 410 stops the job\'s webhook. webhook-id is the same on every retry.',
  request: {
    headers: z.object({
      'webhook-id': z.string().openapi({ example: 'msg_job_0123456789abcdefghijklmnop_completed' }),
      'webhook-timestamp': z.string().openapi({ description: 'unix seconds of this attempt' }),
      'webhook-signature': z.string().openapi({ description: 'v1,<base64 HMAC-SHA256>; space-separated when several' }),
    }),
    body: { required: true, content: { 'application/json': { schema: WebhookPayload } } },
  },
  responses: { 200: { description: 'any 2xx: delivered' } },
};

const notebookParams = z.object({ id: NotebookId });
const ifMatch = z.object({ 'if-match': z.string().max(200).optional().openapi({ description: 'the ETag the change was made from' }) });

export const listNotebooks = createRoute({
  method: 'get',
  path: '/v1/notebooks',
  summary: 'This key\'s notebooks',
  security,
  responses: { 200: json(NotebookList, 'notebooks, newest first'), ...errorsOf(401, 403, 429) },
});

export const createNotebook = createRoute({
  method: 'post',
  path: '/v1/notebooks',
  summary: 'Create a notebook',
  security,
  request: { body: { required: true, content: { 'application/json': { schema: NotebookInput } } } },
  responses: { 201: json(Notebook, 'created (ETag header)'), ...errorsOf(400, 401, 403, 413, 429) },
});

export const getNotebook = createRoute({
  method: 'get',
  path: '/v1/notebooks/{id}',
  summary: 'A notebook (ETag header)',
  security,
  request: { params: notebookParams },
  responses: { 200: json(Notebook, 'the notebook'), 304: { description: 'not modified (If-None-Match)' }, ...errorsOf(400, 401, 403, 404, 429) },
});

export const putNotebook = createRoute({
  method: 'put',
  path: '/v1/notebooks/{id}',
  summary: 'Replace a notebook; If-Match with its ETag is required',
  security,
  request: { params: notebookParams, headers: ifMatch, body: { required: true, content: { 'application/json': { schema: NotebookInput } } } },
  responses: { 200: json(Notebook, 'saved (new ETag)'), ...errorsOf(400, 401, 403, 404, 412, 413, 428, 429) },
});

export const deleteNotebook = createRoute({
  method: 'delete',
  path: '/v1/notebooks/{id}',
  summary: 'Delete a notebook; If-Match with its ETag is required',
  security,
  request: { params: notebookParams, headers: ifMatch },
  responses: { 204: { description: 'deleted' }, ...errorsOf(400, 401, 403, 404, 412, 428, 429) },
});

export const revokeApiKey = createRoute({
  method: 'post',
  path: '/v1/keys/{id}/revoke',
  summary: 'Revoke an API key (admin scope): refused at once by this isolate, everywhere within 1 s',
  security,
  request: { params: z.object({ id: ApiKeyId }) },
  responses: { 200: json(RevokedKey, 'revoked (again: the first revocation time)'), ...errorsOf(400, 401, 403, 404, 429) },
});

/** in registration order; the client type chains them */
export const routes = {
  health: healthRoute,
  createGeneration,
  getJob,
  jobEvents,
  cancelJob,
  upscaleImage,
  getImage,
  getImageMeta,
  inspectImage,
  openAiGenerations,
  listModels,
  tokenizePrompt,
  createWebhookSecret,
  listNotebooks,
  createNotebook,
  getNotebook,
  putNotebook,
  deleteNotebook,
  revokeApiKey,
};
