// The notebook's only door to the edge, over the edge's typed client
// (hc<AppType>). Every response is validated with the edge's own schemas;
// every failure becomes an EdgeError carrying the edge's code and message.
import { createEdgeClient as createTypedClient } from '@imagen-ts/edge/client';
import { JobProgressEvent } from '@imagen-ts/protocol';
import type { z } from 'zod';
import type { GenerationRequest, ImageMeta, InspectResult, Job, JobEvent, ModelInfo, Notebook, NotebookSummary, TokenizeResult, UpscaleRequest } from './api-types.ts';
import { errorBodySchema, imageMetaSchema, inspectResultSchema, jobSchema, modelListSchema, notebookListSchema, notebookSchema, tokenizeResultSchema } from './api-types.ts';
import { readSse } from './sse.ts';

export class EdgeError extends Error {
  override name = 'EdgeError';
  readonly status: number;
  readonly code: string;
  readonly field: string | undefined;
  readonly allowed: unknown[] | undefined;
  constructor(status: number, code: string, message: string, field?: string, allowed?: unknown[]) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
    this.allowed = allowed;
  }
}

export function isConflict(err: unknown): boolean {
  return err instanceof EdgeError && err.status === 412;
}

/** A one-line description for the UI: the edge's message, its field and allowed values. */
export function describeError(err: unknown): string {
  if (err instanceof EdgeError) {
    let s = err.message;
    if (err.field && !s.includes(err.field)) s = `${err.field}: ${s}`;
    if (err.allowed && err.allowed.length > 0 && !s.includes('allowed')) s += ` (allowed: ${err.allowed.map((v) => JSON.stringify(v)).join(', ')})`;
    return s;
  }
  return err instanceof Error ? err.message : String(err);
}

export interface EdgeClientOptions {
  baseUrl: string;
  apiKey: string;
  fetch?: typeof fetch;
}

export interface Saved<T> {
  value: T;
  etag: string;
}

export type EdgeClient = ReturnType<typeof createEdgeClient>;

/** Notebook titles must not be blank at the edge. */
export function storedTitle(title: string): string {
  return title.trim() || 'Untitled notebook';
}

export function createEdgeClient(options: EdgeClientOptions) {
  const base = options.baseUrl.replace(/\/+$/, '');
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));
  // Network failures become an EdgeError naming the URL; HTTP errors are handled by `check`.
  const guardedFetch: typeof fetch = async (input, init) => {
    try {
      return await doFetch(input, init);
    } catch (e) {
      if (init?.signal?.aborted) throw e;
      throw new EdgeError(0, 'network', `cannot reach the edge at ${base} (${(e as Error).message}); check the URL in Settings`);
    }
  };
  const api = createTypedClient(base, options.apiKey, { fetch: guardedFetch });

  async function check(res: Response): Promise<Response> {
    if (!res.ok) throw await errorFrom(res);
    return res;
  }

  async function parse<S extends z.ZodType>(res: Response, schema: S, what: string): Promise<z.infer<S>> {
    await check(res);
    let raw: unknown;
    try {
      raw = await res.json();
    } catch {
      throw new EdgeError(res.status, 'bad_response', `the edge sent ${what} that is not JSON`);
    }
    const r = schema.safeParse(raw);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new EdgeError(res.status, 'bad_response', `unexpected ${what} from the edge: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}`);
    }
    return r.data;
  }

  async function saved(res: Response): Promise<Saved<Notebook>> {
    const value = await parse(res, notebookSchema, 'a notebook');
    // The header is authoritative; the body's copy covers a proxy that hides it.
    return { value, etag: res.headers.get('ETag') ?? value.etag };
  }

  const jobs = api.v1.jobs[':id'];
  const images = api.v1.images;
  const notebooks = api.v1.notebooks;

  return {
    baseUrl: base,

    /** Images are public and immutable (their id is their sha256): a plain URL works in <img>. */
    imageUrl(id: string): string {
      return `${base}/v1/images/${encodeURIComponent(id)}`;
    },

    async listModels(): Promise<ModelInfo[]> {
      return (await parse(await api.v1.models.$get(), modelListSchema, 'a model list')).data;
    },

    /** the model's tokenizer on a prompt: token count, truncation, unknown words (cached at the edge) */
    async tokenize(prompt: string, signal?: AbortSignal): Promise<TokenizeResult> {
      return parse(await api.v1.tokenize.$post({ json: { prompt } }, signal ? { init: { signal } } : {}), tokenizeResultSchema, 'a tokenization');
    },

    async createGeneration(req: GenerationRequest): Promise<Job> {
      return parse(await api.v1.generations.$post({ json: req, header: {} }), jobSchema, 'a job');
    },

    async upscale(imageId: string, req: UpscaleRequest): Promise<Job> {
      return parse(await images[':id'].upscale.$post({ param: { id: imageId }, json: req, header: {} }), jobSchema, 'a job');
    },

    async getJob(id: string, signal?: AbortSignal): Promise<Job> {
      return parse(await jobs.$get({ param: { id } }, signal ? { init: { signal } } : {}), jobSchema, 'a job');
    },

    async cancelJob(id: string): Promise<Job> {
      return parse(await jobs.cancel.$post({ param: { id } }), jobSchema, 'a job');
    },

    /** Streams the job's events until the stream ends (after a terminal state) or signal aborts. */
    async jobEvents(id: string, onEvent: (e: JobEvent) => void, signal?: AbortSignal): Promise<void> {
      const res = await check(await jobs.events.$get({ param: { id }, header: {} }, { headers: { Accept: 'text/event-stream' }, ...(signal ? { init: { signal } } : {}) }));
      if (!res.body) return;
      await readSse(res.body, (m) => {
        const e = toJobEvent(m.event, m.data);
        if (e) onEvent(e);
      }, signal);
    },

    async imageBlob(id: string): Promise<Blob> {
      return (await check(await images[':id'].$get({ param: { id } }))).blob();
    },

    async imageMeta(id: string): Promise<ImageMeta> {
      return parse(await images[':id'].meta.$get({ param: { id } }), imageMetaSchema, 'image metadata');
    },

    async inspectImage(png: Blob): Promise<InspectResult> {
      const res = await guardedFetch(`${base}/v1/images/inspect`, { method: 'POST', body: png, headers: { Authorization: `Bearer ${options.apiKey}`, 'Content-Type': 'image/png' } });
      return parse(res, inspectResultSchema, 'an inspection result');
    },

    async listNotebooks(): Promise<NotebookSummary[]> {
      return (await parse(await notebooks.$get(), notebookListSchema, 'a notebook list')).notebooks;
    },

    async createNotebook(title: string, content: unknown): Promise<Saved<Notebook>> {
      return saved(await notebooks.$post({ json: { title: storedTitle(title), content } }));
    },

    async getNotebook(id: string): Promise<Saved<Notebook>> {
      return saved(await notebooks[':id'].$get({ param: { id } }, { init: { cache: 'no-store' } }));
    },

    /** Rejects with a 412 EdgeError when the stored notebook is no longer `etag`; resolves with the new ETag. */
    async saveNotebook(id: string, title: string, content: unknown, etag: string): Promise<string> {
      return (await saved(await notebooks[':id'].$put({ param: { id }, header: { 'if-match': etag }, json: { title: storedTitle(title), content } }))).etag;
    },

    async deleteNotebook(id: string, etag: string): Promise<void> {
      await check(await notebooks[':id'].$delete({ param: { id }, header: { 'if-match': etag } }));
    },
  };
}

async function errorFrom(res: Response): Promise<EdgeError> {
  const text = await res.text().catch(() => '');
  try {
    const body = errorBodySchema.parse(JSON.parse(text));
    return new EdgeError(res.status, body.error.code, body.error.message, body.error.field, body.error.allowed);
  } catch {
    return new EdgeError(res.status, `http_${res.status}`, `the edge answered ${res.status} ${res.statusText}${text ? `: ${text.slice(0, 200)}` : ''}`);
  }
}

/** Maps one SSE message to a job event; unknown or malformed events are skipped, not fatal. */
export function toJobEvent(event: string, data: string): JobEvent | undefined {
  let payload: unknown;
  try {
    payload = data ? JSON.parse(data) : undefined;
  } catch {
    return undefined;
  }
  switch (event) {
    case 'state': {
      const r = jobSchema.safeParse(payload);
      return r.success ? { type: 'state', job: r.data } : undefined;
    }
    case 'progress': {
      const p = JobProgressEvent.safeParse(payload);
      return p.success ? { type: 'progress', ...p.data } : undefined;
    }
    case 'retry':
      return { type: 'retry' };
    default:
      return undefined;
  }
}
