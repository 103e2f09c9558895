// The shape of an untrusted JSON value (nesting depth, node count), measured
// without recursion and stopping at the first limit it passes. Stored JSON is
// later serialized by recursive code (JSON.stringify, React, structured clone):
// a 100,000-deep array parses fine but overflows the stack of whoever writes it
// back, so such values are refused at the boundary, before anything is stored.

export interface JsonShapeLimits {
  /** containers (arrays, objects) on the deepest path; a scalar is depth 0 */
  maxDepth: number;
  /** values in all: containers and scalars (object keys are not counted) */
  maxNodes: number;
}

/**
 * Notebook content. The notebook app nests 7 deep (notebook → cells → cell → run →
 * images → image → params); a 1 MiB body of its densest content (sweep cells of 64
 * stored images) holds ~35,000 values, so 100,000 leaves room while bounding the walk
 * (and every later serialization) to the order of parsing the body itself.
 */
export const notebookContentLimits: JsonShapeLimits = { maxDepth: 32, maxNodes: 100_000 };

export type JsonShapeVerdict = { ok: true; depth: number; nodes: number } | { ok: false; limit: 'depth' | 'nodes'; message: string };

/** depth and node count of `value`, or which limit it passes (checked in one bounded, iterative walk) */
export function measureJsonShape(value: unknown, limits: JsonShapeLimits): JsonShapeVerdict {
  // two parallel stacks: no tuple per value
  const values: unknown[] = [value];
  const depths: number[] = [0];
  // counted when pushed, so a huge array is refused before its children are walked
  let nodes = 1;
  let deepest = 0;
  while (values.length > 0) {
    const v = values.pop();
    const depth = depths.pop() ?? 0;
    if (v === null || typeof v !== 'object') continue;
    const inner = depth + 1;
    if (inner > limits.maxDepth) return { ok: false, limit: 'depth', message: `nests deeper than ${limits.maxDepth} levels of arrays and objects (at most ${limits.maxDepth})` };
    if (inner > deepest) deepest = inner;
    const children: unknown[] = Array.isArray(v) ? v : Object.values(v);
    nodes += children.length;
    if (nodes > limits.maxNodes) return { ok: false, limit: 'nodes', message: `holds more than ${limits.maxNodes} values (at most ${limits.maxNodes})` };
    for (const child of children) {
      // scalars need no visit: only containers go on the stack
      if (child !== null && typeof child === 'object') {
        values.push(child);
        depths.push(inner);
      }
    }
  }
  return { ok: true, depth: deepest, nodes };
}
