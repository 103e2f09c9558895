// When a re-run gives the same pixels in another file, the badge says what in the
// PNG's metadata changed (an engine or ONNX Runtime version, a request field),
// so a faithful reproduction never reads as a failure.
import { IMAGEN_KEY, readTextChunks } from '@imagen-ts/protocol';

/** Leaf paths where two JSON values differ, in document order; at most `max`. */
export function jsonDiff(a: unknown, b: unknown, max = 6, path = ''): string[] {
  if (Object.is(a, b)) return [];
  const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object';
  if (!isObj(a) || !isObj(b) || Array.isArray(a) !== Array.isArray(b)) return [path || '(root)'];
  const out: string[] = [];
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  for (const k of keys) {
    if (out.length >= max) break;
    const sub = Array.isArray(a) ? `${path}[${k}]` : path ? `${path}.${k}` : k;
    out.push(...jsonDiff(a[k], b[k], max - out.length, sub));
  }
  return out;
}

function parseJson(s: string | undefined): unknown {
  if (s === undefined) return undefined;
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

/** What differs between two PNGs' text chunks: `imagen-ts` by JSON path, other chunks by name. */
export async function metadataDiff(a: Uint8Array, b: Uint8Array, max = 6): Promise<string[]> {
  const [ta, tb] = await Promise.all([readTextChunks(a), readTextChunks(b)]);
  const out: string[] = [];
  for (const key of [...new Set([...Object.keys(ta), ...Object.keys(tb)])]) {
    if (ta[key] === tb[key]) continue;
    if (key === IMAGEN_KEY) out.push(...jsonDiff(parseJson(ta[key]), parseJson(tb[key]), max).map((p) => `${IMAGEN_KEY} ${p}`));
    else out.push(`${key} chunk`);
  }
  return out.slice(0, max);
}

/** The badge's note for a pixels-match: which metadata differs, or that only the encoding does. */
export function describeMetadataDiff(paths: readonly string[]): string {
  return paths.length === 0 ? 'same pixels and metadata; the PNG encoding differs' : `same pixels; the PNG metadata differs: ${paths.join(', ')}`;
}
