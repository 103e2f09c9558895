// POST /v1/generations and the job routes: read, events (SSE or WebSocket), cancel.
import type { OpenAPIHono } from '@hono/zod-openapi';
import { cancelJob, createGeneration, getJob, jobEvents } from '../api/routes.ts';
import type { AppEnv } from '../app-env.ts';
import { createJob, jobStub, randomSeed } from '../jobs/create-job.ts';
import { ownerHeader } from '../jobs/job-object.ts';
import { unwrap } from '../errors.ts';
import { loadConfig } from '../config.ts';
import { webhookTargetFor } from '../webhooks/webhook-target.ts';

export function registerJobRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(createGeneration, async (c) => {
    const body = c.req.valid('json');
    const webhook = await webhookTargetFor(c.env, loadConfig(c.env), c.get('apiKey').id, body);
    const { job, status, headers } = await createJob(
      c,
      { kind: 'generation', ...body },
      {
        kind: 'generation',
        model: body.model,
        prompt: body.prompt,
        negativePrompt: body.negativePrompt,
        seed: body.seed === 'random' ? randomSeed() : body.seed,
        n: body.n,
        size: body.size,
        ...(body.steps !== undefined ? { steps: body.steps } : {}),
        ...(body.sampler !== undefined ? { sampler: body.sampler } : {}),
        ...(body.guidance !== undefined ? { guidance: body.guidance } : {}),
        ...(body.noiseAugmentation !== undefined ? { noiseAugmentation: body.noiseAugmentation } : {}),
        ...(body.stages !== undefined ? { stages: body.stages } : {}),
        webhook,
      },
      c.req.valid('header'),
    );
    return c.json(job, status, headers);
  });

  app.openapi(getJob, async (c) => {
    const job = unwrap(await jobStub(c.env, c.req.valid('param').id).view(c.get('apiKey').id));
    return c.json(job, 200, { 'Cache-Control': 'no-store' });
  });

  app.openapi(cancelJob, async (c) => {
    const job = unwrap(await jobStub(c.env, c.req.valid('param').id).cancel(c.get('apiKey').id));
    return c.json(job, 200);
  });

  app.openapi(jobEvents, async (c) => {
    const { id } = c.req.valid('param');
    const headers = new Headers();
    headers.set(ownerHeader, c.get('apiKey').id);
    const last = c.req.valid('header')['last-event-id'];
    if (last !== undefined) headers.set('last-event-id', last);
    const upgrade = c.req.header('upgrade');
    if (upgrade !== undefined) headers.set('upgrade', upgrade);
    const res = await jobStub(c.env, id).fetch(new Request(`https://job/${id}/events`, { headers }));
    // a copy: the object's response headers are immutable, and CORS adds some
    if (res.webSocket) return new Response(null, { status: 101, webSocket: res.webSocket });
    return new Response(res.body, { status: res.status, headers: res.headers });
  });
}
