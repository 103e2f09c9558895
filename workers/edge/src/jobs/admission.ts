// Admission: how many job submissions one isolate works on at once. A burst of
// 600 POST /v1/generations otherwise starts 600 creations side by side (auth, body
// parsing, KV reads, embeddings, a job object each, 600 runner submits): every step
// of every one of them queues on the isolate's one thread ahead of any other
// request, and locally (workerd runs the worker and its objects on one thread)
// /health waited 20 s. So a submission takes its place at the door, before the
// auth and body-parsing middleware, and gives it back once its job exists (a
// waited request waits outside, holding no place). Requests past the limit wait
// here, costing one timer per poll, and are admitted as places free up.
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../app-env.ts';
import { createSemaphore } from '../semaphore.ts';

/** submissions worked on at once per isolate; enough to keep two runners' queues fed */
export const admissionConcurrency = 8;

// 600 waiters polling about once a second (0.5-1.5 s, jittered) still notice a freed place within a few ms.
// The lag gate: when a waiter's timer fires over 50 ms late, the isolate is behind (locally
// the worker and every job object share one thread), and nobody is admitted for 100 ms.
// `npm run attack -- --only burst`: 21/2 328 /health probes over 200 ms without it, 17 of
// them while the 600 jobs were being created; 4/2 211 with it, one in that phase.
const gate = createSemaphore(admissionConcurrency, { maxPollMs: 1000, lagLimitMs: 50, lagHoldMs: 100 });

/** the routes that create a job */
const submissions = [/^\/v1\/generations$/, /^\/v1\/images\/generations$/, /^\/v1\/images\/[^/]+\/upscale$/];

export const isSubmission = (method: string, path: string): boolean => method === 'POST' && submissions.some((re) => re.test(path));

/** middleware: a submission waits for a place before anything else is done for it */
export const admission: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!isSubmission(c.req.method, c.req.path)) return next();
  const leave = await gate.acquire();
  c.set('leaveAdmission', leave);
  try {
    await next();
  } finally {
    leave();
  }
};

/** for the job's creator: the place, held since the request came in, or taken now */
export async function admitted(held: (() => void) | undefined): Promise<() => void> {
  return held ?? gate.acquire();
}

/** for diagnostics and tests: submissions under way and waiting */
export function admissionLoad(): { active: number; pending: number } {
  return gate.load();
}
