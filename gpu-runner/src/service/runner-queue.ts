// The runner's bounded FIFO and how a batch is taken from it: the head job and
// the queued jobs it can share an engine call with (equal batchKey), up to
// maxBatch images. The worker loop (runner.ts) sleeps on `wakeup` until a submit.
import type { Job } from './job-store.ts';
import type { RunnerMetrics } from './metrics.ts';

export interface JobQueue {
  readonly jobs: readonly Job[];
  push(job: Job): void;
  /** false when the job was not queued (already taken or finished) */
  remove(job: Job): boolean;
  /** the head job and its compatible followers, removed from the queue */
  takeBatch(): Job[];
  /** images queued that could join the head's batch */
  compatibleImages(head: Job): number;
  /** resolves at the next push (or notify) */
  wakeup(): Promise<void>;
  notify(): void;
}

export function createJobQueue(o: { maxBatch: number; metrics: RunnerMetrics }): JobQueue {
  const queue: Job[] = [];
  let wake: () => void = () => {};
  let wakeup = new Promise<void>((r) => (wake = r));
  const gauge = () => o.metrics.queueDepth.set(queue.length);

  function notify(): void {
    wake();
    wakeup = new Promise<void>((r) => (wake = r));
  }

  function remove(job: Job): boolean {
    const i = queue.indexOf(job);
    if (i < 0) return false;
    queue.splice(i, 1);
    gauge();
    return true;
  }

  function takeBatch(): Job[] {
    const head = queue[0];
    if (!head) return [];
    const picked: Job[] = [];
    let images = 0;
    for (const job of queue) {
      if (job.spec.batchKey !== head.spec.batchKey) continue;
      const n = job.spec.request.n;
      if (picked.length > 0 && images + n > o.maxBatch) continue;
      picked.push(job);
      images += n;
      if (images >= o.maxBatch) break;
    }
    for (const job of picked) remove(job);
    return picked;
  }

  return {
    jobs: queue,
    push(job) {
      queue.push(job);
      gauge();
      notify();
    },
    remove,
    takeBatch,
    compatibleImages(head) {
      let images = 0;
      for (const job of queue) if (job.spec.batchKey === head.spec.batchKey) images += job.spec.request.n;
      return images;
    },
    wakeup: () => wakeup,
    notify,
  };
}
