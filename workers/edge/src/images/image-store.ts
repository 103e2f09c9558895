// Images in R2, content-addressed (images/<sha256>.png), with their metadata and
// lineage in D1. Writing the same bytes twice stores them once.
import type { ImageMeta } from '@imagen-ts/protocol';

export const r2KeyOf = (id: string) => `images/${id}.png`;

export async function sha256OfBytes(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  let s = '';
  for (const b of new Uint8Array(digest)) s += b.toString(16).padStart(2, '0');
  return s;
}

export interface LineageInput {
  jobId: string;
  index: number;
  ownerKeyId: string;
  stage: string;
  seed: number;
  parentImageId: string | null;
  params: Record<string, unknown>;
}

export async function storeImage(env: Env, png: Uint8Array, size: { width: number; height: number }, lineage: LineageInput, now = new Date()): Promise<string> {
  const id = await sha256OfBytes(png);
  const key = r2KeyOf(id);
  if (!(await env.IMAGES.head(key))) {
    await env.IMAGES.put(key, png, { httpMetadata: { contentType: 'image/png' }, sha256: id });
  }
  const at = now.toISOString();
  await env.DB.batch([
    env.DB.prepare('INSERT OR IGNORE INTO images (id, width, height, bytes, created_at) VALUES (?, ?, ?, ?, ?)').bind(id, size.width, size.height, png.byteLength, at),
    env.DB.prepare(
      'INSERT OR IGNORE INTO image_lineage (image_id, job_id, image_index, owner_key_id, stage, seed, parent_image_id, params, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ).bind(id, lineage.jobId, lineage.index, lineage.ownerKeyId, lineage.stage, lineage.seed, lineage.parentImageId, JSON.stringify(lineage.params), at),
  ]);
  return id;
}

interface ImageRow {
  id: string;
  width: number;
  height: number;
  bytes: number;
  created_at: string;
}

interface LineageRow {
  job_id: string;
  image_index: number;
  stage: string;
  seed: number;
  parent_image_id: string | null;
  params: string;
  created_at: string;
}

/** the image as `ownerKeyId` may see it: only its own lineage rows; undefined when it has none (admin sees all) */
export async function imageMeta(env: Env, id: string, ownerKeyId: string, admin: boolean, origin: string): Promise<ImageMeta | undefined> {
  const image = await env.DB.prepare('SELECT id, width, height, bytes, created_at FROM images WHERE id = ?').bind(id).first<ImageRow>();
  if (!image) return undefined;
  const own = admin ? '' : ' AND owner_key_id = ?';
  const bind = (sql: string) => (admin ? env.DB.prepare(sql).bind(id) : env.DB.prepare(sql).bind(id, ownerKeyId));
  const lineage = await bind(`SELECT job_id, image_index, stage, seed, parent_image_id, params, created_at FROM image_lineage WHERE image_id = ?${own} ORDER BY created_at`).all<LineageRow>();
  if (lineage.results.length === 0) return undefined;
  const children = await bind(`SELECT image_id, job_id, stage FROM image_lineage WHERE parent_image_id = ?${own} ORDER BY created_at`).all<{ image_id: string; job_id: string; stage: string }>();
  return {
    id: image.id,
    width: image.width,
    height: image.height,
    bytes: image.bytes,
    createdAt: image.created_at,
    url: `${origin}/v1/images/${image.id}`,
    lineage: lineage.results.map((l) => ({
      jobId: l.job_id,
      index: l.image_index,
      stage: l.stage,
      seed: l.seed,
      parentImageId: l.parent_image_id,
      params: JSON.parse(l.params) as Record<string, unknown>,
      createdAt: l.created_at,
    })),
    children: children.results.map((c) => ({ imageId: c.image_id, jobId: c.job_id, stage: c.stage })),
  };
}
