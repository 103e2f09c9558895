// Admission: how many job submissions one isolate works on at once. A burst of
// 600 POST /v1/generations otherwise starts 600 creations side by side (KV reads,
// embeddings, a job object each, 600 runner submits): every step of every one of
// them queues on the isolate's one thread ahead of any other request, and locally
// (workerd runs the worker and its objects on one thread) /health waited 20 s.
// Requests past the limit wait here, costing nothing, and are admitted in order.
import { createSemaphore } from '../semaphore.ts';

/** submissions worked on at once per isolate; enough to keep two runners' queues fed */
export const admissionConcurrency = 8;

const gate = createSemaphore(admissionConcurrency);

/** runs `fn` once fewer than admissionConcurrency submissions are under way in this isolate */
export function admit<T>(fn: () => Promise<T>): Promise<T> {
  return gate.run(fn);
}

/** for diagnostics and tests: submissions under way and waiting */
export function admissionLoad(): { active: number; pending: number } {
  return gate.load();
}
