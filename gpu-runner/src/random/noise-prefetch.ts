// Starting noise drawn ahead, on a worker thread, while earlier stages run.
//
// A stage's x_T and its low-res ε are whole streams from position 0, fixed by
// (seed, streamId) before the stage starts, so they can be drawn while the
// previous stage is still running. At 1024² that is 2 × 3.1 M normals per
// image (~220 ms of Philox + Box-Muller on one core) that otherwise sit on the
// critical path between two stages; on a GPU host they would dominate the last
// stage. The numbers are the same normals createNormalStream() gives: the
// worker runs that very function, and a stream that was not prefetched (or whose
// prefetch failed) is drawn on the spot.
import { Worker } from 'node:worker_threads';
import { createNormalStream } from './normal-stream.ts';

export interface NoiseRequest {
  seed: number;
  streamId: number;
  /** normals from position 0 */
  length: number;
}

/** Streams asked for ahead of time. */
export interface NoiseBatch {
  /** writes normals 0..out.length-1 of stream (seed, streamId) into out */
  fill(out: Float32Array, seed: number, streamId: number): Promise<void>;
  /** true once the worker delivered the streams, false if it could not (fills then draw on the spot) */
  delivered(): Promise<boolean>;
}

export interface NoisePrefetcher {
  prefetch(requests: readonly NoiseRequest[]): NoiseBatch;
  close(): Promise<void>;
}

const key = (seed: number, id: number, length: number) => `${seed}:${id}:${length}`;

/** Draws the stream on the calling thread: what every fill falls back to. */
export function drawNoise(out: Float32Array, seed: number, streamId: number): void {
  createNormalStream(seed, streamId).fill(out);
}

export function createNoisePrefetcher(): NoisePrefetcher {
  let worker: Worker | null = null;
  let closed = false;
  let nextId = 0;
  const waiting = new Map<number, (buffers: Float32Array[] | null) => void>();

  function start(): Worker {
    const w = new Worker(new URL('./noise-worker.ts', import.meta.url));
    // an idle prefetcher must not keep the process alive
    w.unref();
    w.on('message', (msg: { id: number; buffers: Float32Array[] }) => {
      waiting.get(msg.id)?.(msg.buffers);
      waiting.delete(msg.id);
    });
    const failAll = () => {
      for (const settle of waiting.values()) settle(null);
      waiting.clear();
      worker = null;
    };
    w.on('error', failAll);
    w.on('exit', failAll);
    return w;
  }

  return {
    prefetch(requests) {
      const id = nextId++;
      const ready = new Promise<Map<string, Float32Array> | null>((resolve) => {
        waiting.set(id, (buffers) => resolve(buffers && new Map(requests.map((r, i) => [key(r.seed, r.streamId, r.length), buffers[i] as Float32Array]))));
      });
      try {
        if (closed) throw new Error('noise prefetcher closed');
        worker ??= start();
        worker.postMessage({ id, requests: requests.map((r) => ({ seed: r.seed, streamId: r.streamId, length: r.length })) });
      } catch {
        waiting.get(id)?.(null);
        waiting.delete(id);
      }
      return {
        delivered: async () => (await ready) !== null,
        async fill(out, seed, streamId) {
          const got = (await ready)?.get(key(seed, streamId, out.length));
          if (got) out.set(got);
          else drawNoise(out, seed, streamId);
        },
      };
    },
    async close() {
      closed = true;
      const w = worker;
      worker = null;
      if (w) await w.terminate();
    },
  };
}
