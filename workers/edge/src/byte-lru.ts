// A least-recently-used map of byte arrays, bounded in total bytes (Map order is the
// recency order). For per-isolate caches of values that never go stale: embeddings
// keyed by encoder and prompt, PNGs keyed by their sha256.

export interface ByteLru {
  /** the bytes, now most recently used; undefined when not held */
  get(key: string): Uint8Array | undefined;
  /** holds the bytes unless larger than an entry may be or already held; evicts the least recently used past the bound */
  set(key: string, bytes: Uint8Array): void;
  clear(): void;
}

export function createByteLru(opts: { maxBytes: number; maxEntryBytes: number }): ByteLru {
  const entries = new Map<string, Uint8Array>();
  let total = 0;
  return {
    get(key) {
      const bytes = entries.get(key);
      if (bytes) {
        entries.delete(key);
        entries.set(key, bytes);
      }
      return bytes;
    },
    set(key, bytes) {
      if (bytes.byteLength > opts.maxEntryBytes || entries.has(key)) return;
      entries.set(key, bytes);
      total += bytes.byteLength;
      for (const [k, b] of entries) {
        if (total <= opts.maxBytes) break;
        entries.delete(k);
        total -= b.byteLength;
      }
    },
    clear() {
      entries.clear();
      total = 0;
    },
  };
}
