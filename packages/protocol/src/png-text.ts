// PNG text chunks (tEXt / iTXt / zTXt). fast-png writes and reads only tEXt
// (Latin-1, placed after IDAT) and skips iTXt, so prompts in other scripts need
// iTXt, which we frame here. Like Pillow's PngInfo.add_text (what AUTOMATIC1111
// uses), a value goes into tEXt when it is Latin-1 and into uncompressed iTXt
// otherwise; and like Pillow we place text before IDAT, where readers that stop
// at the first IDAT (Pillow's Image.open().info) still see it.
// Web-standard only (CRC-32 in JS, inflation on DecompressionStream), so the edge
// reads uploaded PNGs in workerd and the notebook in the browser with this code.

const crcTable = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (ISO 3309, as PNG uses it) */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = (crcTable[(c ^ (bytes[i] ?? 0)) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Most bytes of text one chunk may hold, inflated or not: a zip bomb stops here, not in memory. */
export const maxChunkTextBytes = 1 << 20;
/** Most bytes of text all text chunks of one PNG may hold together. */
export const maxFileTextBytes = 4 << 20;
/** @deprecated the per-chunk budget; use maxChunkTextBytes */
export const maxInflatedTextBytes = maxChunkTextBytes;

/** the chunk a PngTextError is about */
export interface PngChunkRef {
  type: string;
  keyword: string;
  /** offset of the chunk's length field in the file */
  offset: number;
}

export class PngTextError extends Error {
  override name = 'PngTextError';
  /** too_large: a text budget was passed (the file is well-formed); corrupt: the chunk does not decode */
  readonly reason: 'too_large' | 'corrupt';
  readonly chunk: PngChunkRef | undefined;
  constructor(message: string, reason: 'too_large' | 'corrupt' = 'corrupt', chunk?: PngChunkRef) {
    super(message);
    this.reason = reason;
    this.chunk = chunk;
  }
}

/** what is left to spend on one PNG's text */
export interface TextBudget {
  left: number;
}

const chunkName = (c: PngChunkRef) => `PNG ${c.type} chunk ${JSON.stringify(c.keyword)} at byte ${c.offset}`;

/** the budget this chunk may spend: its own cap, or what the file has left */
function chunkAllowance(budget: TextBudget): number {
  return Math.min(maxChunkTextBytes, budget.left);
}

function overBudget(ref: PngChunkRef, budget: TextBudget): PngTextError {
  const perChunk = budget.left >= maxChunkTextBytes;
  const limit = perChunk ? `the ${maxChunkTextBytes}-byte limit per chunk` : `the ${maxFileTextBytes}-byte limit for all text of one PNG`;
  return new PngTextError(`${chunkName(ref)}: its text passes ${limit}`, 'too_large', ref);
}

/**
 * zlib-inflates `data` (PNG's compression method 0) within the chunk's allowance; throws
 * once the output would pass it, without buffering the rest.
 */
async function inflate(data: Uint8Array, budget: TextBudget, ref: PngChunkRef): Promise<Uint8Array> {
  const allowance = chunkAllowance(budget);
  const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('deflate'));
  const reader = stream.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > allowance) throw overBudget(ref, budget);
      parts.push(value);
    }
  } catch (e) {
    await reader.cancel().catch(() => undefined);
    if (e instanceof PngTextError) throw e;
    throw new PngTextError(`corrupt PNG: ${ref.type} chunk ${JSON.stringify(ref.keyword)} at byte ${ref.offset} does not inflate (${e instanceof Error ? e.message : String(e)})`, 'corrupt', ref);
  }
  const out = new Uint8Array(size);
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

/** spends an uncompressed chunk's text on the budget */
function spend(text: Uint8Array, budget: TextBudget, ref: PngChunkRef): Uint8Array {
  if (text.length > chunkAllowance(budget)) throw overBudget(ref, budget);
  return text;
}

export const PNG_SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

const latin1 = /^[\u0000-\u00ff]*$/;
const latin1Decoder = new TextDecoder('latin1');
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
const utf8Encoder = new TextEncoder();

export function isLatin1(s: string): boolean {
  return latin1.test(s);
}

function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** PNG keywords: 1–79 Latin-1 printable characters, no leading/trailing/double spaces (PNG spec §11.3.4.2). */
export function validateKeyword(keyword: string): void {
  if (keyword.length < 1 || keyword.length > 79 || !/^[\u0020-\u007e\u00a1-\u00ff]+$/.test(keyword) || /^ | $| {2}/.test(keyword)) {
    throw new Error(`PNG text keyword ${JSON.stringify(keyword)}: must be 1–79 printable Latin-1 characters without leading, trailing or double spaces`);
  }
}

/** One framed chunk: length, type, data, CRC-32 over type + data. */
export function frameChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(latin1Bytes(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** tEXt when keyword and value are Latin-1, else iTXt (uncompressed, no language tag). */
export function textChunk(keyword: string, value: string): Uint8Array {
  validateKeyword(keyword);
  const key = latin1Bytes(keyword);
  if (isLatin1(value)) {
    const v = latin1Bytes(value);
    const data = new Uint8Array(key.length + 1 + v.length);
    data.set(key, 0);
    data.set(v, key.length + 1);
    return frameChunk('tEXt', data);
  }
  const v = utf8Encoder.encode(value);
  // keyword \0, compression flag 0, method 0, language "" \0, translated keyword "" \0, text
  const data = new Uint8Array(key.length + 5 + v.length);
  data.set(key, 0);
  data.set(v, key.length + 5);
  return frameChunk('iTXt', data);
}

export interface RawChunk {
  type: string;
  /** offset of the chunk's length field in the file */
  offset: number;
  data: Uint8Array;
}

/** Walks the chunk list; checks the signature, bounds and (for the chunks returned) CRC. */
export function readChunks(png: Uint8Array, wanted?: ReadonlySet<string>): RawChunk[] {
  if (png.length < 8 || PNG_SIGNATURE.some((b, i) => png[i] !== b)) throw new Error('not a PNG file (bad signature)');
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const chunks: RawChunk[] = [];
  let pos = 8;
  for (;;) {
    if (pos + 12 > png.length) throw new Error(`truncated PNG: chunk header at byte ${pos} runs past the end`);
    const length = view.getUint32(pos);
    const type = latin1Decoder.decode(png.subarray(pos + 4, pos + 8));
    if (!/^[A-Za-z]{4}$/.test(type)) throw new Error(`corrupt PNG: bad chunk type at byte ${pos}`);
    const end = pos + 12 + length;
    if (end > png.length) throw new Error(`truncated PNG: chunk ${type} at byte ${pos} runs past the end`);
    if (!wanted || wanted.has(type)) {
      const crc = view.getUint32(pos + 8 + length);
      if (crc32(png.subarray(pos + 4, pos + 8 + length)) !== crc) throw new Error(`corrupt PNG: CRC mismatch in chunk ${type} at byte ${pos}`);
      chunks.push({ type, offset: pos, data: png.subarray(pos + 8, pos + 8 + length) });
    }
    pos = end;
    if (type === 'IEND') return chunks;
  }
}

function nul(data: Uint8Array, from: number, type: string): number {
  const i = data.indexOf(0, from);
  if (i < 0) throw new Error(`corrupt PNG: ${type} chunk lacks a NUL separator`);
  return i;
}

/**
 * Decodes one tEXt / zTXt / iTXt chunk into [keyword, value]. Its text, inflated or not,
 * spends `budget`: at most maxChunkTextBytes per chunk, and what the file has left.
 */
export async function decodeTextChunk(chunk: RawChunk, budget: TextBudget = { left: maxFileTextBytes }): Promise<[string, string]> {
  const { type, data } = chunk;
  const k = nul(data, 0, type);
  const keyword = latin1Decoder.decode(data.subarray(0, k));
  const ref: PngChunkRef = { type, keyword, offset: chunk.offset };
  let text: Uint8Array;
  let utf8 = false;
  if (type === 'tEXt') text = spend(data.subarray(k + 1), budget, ref);
  else if (type === 'zTXt') text = await inflate(data.subarray(k + 2), budget, ref);
  else if (type === 'iTXt') {
    const compressed = data[k + 1] === 1;
    const lang = nul(data, k + 3, type);
    const tkey = nul(data, lang + 1, type);
    const body = data.subarray(tkey + 1);
    text = compressed ? await inflate(body, budget, ref) : spend(body, budget, ref);
    utf8 = true;
  } else throw new Error(`not a text chunk: ${type}`);
  budget.left -= text.length;
  return [keyword, utf8 ? utf8Decoder.decode(text) : latin1Decoder.decode(text)];
}

export const TEXT_CHUNK_TYPES: ReadonlySet<string> = new Set(['tEXt', 'zTXt', 'iTXt']);

/**
 * All text chunks of a PNG as keyword → value; a repeated keyword keeps its last value
 * (as Pillow does). Each chunk holds at most maxChunkTextBytes of text (inflated or
 * not), all of them together maxFileTextBytes; past either, a PngTextError names the chunk.
 */
export async function readTextChunks(png: Uint8Array): Promise<Record<string, string>> {
  const text: Record<string, string> = {};
  const budget: TextBudget = { left: maxFileTextBytes };
  for (const c of readChunks(png, TEXT_CHUNK_TYPES)) {
    const [k, v] = await decodeTextChunk(c, budget);
    text[k] = v;
  }
  return text;
}

/** Returns a new PNG with `chunks` inserted right after IHDR. */
export function insertAfterIhdr(png: Uint8Array, chunks: Uint8Array[]): Uint8Array {
  const [first] = readChunks(png, new Set(['IHDR']));
  if (!first || first.offset !== 8) throw new Error('corrupt PNG: IHDR is not the first chunk');
  const at = 8 + 12 + first.data.length;
  const extra = chunks.reduce((n, c) => n + c.length, 0);
  const out = new Uint8Array(png.length + extra);
  out.set(png.subarray(0, at), 0);
  let pos = at;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.length;
  }
  out.set(png.subarray(at), pos);
  return out;
}
