// Worker side of noise-prefetch.ts: draws whole streams from position 0 and
// hands the buffers back without copying.
import { parentPort } from 'node:worker_threads';
import { createNormalStream } from './normal-stream.ts';
import type { NoiseRequest } from './noise-prefetch.ts';

if (!parentPort) throw new Error('noise-worker.ts must run as a worker thread');
const port = parentPort;
port.on('message', (msg: { id: number; requests: NoiseRequest[] }) => {
  const buffers = msg.requests.map((r) => {
    const out = new Float32Array(r.length);
    createNormalStream(r.seed, r.streamId).fill(out);
    return out;
  });
  port.postMessage(
    { id: msg.id, buffers },
    buffers.map((b) => b.buffer),
  );
});
