// An in-memory edge behind a fetch function, for tests. It follows the real
// edge's contract (workers/edge/src/api): jobs whose images are a pure function
// of the request (so re-runs reproduce) and are named by their sha256, `state`
// and `progress` SSE events, notebooks with ETags and If-Match, and the error
// body the real edge sends.
import { frameChunk, fromZodError, insertAfterIhdr, PNG_SIGNATURE, textChunk, TokenizeInput } from '@imagen-ts/protocol';
import type { InspectResult, Job, ModelInfo, TokenizeResult } from '../api-types.ts';
import { hashValue } from '../hash.ts';

export interface FakeEdgeOptions {
  /** complete jobs immediately (default) or leave them running until finishJob() */
  autoComplete?: boolean;
  /** make every image's sha depend on this too: simulates a non-reproducible engine */
  salt?: string;
  /** goes into each PNG's metadata only: same pixels (pixel hash), another file (sha256), as after an engine upgrade */
  metadataSalt?: string;
  /** what POST /v1/images/inspect answers (default: a 64 px imagen-ts image) */
  inspect?: InspectResult;
  /** what GET /v1/models lists; without it the edge answers 503 (no runner ready), as the real one does */
  models?: ModelInfo[];
}

interface FakeJob extends Job {
  request: Record<string, unknown>;
}

/** A 1×1 PNG frame carrying `text` (no decodable pixels: the notebook reads only its metadata). */
function pngWithText(text: Record<string, string>): Uint8Array {
  const ihdr = Uint8Array.of(0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0);
  const bare = new Uint8Array([...PNG_SIGNATURE, ...frameChunk('IHDR', ihdr), ...frameChunk('IEND', new Uint8Array(0))]);
  return insertAfterIhdr(bare, Object.entries(text).map(([k, v]) => textChunk(k, v)));
}

export function createFakeEdge(options: FakeEdgeOptions = {}) {
  const jobs = new Map<string, FakeJob>();
  const notebooks = new Map<string, { id: string; title: string; content: unknown; version: number; createdAt: string; updatedAt: string }>();
  const images = new Map<string, { width: number; height: number; metadata: string }>();
  const calls: string[] = [];
  let nextId = 1;
  const auto = options.autoComplete ?? true;
  const now = '2025-01-01T00:00:00.000Z';

  const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
    new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
  const error = (status: number, code: string, message: string, field?: string) => json({ error: { code, message, ...(field ? { field } : {}) } }, status);
  const pad = (n: number, len: number) => String(n).padStart(len, '0');
  const etagOf = (nb: { id: string; version: number }) => `"${nb.id}.v${nb.version}"`;
  const view = ({ request: _r, ...job }: FakeJob): Job => job;
  const nbView = (nb: { id: string; title: string; content: unknown; version: number; createdAt: string; updatedAt: string }) => ({ ...nb, etag: etagOf(nb) });

  function complete(job: FakeJob) {
    const r = job.request;
    const size = job.size;
    job.images = Array.from({ length: job.n }, (_, i) => {
      const pixelSha256 = hashValue({ r: JSON.stringify(r), i, salt: options.salt ?? '' });
      const metadata = JSON.stringify({ request: r, engine: options.metadataSalt ?? 'fake' });
      const id = options.metadataSalt === undefined ? pixelSha256 : hashValue({ pixelSha256, metadata });
      images.set(id, { width: size, height: size, metadata });
      return { id, pixelSha256, index: i, seed: (job.seed + i) >>> 0, width: size, height: size, url: `http://edge.test/v1/images/${id}` };
    });
    job.status = 'succeeded';
  }

  function createJob(kind: Job['kind'], request: Record<string, unknown>, n: number, size: number, parentImageId: string | null): FakeJob {
    const seed = typeof request.seed === 'number' ? request.seed : 7;
    const job: FakeJob = {
      id: `job_${pad(nextId++, 26)}`, kind, status: 'queued', createdAt: now, updatedAt: now, model: 'fake', seed, n, size, parentImageId,
      attempts: 0, progress: null, images: [], error: null, embeddingCache: null, request,
    };
    jobs.set(job.id, job);
    if (auto) complete(job);
    return job;
  }

  function events(job: FakeJob): Response {
    const out: string[] = ['retry: 2000\n\n'];
    let seq = 0;
    const ev = (type: string, data: unknown) => out.push(`id: ${++seq}\nevent: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
    ev('state', { ...view(job), status: 'queued', images: [] });
    ev('state', { ...view(job), status: 'running', images: [] });
    // one preview per image, each its own (the real edge's are PNGs of each image's current x0)
    const previews = Array.from({ length: job.n }, (_, i) => `data:image/png;base64,AAA${'ABCDEFGH'[i] ?? 'Z'}`);
    ev('progress', { stage: 'base64', stageIndex: 0, step: 1, total: 2, preview: previews[0], previews });
    if (job.status !== 'queued' && job.status !== 'running') ev('state', view(job));
    return new Response(out.join(''), { headers: { 'Content-Type': 'text/event-stream' } });
  }

  function route(input: RequestInfo | URL, init: RequestInit): Response {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const method = (init.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
    const path = url.pathname;
    calls.push(`${method} ${path}`);
    let m: RegExpExecArray | null;
    if (method === 'GET' && (m = /^\/v1\/images\/([0-9a-f]{64})$/.exec(path))) {
      const img = images.get(m[1]!);
      return img ? new Response(pngWithText({ 'imagen-ts': img.metadata }) as Uint8Array<ArrayBuffer>, { headers: { 'Content-Type': 'image/png' } }) : error(404, 'not_found', 'image not found');
    }
    if (headers.get('Authorization') !== 'Bearer test-key') return error(401, 'unauthorized', 'unknown or revoked API key');
    if (method === 'POST' && path === '/v1/tokenize') {
      // the edge's own body schema; one token per word plus </s>; words with a digit stand for ones the tokenizer does not know
      const parsed = TokenizeInput.safeParse(typeof init.body === 'string' ? JSON.parse(init.body) : undefined);
      if (!parsed.success) return json(fromZodError(parsed.error).body(), 400);
      const words = parsed.data.prompt.split(/\s+/).filter((w) => w !== '');
      const model = options.models?.[0];
      const maxTokens = model?.textEncoder.maxTokens ?? 48;
      const result: TokenizeResult = { model: model?.id ?? 'fake', tokens: words.length + 1, maxTokens, truncated: words.length + 1 > maxTokens, unknown: [...new Set(words.filter((w) => /\d/.test(w)))] };
      return json(result);
    }
    if (method === 'GET' && path === '/v1/models') {
      return options.models ? json({ object: 'list', data: options.models }) : error(503, 'unavailable', 'no runner is ready');
    }
    const body = typeof init.body === 'string' ? (JSON.parse(init.body) as Record<string, unknown>) : {};
    if (method === 'POST' && path === '/v1/generations') {
      if (typeof body.steps === 'number' && body.steps > 500) return error(400, 'invalid_request', 'steps: must be at most 500', 'steps');
      return json(view(createJob('generation', body, Number(body.n ?? 1), Number(body.size ?? 64), null)), 202);
    }
    if (method === 'POST' && path === '/v1/images/inspect') {
      return json(options.inspect ?? { source: 'imagen-ts', text: {}, parameters: null, imagen: {}, request: { prompt: 'a fox from a PNG', seed: 4242, n: 1, size: 64, steps: 12, sampler: 'ddim', guidance: 5 } });
    }
    if (method === 'POST' && (m = /^\/v1\/images\/([^/]+)\/upscale$/.exec(path))) {
      const parent = images.get(m[1]!);
      if (!parent) return error(404, 'not_found', 'image not found');
      if (parent.width >= 1024) return error(409, 'no_next_stage', 'the image is already at the last stage');
      return json(view(createJob('upscale', { ...body, from: m[1] }, 1, parent.width * 4, m[1]!)), 202);
    }
    if ((m = /^\/v1\/jobs\/([^/]+)(\/events|\/cancel)?$/.exec(path))) {
      const job = jobs.get(m[1]!);
      if (!job) return error(404, 'not_found', 'job not found');
      if (m[2] === '/events') return events(job);
      if (m[2] === '/cancel' && method === 'POST') {
        if (job.status === 'queued' || job.status === 'running') job.status = 'canceled';
        return json(view(job));
      }
      return json(view(job));
    }
    if (method === 'GET' && path === '/v1/notebooks') return json({ notebooks: [...notebooks.values()].map(({ content: _c, ...nb }) => ({ ...nb, etag: etagOf(nb) })) });
    if (method === 'POST' && path === '/v1/notebooks') {
      const nb = { id: `nb_${pad(nextId++, 20)}`, title: String(body.title), content: body.content, version: 1, createdAt: now, updatedAt: now };
      notebooks.set(nb.id, nb);
      return json(nbView(nb), 201, { ETag: etagOf(nb) });
    }
    if ((m = /^\/v1\/notebooks\/([^/]+)$/.exec(path))) {
      const nb = notebooks.get(m[1]!);
      if (!nb) return error(404, 'not_found', 'notebook not found');
      if (method === 'GET') return json(nbView(nb), 200, { ETag: etagOf(nb) });
      const ifMatch = headers.get('If-Match');
      if (ifMatch === null) return error(428, 'precondition_required', "If-Match: send the notebook's ETag", 'If-Match');
      if (ifMatch !== etagOf(nb)) return error(412, 'precondition_failed', `If-Match ${ifMatch} is stale: the notebook is at ${etagOf(nb)}; reload it and apply your change again`);
      if (method === 'DELETE') {
        notebooks.delete(nb.id);
        return new Response(null, { status: 204 });
      }
      if (method === 'PUT') {
        nb.title = String(body.title);
        nb.content = body.content;
        nb.version++;
        return json(nbView(nb), 200, { ETag: etagOf(nb) });
      }
    }
    return error(404, 'not_found', `${method} ${path} not found`);
  }

  return {
    fetch: (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => Promise.resolve(route(input, init)),
    jobs,
    notebooks,
    images,
    calls,
    finishJob(id: string) {
      const job = jobs.get(id);
      if (job && job.status !== 'canceled') complete(job);
    },
    failJob(id: string, message: string) {
      const job = jobs.get(id);
      if (job) Object.assign(job, { status: 'failed', error: { code: 'runner_error', message } });
    },
  };
}
