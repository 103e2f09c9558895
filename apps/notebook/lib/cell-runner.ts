// Runs one cell's tasks against the edge: cache first, then a job per task,
// following the job's SSE events for progress and previews. Pure of React; the
// client is injected so that tests drive it with a fake edge.
import type { Job, JobEvent } from './api-types.ts';
import { terminalStatuses } from './api-types.ts';
import type { ImageParams, NotebookDoc, OutputImage } from './cell-types.ts';
import type { Task } from './cells.ts';
import type { EdgeClient } from './edge-client.ts';
import { describeError, EdgeError } from './edge-client.ts';
import type { TaskResult } from './run-record.ts';
import { describeMetadataDiff, metadataDiff } from './metadata-diff.ts';
import { cachedImages, markMatches, sourceImage } from './run-record.ts';

export type RunnerClient = Pick<EdgeClient, 'createGeneration' | 'upscale' | 'getJob' | 'cancelJob' | 'jobEvents' | 'imageBlob'>;

export interface RunProgress {
  /** 0-based task being worked on, of `tasks` */
  task: number;
  tasks: number;
  phase: 'submitting' | 'queued' | 'running';
  jobId?: string;
  stage?: string;
  step?: number;
  total?: number;
  /** data: URL of the latest preview of the task's first image */
  preview?: string;
  /** the same for every image of the task, in order (an older edge sends only `preview`) */
  previews?: string[];
  /** images of the tasks finished so far, in order */
  images: OutputImage[];
}

export interface RunOptions {
  /** bypass the cache (a re-run that checks reproducibility) */
  force: boolean;
  signal: AbortSignal;
  onProgress: (p: RunProgress) => void;
  /** waits between job polls when the event stream is unavailable */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** Thrown when the run was canceled; carries the tasks that had finished. */
export class RunCanceled extends Error {
  override name = 'RunCanceled';
  readonly partial: TaskResult[];
  constructor(partial: TaskResult[]) {
    super('canceled');
    this.partial = partial;
  }
}

export class RunFailed extends Error {
  override name = 'RunFailed';
  readonly partial: TaskResult[];
  /** the edge's HTTP status when the edge refused the request (401/403: the API key) */
  readonly status: number | undefined;
  constructor(message: string, partial: TaskResult[], status?: number) {
    super(message);
    this.partial = partial;
    this.status = status;
  }
}

function previewUrl(preview: string | undefined): string | undefined {
  if (!preview) return undefined;
  return preview.startsWith('data:') ? preview : `data:image/png;base64,${preview}`;
}

const defaultSleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/**
 * Follows a job to a terminal status. Events drive progress; a `state` event
 * with a terminal status ends the wait. A stream that fails or ends early is
 * reopened (the edge replays what was missed), then the job is polled.
 */
export async function waitForJob(client: RunnerClient, id: string, onEvent: (e: JobEvent) => void, signal: AbortSignal, sleep = defaultSleep): Promise<Job> {
  for (let attempt = 0; ; attempt++) {
    if (attempt < 3) {
      const stream = new AbortController();
      const stop = () => stream.abort();
      signal.addEventListener('abort', stop, { once: true });
      let final: Job | undefined;
      try {
        await client.jobEvents(id, (e) => {
          onEvent(e);
          if (e.type === 'state' && terminalStatuses.includes(e.job.status)) {
            final = e.job;
            stream.abort();
          }
        }, stream.signal);
      } catch {
        // A broken stream is not a failed job: the job resource below decides.
      } finally {
        signal.removeEventListener('abort', stop);
      }
      if (final) return final;
    }
    signal.throwIfAborted();
    const job = await client.getJob(id, signal);
    if (terminalStatuses.includes(job.status)) return job;
    await sleep(attempt < 3 ? 250 : 1000, signal);
    signal.throwIfAborted();
  }
}

function imageParams(doc: NotebookDoc, task: Task): ImageParams {
  const { steps, sampler, guidance } = task.input;
  if (task.kind === 'generate') return { kind: 'generate', prompt: task.input.prompt, negativePrompt: task.input.negativePrompt, steps, sampler, guidance };
  const source = sourceImage(doc, task);
  return { kind: 'upscale', sourceImageId: source?.imageId ?? '', sourceSha256: source?.sha256 ?? '', noiseAugmentation: task.input.noiseAugmentation, steps, sampler, guidance };
}

async function submit(client: RunnerClient, doc: NotebookDoc, task: Task): Promise<Job> {
  if (task.kind === 'generate') {
    const { prompt, negativePrompt, seed, n, size, steps, sampler, guidance } = task.input;
    return client.createGeneration({ prompt, ...(negativePrompt ? { negativePrompt } : {}), seed, n, size, steps, sampler, guidance });
  }
  const source = sourceImage(doc, task);
  if (!source) throw new EdgeError(0, 'source_missing', 'the source image has not been made yet: run the source cell first');
  const { seed, noiseAugmentation, steps, sampler, guidance } = task.input;
  return client.upscale(source.imageId, { seed, noiseAugmentation, steps, sampler, guidance });
}

/** For each image whose pixels matched in another file: what in the metadata differs (both PNGs fetched and read). */
async function explainPixelMatches(client: RunnerClient, previous: readonly OutputImage[] | undefined, images: OutputImage[]): Promise<OutputImage[]> {
  return Promise.all(
    images.map(async (img) => {
      const before = previous?.find((p) => p.index === img.index);
      if (img.match !== 'pixels-match' || !before) return img;
      try {
        const [a, b] = await Promise.all([client.imageBlob(before.imageId), client.imageBlob(img.imageId)]);
        const paths = await metadataDiff(new Uint8Array(await a.arrayBuffer()), new Uint8Array(await b.arrayBuffer()));
        return { ...img, matchNote: describeMetadataDiff(paths) };
      } catch {
        return { ...img, matchNote: 'same pixels; the PNG metadata differs (the PNGs could not be fetched to say where)' };
      }
    }),
  );
}

/**
 * Runs the tasks in order and returns one result per task. Tasks whose images
 * are cached cost nothing unless `force`; a forced task is compared with what
 * the cache held (the "matched" badge).
 */
export async function runTasks(client: RunnerClient, doc: NotebookDoc, tasks: readonly Task[], options: RunOptions): Promise<TaskResult[]> {
  const { force, signal, onProgress } = options;
  const results: TaskResult[] = [];
  const done = () => results.flatMap((r) => r.images);
  for (let i = 0; i < tasks.length; i++) {
    const task = tasks[i]!;
    if (signal.aborted) throw new RunCanceled(results);
    const cached = cachedImages(doc, task);
    if (cached && !force) {
      results.push({ task, images: cached, fromCache: true });
      continue;
    }
    onProgress({ task: i, tasks: tasks.length, phase: 'submitting', images: done() });
    let job: Job;
    try {
      job = await submit(client, doc, task);
    } catch (e) {
      if (signal.aborted) throw new RunCanceled(results);
      throw new RunFailed(describeError(e), results, e instanceof EdgeError ? e.status : undefined);
    }
    const base = { task: i, tasks: tasks.length, jobId: job.id };
    let last: RunProgress = { ...base, phase: 'queued', images: done() };
    onProgress(last);
    let final: Job;
    try {
      final = await waitForJob(client, job.id, (e) => {
        if (e.type === 'state') {
          if (e.job.status !== 'running') return;
          last = { ...last, phase: 'running' };
        } else if (e.type === 'progress') {
          const preview = previewUrl(e.preview) ?? last.preview;
          const fresh = e.previews?.map(previewUrl).filter((u): u is string => u !== undefined);
          const previews = fresh && fresh.length > 0 ? fresh : last.previews;
          last = { ...last, phase: 'running', stage: e.stage, step: e.step, total: e.total, ...(preview ? { preview } : {}), ...(previews ? { previews } : {}) };
        } else return;
        onProgress(last);
      }, signal, options.sleep);
    } catch (e) {
      if (signal.aborted) {
        // Best effort: the job may already be over.
        await client.cancelJob(job.id).catch(() => undefined);
        throw new RunCanceled(results);
      }
      throw new RunFailed(describeError(e), results, e instanceof EdgeError ? e.status : undefined);
    }
    if (final.status === 'canceled') {
      if (signal.aborted) throw new RunCanceled(results);
      throw new RunFailed('the job was canceled at the edge', results);
    }
    if (final.status === 'failed') throw new RunFailed(final.error?.message ?? 'the job failed', results);
    const params = imageParams(doc, task);
    // The edge names an image by the sha256 of its PNG bytes.
    const images: OutputImage[] = final.images.map((img, index) => ({
      imageId: img.id,
      sha256: img.id,
      ...(img.pixelSha256 ? { pixelSha256: img.pixelSha256 } : {}),
      seed: img.seed,
      width: img.width,
      height: img.height,
      taskHash: task.hash,
      index: img.index ?? index,
      params,
    }));
    results.push({ task, images: await explainPixelMatches(client, doc.cache[task.hash], markMatches(doc.cache[task.hash], images)), fromCache: false });
  }
  return results;
}
