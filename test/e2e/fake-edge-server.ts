// A stand-in edge for trying the notebook UI (and a dry run of the e2e suite)
// without a runner: the notebook's in-memory fake edge over HTTP, with CORS,
// jobs that take steps × 20 ms, real (flat-colour) PNGs carrying their request
// in a text chunk, and /v1/images/inspect reading it back. Not the real system.
//   node test/e2e/fake-edge-server.ts [port]      (API key: test-key)
import { createServer } from 'node:http';
import type { ModelInfo } from '@imagen-ts/protocol';
import { decode, encode } from 'fast-png';
import { createFakeEdge } from '../../apps/notebook/lib/testing/fake-edge.ts';
import { testModelInfo } from '../../apps/notebook/lib/testing/model-info.ts';

const port = Number(process.argv[2] ?? 8797);
// the embedded model's stage defaults, so the UI shows what it would with the real one
const models: ModelInfo[] = [
  testModelInfo({
    id: 'fake',
    ownedBy: 'test',
    encoderId: 't',
    stages: [
      ['dpmpp-2m', 20, 2, null],
      ['dpmpp-2m', 15, 2, 100],
      ['dpmpp-2m', 8, 1, 100],
    ],
    examplePrompts: ['two red circles above a blue square', 'a small green triangle'],
  }),
];
const edge = createFakeEdge({ autoComplete: false, models });
const made = new Map<string, { request: Record<string, unknown>; seed: number }>();

function png(id: string, size: number, meta: { request: Record<string, unknown>; seed: number } | undefined): Uint8Array {
  const data = new Uint8Array(size * size * 3);
  const [r, g, b] = [0, 2, 4].map((i) => parseInt(id.slice(i, i + 2), 16));
  for (let p = 0; p < size * size; p++) {
    const shade = ((p % size) + Math.floor(p / size)) / (2 * size);
    data[3 * p] = Math.min(255, r! * (0.5 + shade));
    data[3 * p + 1] = Math.min(255, g! * (0.5 + shade));
    data[3 * p + 2] = Math.min(255, b! * (0.5 + shade));
  }
  const text: Record<string, string> = {};
  if (meta) text['imagen-fake'] = JSON.stringify({ ...meta.request, seed: meta.seed });
  return encode({ width: size, height: size, data, channels: 3, depth: 8, text });
}

function finishLater(jobId: string, steps: number) {
  setTimeout(() => {
    edge.finishJob(jobId);
    const job = edge.jobs.get(jobId);
    for (const img of job?.images ?? []) made.set(img.id, { request: job!.request, seed: img.seed });
  }, steps * 20);
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    void (async () => {
      const origin = req.headers.origin ?? '*';
      const cors = {
        'Access-Control-Allow-Origin': origin,
        'Access-Control-Allow-Headers': 'authorization, content-type, if-match, accept, last-event-id',
        'Access-Control-Allow-Methods': 'GET, POST, PUT, DELETE, OPTIONS',
        'Access-Control-Expose-Headers': 'ETag',
      };
      if (req.method === 'OPTIONS') {
        res.writeHead(204, cors).end();
        return;
      }
      const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
      const body = Buffer.concat(chunks);
      let m: RegExpExecArray | null;
      if (req.method === 'GET' && (m = /^\/v1\/images\/([0-9a-f]{64})$/.exec(url.pathname)) && edge.images.has(m[1]!)) {
        res.writeHead(200, { ...cors, 'Content-Type': 'image/png' }).end(png(m[1]!, edge.images.get(m[1]!)!.width, made.get(m[1]!)));
        return;
      }
      if (req.method === 'POST' && url.pathname === '/v1/images/inspect') {
        const text = decode(body).text['imagen-fake'];
        const request = text ? (JSON.parse(text) as Record<string, unknown>) : null;
        res.writeHead(200, { ...cors, 'Content-Type': 'application/json' }).end(JSON.stringify({ source: request ? 'imagen-ts' : 'none', text: {}, parameters: null, imagen: null, request }));
        return;
      }
      if (url.pathname === '/v1/models') {
        res.writeHead(200, { ...cors, 'Content-Type': 'application/json' }).end(JSON.stringify({ object: 'list', data: models }));
        return;
      }
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
      const r = await edge.fetch(url.href, { method: req.method ?? 'GET', headers, ...(body.length > 0 ? { body: body.toString('utf8') } : {}) });
      const text = await r.text();
      if (r.ok && req.method === 'POST' && /^\/v1\/(generations|images\/[^/]+\/upscale)$/.test(url.pathname)) {
        const job = JSON.parse(text) as { id: string };
        const steps = Number((JSON.parse(body.toString('utf8')) as { steps?: number }).steps ?? 50);
        finishLater(job.id, steps);
      }
      const out: Record<string, string> = { ...cors };
      r.headers.forEach((v, k) => (out[k] = v));
      res.writeHead(r.status, out).end(text);
    })().catch((e: unknown) => {
      res.writeHead(500).end(String(e));
    });
  });
});
server.listen(port, '127.0.0.1', () => console.log(`fake edge on http://127.0.0.1:${port} (key: test-key)`));
