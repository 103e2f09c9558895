// The crash and drain paths of the process lifecycle, with a fake exit (on the
// FAKE engine: what is tested is the bookkeeping, not generation).
import { describe, expect, it } from 'vitest';
import { createLifecycle } from './lifecycle.ts';
import { createLogger } from './log.ts';
import { createFakeService } from './testing/harness.ts';

const quiet = createLogger({ logPrompts: false, quiet: true });

function recordingFetch(): { fetch: typeof fetch; types: string[] } {
  const types: string[] = [];
  const f = ((_url: string | URL | Request, init?: RequestInit) => {
    types.push((JSON.parse(init?.body as string) as { event: { type: string } }).event.type);
    return Promise.resolve(new Response(null, { status: 204 }));
  }) as typeof fetch;
  return { fetch: f, types };
}

describe('lifecycle', () => {
  it('fatal: a job mid-run is marked failed, its callback is sent, then exit 1', async () => {
    const cb = recordingFetch();
    const { service, call } = createFakeService({ maxBatch: 1 }, { stepMs: 30, fetch: cb.fetch });
    await call('POST', '/v1/jobs', { id: 'mid', prompt: 'x', seed: 1, size: 64, callbackUrl: 'http://127.0.0.1:1/cb' });
    await call('POST', '/v1/jobs', { id: 'next', prompt: 'x', seed: 2, size: 64 });
    while (service.store.get('mid')?.status !== 'running') await new Promise((r) => setTimeout(r, 5));
    const codes: number[] = [];
    const lifecycle = createLifecycle({ service, logger: quiet, graceMs: 1000, exit: (c) => codes.push(c) });
    await lifecycle.fatal(new Error('segfault-ish'));
    expect(codes).toEqual([1]);
    for (const id of ['mid', 'next']) expect(service.store.get(id)?.failure).toMatchObject({ code: 'runner_crashed', retryable: true });
    expect(cb.types.at(-1)).toBe('failed');
    // the worker's own late result cannot resurrect it
    await new Promise((r) => setTimeout(r, 400));
    expect(service.store.get('mid')?.status).toBe('failed');
  });

  it('shutdown: drains, closes the server, disposes the engine, exit 0, once', async () => {
    const { service, call } = createFakeService({}, { stepMs: 1 });
    await call('POST', '/v1/jobs', { id: 'j', prompt: 'x', seed: 1, size: 64 });
    const steps: string[] = [];
    const lifecycle = createLifecycle({
      service,
      logger: quiet,
      graceMs: 5000,
      closeServer: () => Promise.resolve(void steps.push('close')),
      disposeEngine: () => Promise.resolve(void steps.push('dispose')),
      exit: (c) => steps.push(`exit ${c}`),
    });
    await Promise.all([lifecycle.shutdown('SIGTERM'), lifecycle.shutdown('SIGINT')]);
    expect(steps).toEqual(['close', 'dispose', 'exit 0']);
    expect(service.store.get('j')?.status).toBe('succeeded');
  });
});
