// Image routes: the PNG itself (public, immutable), its metadata and lineage,
// upscaling with the next super-resolution stage, and reading a PNG's parameters.
import type { OpenAPIHono } from '@hono/zod-openapi';
import { ApiError, PNG_SIGNATURE, PngTextError, readPngMetadata, type InspectResult, type PngMetadata } from '@imagen-ts/protocol';
import type { Context } from 'hono';
import { getImage, getImageMeta, inspectImage, upscaleImage } from '../api/routes.ts';
import type { AppEnv } from '../app-env.ts';
import { errors } from '../errors.ts';
import { imageMeta, r2KeyOf } from '../images/image-store.ts';
import { recentImage } from '../images/recent-images.ts';
import { createJob, pickRunner, randomSeed } from '../jobs/create-job.ts';
import { nextStage } from '../jobs/job-model.ts';
import { loadConfig } from '../config.ts';
import { webhookTargetFor } from '../webhooks/webhook-target.ts';

export const maxInspectBytes = 16 << 20;
/** the uploaded PNG's bytes: a raw image/png body, or multipart/form-data's "file" */
async function uploadedPng(c: Context<AppEnv>): Promise<Uint8Array> {
  const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  let bytes: Uint8Array;
  if (type === 'image/png' || type === 'application/octet-stream') {
    bytes = new Uint8Array(await c.req.arrayBuffer());
  } else if (type === 'multipart/form-data') {
    let form: FormData;
    try {
      form = await c.req.formData();
    } catch {
      throw errors.invalid('body: not valid multipart/form-data', { field: 'file' });
    }
    const file = form.get('file');
    if (file === null || typeof file === 'string') throw errors.invalid('file: upload the PNG as the form field "file"', { field: 'file' });
    bytes = new Uint8Array(await file.arrayBuffer());
  } else {
    throw errors.invalid('Content-Type: send the PNG as image/png, or as multipart/form-data with a "file" field', {
      field: 'Content-Type',
      allowed: ['image/png', 'multipart/form-data'],
    });
  }
  if (bytes.length < 8 || PNG_SIGNATURE.some((b, i) => bytes[i] !== b)) throw errors.invalid('file: not a PNG (bad signature)', { field: 'file' });
  return bytes;
}

export function registerImageRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(getImage, async (c) => {
    const { id } = c.req.valid('param');
    const etag = `"${id}"`;
    const cacheHeaders = { ETag: etag, 'Cache-Control': 'public, max-age=31536000, immutable' };
    const inm = c.req.header('if-none-match');
    const known = recentImage(id);
    if (inm !== undefined && inm.split(',').some((t) => t.trim() === etag || t.trim() === `W/${etag}`)) {
      // content-addressed: the ETag matches only if the image exists, but a 304 for a guessed id reveals nothing
      if (known || (await c.env.IMAGES.head(r2KeyOf(id)))) return c.body(null, 304, cacheHeaders);
    }
    // stored lately through this isolate (the image a waited job just made): no R2 read
    if (known) return c.body(known as Uint8Array<ArrayBuffer>, 200, { ...cacheHeaders, 'Content-Type': 'image/png', 'Content-Length': String(known.byteLength) });
    const obj = await c.env.IMAGES.get(r2KeyOf(id));
    if (!obj) throw errors.notFound('image');
    return c.body(obj.body, 200, { ...cacheHeaders, 'Content-Type': 'image/png', 'Content-Length': String(obj.size) }) as never;
  });

  app.openapi(getImageMeta, async (c) => {
    const key = c.get('apiKey');
    const meta = await imageMeta(c.env, c.req.valid('param').id, key.id, key.scopes.includes('admin'), new URL(c.req.url).origin);
    if (!meta) throw errors.notFound('image');
    return c.json(meta, 200);
  });

  app.openapi(upscaleImage, async (c) => {
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    const key = c.get('apiKey');
    const webhook = await webhookTargetFor(c.env, loadConfig(c.env), key.id, body);
    const meta = await imageMeta(c.env, id, key.id, key.scopes.includes('admin'), '');
    if (!meta) throw errors.notFound('image');
    const origin = meta.lineage.at(-1)?.params ?? {};
    const model = typeof origin.model === 'string' ? origin.model : undefined;
    const runner = await pickRunner(c.env, model);
    const next = nextStage(runner.model, meta.width);
    if (!next)
      throw errors.invalid(`image ${id} is ${meta.width}×${meta.height}: model "${runner.model.id}" has no super-resolution stage after it`, {
        field: 'id',
        allowed: runner.model.stages.slice(0, -1).map((s) => s.resolution),
      });
    const prompt = body.prompt ?? (typeof origin.prompt === 'string' ? origin.prompt : undefined);
    if (prompt === undefined || prompt === '') throw errors.invalid('prompt: the parent image has no recorded prompt; give one', { field: 'prompt' });
    const negativePrompt = body.negativePrompt ?? (typeof origin.negativePrompt === 'string' ? origin.negativePrompt : undefined);
    const { job, status, headers } = await createJob(
      c,
      { kind: 'upscale', parent: id, ...body },
      {
        kind: 'upscale',
        model: runner.model.id,
        prompt,
        negativePrompt,
        seed: body.seed === 'random' ? randomSeed() : body.seed,
        n: 1,
        size: next.resolution,
        parent: { imageId: id, fromStage: next.next },
        ...(body.steps !== undefined ? { steps: body.steps } : {}),
        ...(body.sampler !== undefined ? { sampler: body.sampler } : {}),
        ...(body.guidance !== undefined ? { guidance: body.guidance } : {}),
        ...(body.noiseAugmentation !== undefined ? { noiseAugmentation: body.noiseAugmentation } : {}),
        webhook,
      },
      c.req.valid('header'),
      runner,
    );
    return c.json(job, status, headers);
  });

  app.openapi(inspectImage, async (c) => {
    const bytes = await uploadedPng(c);
    let meta: PngMetadata;
    try {
      meta = await readPngMetadata(bytes);
    } catch (e) {
      // text past its budget is a well-formed PNG we will not read: 413 naming the chunk; anything else is a bad file
      if (e instanceof PngTextError && e.reason === 'too_large') throw new ApiError(413, 'png_text_too_large', `file: ${e.message}`, { field: 'file' });
      throw errors.invalid(`file: ${e instanceof Error ? e.message : 'unreadable PNG'}`, { field: 'file' });
    }
    return c.json(inspectResult(meta), 200);
  });
}

function inspectResult(meta: PngMetadata): InspectResult {
  const p = meta.parameters;
  const source = meta.imagen ? 'imagen-ts' : p ? 'a1111' : 'none';
  let request: Record<string, unknown> | null = null;
  if (meta.imagen) {
    const r = meta.imagen.request;
    const base = meta.imagen.stages[0];
    request = { prompt: r.prompt, seed: meta.imagen.image.seed, n: 1, size: r.size, model: meta.imagen.fingerprint.modelId };
    if (r.negativePrompt) request.negativePrompt = r.negativePrompt;
    if (base) Object.assign(request, { steps: base.steps, sampler: base.sampler, guidance: base.guidance });
  } else if (p) {
    request = { prompt: p.prompt };
    if (p.negativePrompt) request.negativePrompt = p.negativePrompt;
    if (p.seed !== undefined && p.seed >= 0 && p.seed <= 0xffffffff) request.seed = p.seed;
    if (p.steps !== undefined) request.steps = p.steps;
    if (p.cfgScale !== undefined) request.guidance = p.cfgScale;
  }
  return {
    source,
    text: meta.text,
    parameters: p ?? null,
    imagen: meta.imagen ?? null,
    request,
  };
}
