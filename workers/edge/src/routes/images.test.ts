import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { call, createKey, runnerA, runnerB, stats, waitJob } from '../../test/helpers.ts';
import { forgetRecentImages } from '../images/recent-images.ts';

interface JobBody {
  id: string;
  status: string;
  kind: string;
  size: number;
  parentImageId: string | null;
  images: { id: string; pixelSha256?: string; url: string; width: number; seed: number }[];
}

interface Meta {
  id: string;
  width: number;
  lineage: { jobId: string; stage: string; seed: number; parentImageId: string | null; params: Record<string, unknown> }[];
  children: { imageId: string; jobId: string; stage: string }[];
}

async function generate(key: string, prompt: string, seed = 21): Promise<JobBody> {
  const res = await call('/v1/generations', { method: 'POST', key, json: { prompt, seed }, headers: { Prefer: 'wait=20' } });
  const job = await res.json<JobBody>();
  expect(job.status).toBe('succeeded');
  return job;
}

describe('images', () => {
  it('serves the PNG content-addressed, immutable, with an ETag and 304', async () => {
    const { key } = await createKey();
    const job = await generate(key, 'a tin robot');
    const img = job.images[0];
    if (!img) throw new Error('no image');
    const res = await call(img.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toBe('image/png');
    expect(res.headers.get('Cache-Control')).toContain('immutable');
    expect(res.headers.get('ETag')).toBe(`"${img.id}"`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
    expect([...digest].map((b) => b.toString(16).padStart(2, '0')).join('')).toBe(img.id);
    // the runner's pixel hash, passed through beside the file hash
    expect(img.pixelSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(img.pixelSha256).not.toBe(img.id);
    expect((await call(img.url, { headers: { 'If-None-Match': `"${img.id}"` } })).status).toBe(304);
    expect((await call(`/v1/images/${'0'.repeat(64)}`)).status).toBe(404);
    expect(await env.IMAGES.head(`images/${img.id}.png`)).not.toBeNull();
  });

  it("a waited job's image is answered from the isolate's memory, the same bytes R2 holds; once forgotten, from R2", async () => {
    const { key } = await createKey();
    const img = (await generate(key, `a glass owl ${crypto.randomUUID()}`)).images[0];
    if (!img) throw new Error('no image');
    const stored = new Uint8Array(await ((await env.IMAGES.get(`images/${img.id}.png`))?.arrayBuffer() ?? new ArrayBuffer(0)));
    // R2 emptied behind the isolate's back: still answered, so this GET did not read R2
    await env.IMAGES.delete(`images/${img.id}.png`);
    const fromMemory = await call(img.url);
    expect(fromMemory.status).toBe(200);
    expect(new Uint8Array(await fromMemory.arrayBuffer())).toEqual(stored);
    forgetRecentImages();
    expect((await call(img.url)).status).toBe(404);
    await env.IMAGES.put(`images/${img.id}.png`, stored);
    expect(new Uint8Array(await (await call(img.url)).arrayBuffer())).toEqual(stored);
  });

  it('meta shows lineage to its owner only', async () => {
    const { key } = await createKey();
    const job = await generate(key, 'a glass whale', 22);
    const id = job.images[0]?.id ?? '';
    const res = await call(`/v1/images/${id}/meta`, { key });
    expect(res.status).toBe(200);
    const meta = await res.json<Meta>();
    expect(meta).toMatchObject({ id, width: 64 });
    expect(meta.lineage).toHaveLength(1);
    expect(meta.lineage[0]).toMatchObject({ jobId: job.id, stage: 'base64', seed: 22, parentImageId: null });
    expect(meta.lineage[0]?.params).toMatchObject({ prompt: 'a glass whale', kind: 'generation', model: 'fake-cascade' });
    const stranger = await createKey();
    expect((await call(`/v1/images/${id}/meta`, { key: stranger.key })).status).toBe(404);
  });

  it('upscale runs the next SR stage on the stored image with its own seed and records the lineage', async () => {
    const { key } = await createKey();
    const base = await generate(key, 'a clockwork owl', 23);
    const parent = base.images[0]?.id ?? '';
    const res = await call(`/v1/images/${parent}/upscale`, { method: 'POST', key, json: { seed: 99 }, headers: { Prefer: 'wait=20' } });
    const up = await res.json<JobBody>();
    expect(res.status, JSON.stringify(up)).toBe(200);
    expect(up).toMatchObject({ kind: 'upscale', status: 'succeeded', size: 256, parentImageId: parent });
    expect(up.images[0]).toMatchObject({ width: 256, seed: 99 });

    const sent = [...(await stats(runnerA)).jobs, ...(await stats(runnerB)).jobs].find((j) => String(j.id).startsWith(up.id));
    expect(sent).toMatchObject({ size: 256, seed: 99, prompt: 'a clockwork owl', init: { fromStage: 'sr256' } });

    const child = await (await call(`/v1/images/${up.images[0]?.id ?? ''}/meta`, { key })).json<Meta>();
    expect(child.lineage[0]).toMatchObject({ jobId: up.id, stage: 'sr256', seed: 99, parentImageId: parent });
    const parentMeta = await (await call(`/v1/images/${parent}/meta`, { key })).json<Meta>();
    expect(parentMeta.children).toEqual([{ imageId: up.images[0]?.id, jobId: up.id, stage: 'sr256' }]);

    // another key may not upscale an image it has no lineage for
    const stranger = await createKey();
    expect((await call(`/v1/images/${parent}/upscale`, { method: 'POST', key: stranger.key, json: {} })).status).toBe(404);
  });

  it('inspect reads AUTOMATIC1111 parameters from an uploaded PNG, raw or multipart', async () => {
    const { key } = await createKey();
    const png = new Uint8Array(await (await fetch('http://control.test/__control/a1111.png')).arrayBuffer());
    const raw = await call('/v1/images/inspect', { method: 'POST', key, body: png, headers: { 'Content-Type': 'image/png' } });
    expect(raw.status).toBe(200);
    const parsed = await raw.json<{ source: string; parameters: Record<string, unknown>; request: Record<string, unknown> }>();
    expect(parsed.source).toBe('a1111');
    expect(parsed.parameters).toMatchObject({ prompt: 'a castle on a hill, golden hour', negativePrompt: 'blurry', steps: 30, cfgScale: 7.5, seed: 1234, model: 'sd15' });
    expect(parsed.request).toEqual({ prompt: 'a castle on a hill, golden hour', negativePrompt: 'blurry', seed: 1234, steps: 30, guidance: 7.5 });

    const form = new FormData();
    form.set('file', new File([png], 'x.png', { type: 'image/png' }));
    const multi = await call('/v1/images/inspect', { method: 'POST', key, body: form });
    expect(multi.status).toBe(200);
    expect((await multi.json<{ source: string }>()).source).toBe('a1111');

    const junk = await call('/v1/images/inspect', { method: 'POST', key, body: new TextEncoder().encode('GIF89a....'), headers: { 'Content-Type': 'image/png' } });
    expect(junk.status).toBe(400);
    expect((await junk.json<{ error: { field: string } }>()).error.field).toBe('file');
  });

  it('jobs record what they made: waitJob sees the same images as the Prefer response', async () => {
    const { key } = await createKey();
    const job = await generate(key, 'a quiet pond', 24);
    expect(((await waitJob(job.id, key)) as unknown as JobBody).images).toEqual(job.images);
  });
});
