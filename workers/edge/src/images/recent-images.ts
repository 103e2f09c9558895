// PNGs this isolate stored or was handed lately, by id (their sha256), least recently
// used first (Map order). A client fetching the image its waited job just made is
// answered from memory instead of an R2 read. Only bytes already durable in R2 get
// here (storeImage adds them after the put, the worker after the job succeeded), and
// an id names its bytes forever, so an entry can never be stale.
import { createByteLru } from '../byte-lru.ts';

const recent = createByteLru({ maxBytes: 8 << 20, maxEntryBytes: 256 << 10 });

export function rememberImage(id: string, png: Uint8Array): void {
  recent.set(id, png);
}

export function recentImage(id: string): Uint8Array | undefined {
  return recent.get(id);
}

/** for tests: forget every remembered image */
export function forgetRecentImages(): void {
  recent.clear();
}
