import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { AppEnv } from '../app-env.ts';
import { admission, admissionConcurrency, admissionLoad, isSubmission } from './admission.ts';

describe('admission at the door', () => {
  it('knows the routes that create a job', () => {
    expect(isSubmission('POST', '/v1/generations')).toBe(true);
    expect(isSubmission('POST', '/v1/images/generations')).toBe(true);
    expect(isSubmission('POST', '/v1/images/abc123/upscale')).toBe(true);
    expect(isSubmission('GET', '/v1/generations')).toBe(false);
    expect(isSubmission('POST', '/v1/images/inspect')).toBe(false);
    expect(isSubmission('POST', '/v1/notebooks')).toBe(false);
  });

  it('holds submissions past the limit before their handler runs, lets other routes through, and frees places as jobs are made', async () => {
    const app = new Hono<AppEnv>();
    app.use('*', admission);
    let inHandler = 0;
    const releases: (() => void)[] = [];
    app.post('/v1/generations', async (c) => {
      inHandler++;
      await new Promise<void>((r) => releases.push(r));
      // the job exists: the place goes back before the (long) wait a Prefer: wait request does
      c.get('leaveAdmission')?.();
      return c.json({ ok: true });
    });
    app.get('/health', (c) => c.json({ status: 'ok' }));

    const n = admissionConcurrency + 3;
    const posts = Array.from({ length: n }, async () => app.request('/v1/generations', { method: 'POST' }));
    await new Promise((r) => setTimeout(r, 30));
    expect(inHandler).toBe(admissionConcurrency);
    expect(admissionLoad()).toEqual({ active: admissionConcurrency, pending: 3 });
    expect((await app.request('/health')).status).toBe(200);

    while (releases.length > 0 || inHandler < n) {
      releases.shift()?.();
      await new Promise((r) => setTimeout(r, 10));
    }
    const answers = await Promise.all(posts);
    expect(answers.map((r) => r.status)).toEqual(Array.from({ length: n }, () => 200));
    expect(admissionLoad()).toEqual({ active: 0, pending: 0 });
  });
});
