// PNGs this isolate stored or was handed lately, by id (their sha256), least recently
// used first (Map order). A client fetching the image its waited job just made is
// answered from memory instead of an R2 read. Only bytes already durable in R2 get
// here (storeImage adds them after the put, the worker after the job succeeded), and
// an id names its bytes forever, so an entry can never be stale.
const maxEntryBytes = 256 << 10;
const maxBytes = 8 << 20;
const recent = new Map<string, Uint8Array>();
let total = 0;

export function rememberImage(id: string, png: Uint8Array): void {
  if (png.byteLength > maxEntryBytes || recent.has(id)) return;
  recent.set(id, png);
  total += png.byteLength;
  for (const [k, b] of recent) {
    if (total <= maxBytes) break;
    recent.delete(k);
    total -= b.byteLength;
  }
}

export function recentImage(id: string): Uint8Array | undefined {
  const png = recent.get(id);
  if (png) {
    recent.delete(id);
    recent.set(id, png);
  }
  return png;
}

/** for tests: forget every remembered image */
export function forgetRecentImages(): void {
  recent.clear();
  total = 0;
}
