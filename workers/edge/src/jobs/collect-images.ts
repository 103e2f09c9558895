// A finished attempt's images, stored: the PNGs the runner's `succeeded` event
// inlines (a newer runner's small ones) or fetched from it, each checked against
// the runner's sha256, then written to R2 and D1 (images/image-store.ts).
import { base64ToBytes, RunnerJobEnvelope, type JobImage, type RunnerImage, type RunnerJob } from '@imagen-ts/protocol';
import type { RunnerSpec } from '../config.ts';
import { sha256OfBytes, storeImage } from '../images/image-store.ts';
import type { RunnerPool } from '../runner/runner-pool.ts';
import type { Attempt, JobRecord } from './job-model.ts';

/** an image as the runner's `succeeded` event lists it: a newer runner inlines a small PNG (base64) */
export type ListedImage = RunnerImage & { png?: string | undefined };

/** the finished job's images as the runner lists them: from its `succeeded` event, else from GET /v1/jobs/:id */
async function runnerImages(pool: RunnerPool, spec: RunnerSpec, path: string, n: number, listed: ListedImage[] | undefined): Promise<ListedImage[]> {
  if (listed && listed.length === n) return listed;
  const res = await pool.request(spec, { method: 'GET', path });
  if (!res.ok) throw new Error(`GET ${path} answered ${res.status}`);
  const parsed = RunnerJobEnvelope.safeParse(await res.json());
  if (!parsed.success) throw new Error(`GET ${path}: unexpected body`);
  const job: RunnerJob = parsed.data.job;
  if (job.status !== 'succeeded' || job.images.length !== n) throw new Error(`runner job is ${job.status} with ${job.images.length} image(s)`);
  return job.images;
}

export async function collect(env: Env, pool: RunnerPool, spec: RunnerSpec, attempt: Attempt, r: JobRecord, listed: ListedImage[] | undefined): Promise<JobImage[]> {
  const path = `/v1/jobs/${encodeURIComponent(attempt.runnerJobId)}`;
  const images = await runnerImages(pool, spec, path, r.input.n, listed);
  const params = lineageParams(r);
  return Promise.all(
    images.map(async (img): Promise<JobImage> => {
      const png = img.png === undefined ? await fetchPng(pool, spec, `${path}/images/${img.index}`) : base64ToBytes(img.png);
      const id = await sha256OfBytes(png);
      if (id !== img.sha256) throw new Error(`image ${img.index}: bytes do not match the runner's sha256`);
      await storeImage(env, png, id, img, {
        jobId: r.id,
        index: img.index,
        ownerKeyId: r.input.ownerKeyId,
        stage: attempt.stage,
        seed: img.seed,
        parentImageId: r.input.parent?.imageId ?? null,
        params,
      });
      // the pixel hash is the runner's (an older runner sends none): passed through beside the file hash
      const pixels = img.pixelSha256 === undefined ? {} : { pixelSha256: img.pixelSha256 };
      return { id, ...pixels, index: img.index, seed: img.seed, width: img.width, height: img.height, url: `/v1/images/${id}` };
    }),
  );
}

async function fetchPng(pool: RunnerPool, spec: RunnerSpec, path: string): Promise<Uint8Array> {
  const res = await pool.request(spec, { method: 'GET', path });
  if (!res.ok) throw new Error(`GET ${path} answered ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

function lineageParams(r: JobRecord): Record<string, unknown> {
  const { ownerKeyId: _owner, requestHash: _hash, ...input } = r.input;
  return { ...input, model: r.modelId };
}
