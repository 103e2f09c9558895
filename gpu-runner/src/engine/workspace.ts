// Big per-stage buffers (the U-Net input batch, x0, scratch), kept from one
// stage and request to the next. A fresh 50 MB Float32Array costs more than the
// arithmetic done in it: the kernel zeroes each page on first touch (≈ 20 ms per
// 50 MB on the 2-core dev machine, as much as a fused pass over 3M values), and
// freed ArrayBuffers that size drive V8's full GCs. A cascade runs one stage at a
// time (runs are serialized), so one workspace per cascade is never shared.

export interface Workspace {
  /**
   * `length` floats from the slot's memory (a view; grown when too short). The contents are whatever was left
   * there: callers write every value before reading it. Views of one slot alias, so a stage takes each slot once.
   */
  f32(slot: string, length: number): Float32Array;
  /** bytes held */
  readonly bytes: number;
  /** drops every buffer */
  clear(): void;
}

/** Above `maxBytes` in all, f32() hands out fresh unpooled arrays instead of growing a slot. */
export function createWorkspace(maxBytes = 1 << 30): Workspace {
  const slots = new Map<string, Float32Array>();
  let bytes = 0;
  return {
    f32(slot, length) {
      if (!Number.isInteger(length) || length < 0) throw new RangeError(`workspace: length must be a non-negative integer, got ${length}`);
      const have = slots.get(slot);
      if (have && have.length >= length) return have.subarray(0, length);
      const held = have?.byteLength ?? 0;
      if (bytes - held + 4 * length > maxBytes) return new Float32Array(length);
      const grown = new Float32Array(length);
      slots.set(slot, grown);
      bytes += grown.byteLength - held;
      return grown;
    },
    get bytes() {
      return bytes;
    },
    clear() {
      slots.clear();
      bytes = 0;
    },
  };
}
