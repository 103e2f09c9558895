// The /health prober's loop, in a worker thread: its own event loop and its own
// connections, so 600 requests the burst sends from the main thread cannot queue it
// (in one thread it measured 27 s "stalls" that curl, run beside it, did not see).
import { parentPort, workerData } from 'node:worker_threads';

const { url, everyMs } = workerData as { url: string; everyMs: number };
let running = true;
parentPort?.on('message', (m) => {
  if (m === 'stop') running = false;
});

while (running) {
  const t0 = performance.timeOrigin + performance.now();
  const start = performance.now();
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(60_000) });
    await res.body?.cancel();
  } catch {
    // a timeout counts as a 60 s stall
  }
  parentPort?.postMessage({ at: t0, ms: performance.now() - start });
  await new Promise((r) => setTimeout(r, everyMs));
}
parentPort?.postMessage('stopped');
