// OpenAI Images API compatibility: POST /v1/images/generations waits for the job
// and answers in OpenAI's shape, so the `openai` client works with a baseURL.
import type { OpenAPIHono } from '@hono/zod-openapi';
import { bytesToBase64 } from '@imagen-ts/protocol';
import { openAiGenerations } from '../api/routes.ts';
import { maxWaitSeconds } from '@imagen-ts/protocol';
import type { AppEnv } from '../app-env.ts';
import { ApiError, errors } from '../errors.ts';
import { r2KeyOf } from '../images/image-store.ts';
import { createJob, randomSeed } from '../jobs/create-job.ts';

export function registerOpenAiRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(openAiGenerations, async (c) => {
    const body = c.req.valid('json');
    const size = Number(body.size.split('x')[0]) as 64 | 256 | 1024;
    const { job } = await createJob(
      c,
      { kind: 'openai', prompt: body.prompt, model: body.model, n: body.n, size: body.size },
      { kind: 'generation', model: body.model === undefined || body.model.startsWith('dall-e') || body.model.startsWith('gpt-image') ? undefined : body.model, prompt: body.prompt, negativePrompt: undefined, seed: randomSeed(), n: body.n, size },
      { prefer: `wait=${maxWaitSeconds}` },
    );
    if (job.status === 'failed' || job.status === 'canceled')
      throw new ApiError(502, job.error?.code ?? 'job_failed', `job ${job.id} ${job.status}: ${job.error?.message ?? 'no images'}`);
    if (job.status !== 'succeeded') throw new ApiError(504, 'timeout', `job ${job.id} did not finish within ${maxWaitSeconds} s; follow it at /v1/jobs/${job.id}`);
    const origin = new URL(c.req.url).origin;
    const data = await Promise.all(
      job.images.map(async (img) => {
        if (body.response_format === 'url') return { url: `${origin}${img.url}`, revised_prompt: body.prompt };
        const obj = await c.env.IMAGES.get(r2KeyOf(img.id));
        if (!obj) throw errors.notFound('image');
        return { b64_json: bytesToBase64(new Uint8Array(await obj.arrayBuffer())), revised_prompt: body.prompt };
      }),
    );
    return c.json({ created: Math.floor(Date.parse(job.createdAt) / 1000), data }, 200);
  });
}
