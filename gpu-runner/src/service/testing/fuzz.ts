// Seeded generator of malformed, unsigned or mis-signed requests for the runner.
// None of them is a valid job or embed request, so every answer must be a 4xx JSON error.
import { signRequest, signingHeaders, type SigningKey } from '@imagen-ts/protocol';
import { mulberry32 } from './mulberry32.ts';

export interface FuzzRequest {
  kind: string;
  build(): Promise<{ path: string; init: RequestInit }>;
}

const routes = ['/v1/jobs', '/v1/embed', '/v1/jobs/x', '/v1/jobs/x/events', '/v1/jobs/x/cancel', '/v1/jobs/x/images/0', '/metrics', '/v1', '/', '/v2/health', '/v1/jobs/'];
const weirdPaths = [
  '/v1/jobs/%E0%A4%A',
  '/v1/jobs/%zz',
  '/v1/jobs/%00',
  '/v1/jobs/..%2f..%2fetc%2fpasswd',
  `/v1/jobs/${'a'.repeat(3000)}`,
  '/v1/jobs/%F0%9F%92%A9/images/-1',
  '/v1/jobs/x/images/99999999999999999999',
  '/v1/jobs/x/images/1e3',
  '/v1/jobs?id=1&id=2',
  '/v1/embed?%zz=%zz',
  '/v1/jobs/x/events?lastEventId=-1',
  '/V1/JOBS',
];
const methods = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];

export function fuzzRequests(opts: { seed: number; count: number; key: SigningKey; maxBodyBytes: number; /** the runner's host:port, which signatures name */ host: string }): FuzzRequest[] {
  const rand = mulberry32(opts.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const junk = (n: number) => {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = Math.floor(rand() * 256);
    return b;
  };
  // JSON bodies that are well-formed but never a valid request (each breaks the schema somewhere)
  const badJson = (): unknown =>
    pick<() => unknown>([
      () => ({ id: 'ok', prompt: 'x', size: pick(['64', -1, 1e9, null, 65]) }),
      () => ({ id: pick(['', ' ', '../x', 'a'.repeat(200), 7]), prompt: 'x' }),
      () => ({ id: 'ok', prompt: 123 }),
      () => ({ id: 'ok' }),
      () => ({ id: 'ok', prompt: 'x', n: pick([0, 9, 1.5, '2']) }),
      () => ({ id: 'ok', prompt: 'x', stages: pick([[], 'base64', { base64: { steps: -3 } }, { nope: {} }, { base64: { sampler: 'euler' } }]) }),
      () => ({ id: 'ok', prompt: 'x', embeddings: pick(['!!!', 'SU1FQgAAAAA=', '']) }),
      () => ({ id: 'ok', prompt: 'x', init: pick([{}, { image: 'x', fromStage: 'sr256' }, 'png']) }),
      () => ({ id: 'ok', prompt: 'x', callbackUrl: pick(['javascript:alert(1)', 'http://169.254.169.254/', 'not a url']) }),
      () => ({ id: 'ok', prompt: 'x', seed: pick([-1, 2 ** 32, 'seed', 0.5]) }),
      () => ({ id: 'ok', prompt: 'x', extra: { deep: [1, 2, { x: null }] } }),
      () => ({ prompts: pick([[], 'x', [1], new Array(65).fill('x'), [null]]) }),
      () => pick([null, 1, 'str', [], true]),
      () => JSON.parse(`${'['.repeat(2000)}${']'.repeat(2000)}`) as unknown,
    ])();
  const badText = (): string =>
    pick([
      '{"id":',
      '{"id":"x","prompt":"\\ud800"',
      '\u0000\u0001',
      'null null',
      '{"a":1}{"b":2}',
      '',
      '{"__proto__":{"polluted":1},"id":"p","prompt":"x","size":"no"}',
      `{"id":"ok","prompt":"${'x'.repeat(5000)}"}`,
    ]);

  const out: FuzzRequest[] = [];
  for (let i = 0; i < opts.count; i++) {
    const kind = i % 10;
    const now = Math.floor(Date.now() / 1000);
    const sign = async (method: string, path: string, body?: string | Uint8Array, key: SigningKey = opts.key, timestamp?: number) =>
      signRequest(key, { method, path, host: opts.host, ...(body === undefined ? {} : { body }), ...(timestamp === undefined ? {} : { timestamp }) });
    switch (kind) {
      case 0: {
        const method = pick(methods);
        const path = pick([...routes, ...weirdPaths]);
        const body = method === 'GET' || method === 'OPTIONS' ? undefined : pick([JSON.stringify(badJson()), badText(), JSON.stringify({ id: 'valid-but-unsigned', prompt: 'x', size: 64 })]);
        out.push({ kind: 'unsigned', build: () => Promise.resolve({ path, init: { method, ...(body === undefined ? {} : { body }) } }) });
        break;
      }
      case 1: {
        const path = pick(routes);
        const body = JSON.stringify({ id: `w${i}`, prompt: 'x', size: 64 });
        out.push({ kind: 'wrong-secret', build: async () => ({ path, init: { method: 'POST', body, headers: await sign('POST', path, body, { keyId: opts.key.keyId, secret: 'not-the-secret-0123456789' }) } }) });
        break;
      }
      case 2: {
        const path = pick(routes);
        const body = JSON.stringify({ id: `s${i}`, prompt: 'x', size: 64 });
        // well outside the 300 s window even if the request is sent a minute after it was generated
        const skew = pick([-100_000, -400, 400, 10_000_000]);
        out.push({ kind: 'stale', build: async () => ({ path, init: { method: 'POST', body, headers: await sign('POST', path, body, opts.key, Math.floor(Date.now() / 1000) + skew) } }) });
        break;
      }
      case 3: {
        const path = pick(['/v1/jobs', '/v1/embed']);
        const body = pick([badText(), junk(1 + Math.floor(rand() * 300))]);
        out.push({ kind: 'signed-malformed', build: async () => ({ path, init: { method: 'POST', body: body as BodyInit, headers: await sign('POST', path, body) } }) });
        break;
      }
      case 4: {
        const path = pick(['/v1/jobs', '/v1/embed']);
        const body = JSON.stringify(badJson());
        out.push({ kind: 'signed-invalid', build: async () => ({ path, init: { method: 'POST', body, headers: { ...(await sign('POST', path, body)), 'content-type': 'application/json' } } }) });
        break;
      }
      case 5: {
        const path = pick([...weirdPaths, `/v1/jobs/nope-${i}`, `/v1/jobs/nope-${i}/events`, `/v1/jobs/nope-${i}/images/0`]);
        out.push({ kind: 'signed-weird-path', build: async () => ({ path, init: { method: 'GET', headers: await sign('GET', new URL(path, 'http://h').pathname + new URL(path, 'http://h').search) } }) });
        break;
      }
      case 6: {
        const body = junk(opts.maxBodyBytes + 1 + Math.floor(rand() * 1000));
        const path = pick(['/v1/jobs', '/v1/embed']);
        const signed = rand() < 0.5;
        out.push({ kind: 'too-large', build: async () => ({ path, init: { method: 'POST', body: body as BodyInit, headers: signed ? await sign('POST', path, body) : {} } }) });
        break;
      }
      case 7: {
        const path = pick(routes);
        const headers: Record<string, string> = pick<Record<string, string>>([
          { [signingHeaders.keyId]: opts.key.keyId, [signingHeaders.timestamp]: String(now), [signingHeaders.signature]: 'zz'.repeat(32) },
          { [signingHeaders.keyId]: opts.key.keyId, [signingHeaders.timestamp]: 'yesterday', [signingHeaders.signature]: '00'.repeat(32) },
          { [signingHeaders.keyId]: 'k'.repeat(500), [signingHeaders.timestamp]: String(now), [signingHeaders.signature]: '00'.repeat(32) },
          { [signingHeaders.keyId]: opts.key.keyId, [signingHeaders.timestamp]: String(now), [signingHeaders.signature]: '00'.repeat(32), [signingHeaders.nonce]: '!' },
          { [signingHeaders.keyId]: '', [signingHeaders.timestamp]: '', [signingHeaders.signature]: '' },
        ]);
        out.push({ kind: 'garbage-headers', build: () => Promise.resolve({ path, init: { method: 'GET', headers } }) });
        break;
      }
      case 8: {
        const path = pick([`/v1/jobs/ghost-${i}/cancel`, `/v1/jobs/ghost-${i}`, '/v1/jobs/x/images/abc']);
        const method = path.endsWith('/cancel') ? 'POST' : 'GET';
        out.push({ kind: 'signed-missing', build: async () => ({ path, init: { method, headers: await sign(method, path) } }) });
        break;
      }
      default: {
        const path = pick(routes);
        const method = pick(['PUT', 'DELETE', 'PATCH']);
        out.push({ kind: 'signed-wrong-method', build: async () => ({ path, init: { method, headers: await sign(method, path) } }) });
      }
    }
  }
  return out;
}
