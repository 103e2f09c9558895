// The typed client for the notebook and other apps: hc<AppType> over the same
// route definitions the worker serves. Imports no worker code, so it runs in
// Node and in browsers.
import { OpenAPIHono } from '@hono/zod-openapi';
import { hc, type ClientRequestOptions } from 'hono/client';
import { routes } from './api/routes.ts';

// Never called: it exists for its return type, the schema of every route.
function _contract() {
  const h = undefined as never;
  return new OpenAPIHono()
    .openapi(routes.health, h)
    .openapi(routes.createGeneration, h)
    .openapi(routes.getJob, h)
    .openapi(routes.jobEvents, h)
    .openapi(routes.cancelJob, h)
    .openapi(routes.upscaleImage, h)
    .openapi(routes.getImage, h)
    .openapi(routes.getImageMeta, h)
    .openapi(routes.inspectImage, h)
    .openapi(routes.openAiGenerations, h)
    .openapi(routes.listModels, h)
    .openapi(routes.tokenizePrompt, h)
    .openapi(routes.createWebhookSecret, h)
    .openapi(routes.listNotebooks, h)
    .openapi(routes.createNotebook, h)
    .openapi(routes.getNotebook, h)
    .openapi(routes.putNotebook, h)
    .openapi(routes.deleteNotebook, h);
}

export type AppType = ReturnType<typeof _contract>;

export function createEdgeClient(baseUrl: string, apiKey: string, options: ClientRequestOptions = {}) {
  return hc<AppType>(baseUrl, { ...options, headers: { ...(options.headers as Record<string, string> | undefined), Authorization: `Bearer ${apiKey}` } });
}

export type EdgeClient = ReturnType<typeof createEdgeClient>;
export * from '@imagen-ts/protocol';
// named here too: a webhook receiver checks each delivery with it (Standard Webhooks, Web Crypto)
export { verifyWebhook, WebhookVerificationError } from '@imagen-ts/protocol';
