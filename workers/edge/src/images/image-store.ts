// Images in R2, content-addressed (images/<sha256>.png), with their metadata and
// lineage in D1. Writing the same bytes twice stores them once.
import type { ImageMeta } from '@imagen-ts/protocol';
import { rememberImage } from './recent-images.ts';

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

/**
 * Stores verified bytes (`id` is their sha256) and their rows. R2 and D1 are written
 * concurrently; should the bytes fail to store, the rows this call inserted are
 * removed again, so no row ever names bytes that are not there.
 */
export async function storeImage(env: Env, png: Uint8Array, id: string, size: { width: number; height: number }, lineage: LineageInput, now = new Date()): Promise<void> {
  const at = now.toISOString();
  const rows = env.DB.batch([
    env.DB.prepare('INSERT OR IGNORE INTO images (id, width, height, bytes, created_at) VALUES (?, ?, ?, ?, ?)').bind(id, size.width, size.height, png.byteLength, at),
    env.DB.prepare(
      'INSERT OR IGNORE INTO image_lineage (image_id, job_id, image_index, owner_key_id, stage, seed, parent_image_id, params, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ).bind(id, lineage.jobId, lineage.index, lineage.ownerKeyId, lineage.stage, lineage.seed, lineage.parentImageId, JSON.stringify(lineage.params), at),
  ]);
  // content-addressed: putting the same bytes again leaves one object
  const bytes = env.IMAGES.put(r2KeyOf(id), png, { httpMetadata: { contentType: 'image/png' }, sha256: id });
  const [r2, d1] = await Promise.allSettled([bytes, rows]);
  if (r2.status === 'fulfilled' && d1.status === 'fulfilled') {
    rememberImage(id, png);
    return;
  }
  if (r2.status === 'rejected' && d1.status === 'fulfilled') {
    const [image, line] = d1.value;
    const undo = [];
    if ((line?.meta.changes ?? 0) > 0) undo.push(env.DB.prepare('DELETE FROM image_lineage WHERE image_id = ? AND job_id = ? AND image_index = ?').bind(id, lineage.jobId, lineage.index));
    if ((image?.meta.changes ?? 0) > 0) undo.push(env.DB.prepare('DELETE FROM images WHERE id = ?').bind(id));
    if (undo.length > 0) await env.DB.batch(undo);
  }
  throw r2.status === 'rejected' ? r2.reason : (d1 as PromiseRejectedResult).reason;
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
