// Helpers shared by the service tests: signed requests, and a service on the
// FAKE engine (see ./fake-engine.ts for where that is and is not appropriate).
import { createRunnerService, type RunnerService, type ServiceConfig } from '../app.ts';
import { createLogger } from '../log.ts';
import { isTerminalStatus, signRequest, type SigningKey } from '@imagen-ts/protocol';
import { createFakeEngine, type FakeEngine } from './fake-engine.ts';

export const testKey: SigningKey = { keyId: 'test', secret: 'test-secret-0123456789' };

/** the runner id the in-process service answers to (app.request's host is "localhost") */
export const testRunnerId = 'runner-test';

export const testConfig: ServiceConfig = {
  queueLimit: 8,
  maxBatch: 4,
  batchWaitMs: 0,
  jobDeadlineMs: 60_000,
  maxBodyBytes: 1 << 20,
  retainJobs: 100,
  previewEvery: 0,
  keys: { [testKey.keyId]: testKey.secret },
  callbackAllowList: ['http://127.0.0.1:*'],
  metricsPublic: false,
  runnerId: testRunnerId,
};

export async function signedInit(method: string, path: string, body?: unknown, key: SigningKey = testKey): Promise<RequestInit> {
  const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const headers = await signRequest(key, { method, path, host: 'localhost', target: testRunnerId, ...(text === undefined ? {} : { body: text }) });
  const init: RequestInit = { method, headers: { ...headers, ...(text === undefined ? {} : { 'content-type': 'application/json' }) } };
  if (text !== undefined) init.body = text;
  return init;
}

export interface FakeService {
  service: RunnerService;
  engine: FakeEngine;
  call: (method: string, path: string, body?: unknown) => Promise<Response>;
}

export function createFakeService(overrides: Partial<ServiceConfig> = {}, opts: { stepMs?: number; fetch?: typeof fetch } = {}): FakeService {
  const service = createRunnerService({ ...testConfig, ...overrides }, { logger: createLogger({ logPrompts: false, quiet: true }), ...(opts.fetch ? { fetch: opts.fetch } : {}) });
  const engine = createFakeEngine(opts.stepMs === undefined ? {} : { stepMs: opts.stepMs });
  service.attachEngine(engine);
  service.markReady();
  return {
    service,
    engine,
    call: async (method, path, body) => service.app.request(path, await signedInit(method, path, body)),
  };
}

/** polls GET /v1/jobs/:id until the job is terminal */
export async function waitForJob(call: FakeService['call'], id: string, timeoutMs = 10_000): Promise<Record<string, unknown>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await call('GET', `/v1/jobs/${id}`);
    if (res.status !== 200) throw new Error(`GET /v1/jobs/${id}: ${res.status} ${await res.text()}`);
    const { job } = (await res.json()) as { job: Record<string, unknown> };
    if (isTerminalStatus(String(job.status))) return job;
    if (Date.now() > until) throw new Error(`job ${id} still ${String(job.status)} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
