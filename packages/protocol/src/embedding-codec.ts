// The wire format of text embeddings between the runner (POST /v1/embed) and the
// edge (which caches them and sends them back in jobs as base64). Shared by both
// sides, so: Web APIs only, no node: imports, no Buffer (it runs in workerd).
//
// Layout (all integers little-endian):
//   offset 0   4 bytes   ASCII magic "IMEB"
//   offset 4   uint32    H = byte length of the JSON header
//   offset 8   H bytes   UTF-8 JSON EmbeddingHeader, space-padded so 8 + H is a multiple of 4
//   then       float32   hiddenStates [batch, tokens, hidden]
//   then       uint8     attentionMask [batch, tokens] (1 = real token)
// The engine's BigInt64Array mask is carried as uint8: it only ever holds 0/1.

/** Token embeddings of a batch of prompts, as the text encoder produced them (the engine's input too). */
export interface TextEmbeddings {
  /** float32 [B, L, D] */
  hiddenStates: Float32Array;
  /** int64 as BigInt64Array [B, L], 1 = real token */
  attentionMask: BigInt64Array;
  batch: number;
  tokens: number;
  hidden: number;
  /** per prompt: was it cut to maxTokens? */
  truncated: boolean[];
}

export const embeddingContentType = 'application/vnd.imagen-ts.embeddings';
export const embeddingMagic = 'IMEB';
export const embeddingFormatVersion = 1;
/** response headers of POST /v1/embed, for caches that do not want to parse the body */
export const encoderHeaders = { id: 'x-imagen-encoder-id', sha256: 'x-imagen-encoder-sha256' } as const;

export interface EmbeddingHeader {
  version: number;
  /** the manifest's textEncoder.id */
  encoderId: string;
  /** the manifest's textEncoder.sha256 (the ONNX file's hash) */
  encoderSha256: string;
  batch: number;
  tokens: number;
  hidden: number;
  truncated: boolean[];
}

export interface DecodedEmbeddings {
  header: EmbeddingHeader;
  embeddings: TextEmbeddings;
}

export class EmbeddingCodecError extends Error {
  override name = 'EmbeddingCodecError';
}

const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const maxDim = 1 << 24;

export function encodeEmbeddings(embeddings: TextEmbeddings, encoder: { id: string; sha256: string }): Uint8Array {
  const { batch, tokens, hidden } = embeddings;
  if (embeddings.hiddenStates.length !== batch * tokens * hidden) throw new EmbeddingCodecError('hiddenStates length is not batch·tokens·hidden');
  if (embeddings.attentionMask.length !== batch * tokens) throw new EmbeddingCodecError('attentionMask length is not batch·tokens');
  const header: EmbeddingHeader = {
    version: embeddingFormatVersion,
    encoderId: encoder.id,
    encoderSha256: encoder.sha256,
    batch,
    tokens,
    hidden,
    truncated: embeddings.truncated.slice(0, batch),
  };
  let json = JSON.stringify(header);
  let jsonBytes = new TextEncoder().encode(json);
  while ((8 + jsonBytes.length) % 4 !== 0) {
    json += ' ';
    jsonBytes = new TextEncoder().encode(json);
  }
  const floatBytes = embeddings.hiddenStates.length * 4;
  const out = new Uint8Array(8 + jsonBytes.length + floatBytes + batch * tokens);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode(embeddingMagic), 0);
  view.setUint32(4, jsonBytes.length, true);
  out.set(jsonBytes, 8);
  let offset = 8 + jsonBytes.length;
  if (littleEndian) {
    out.set(new Uint8Array(embeddings.hiddenStates.buffer, embeddings.hiddenStates.byteOffset, floatBytes), offset);
  } else {
    for (let i = 0; i < embeddings.hiddenStates.length; i++) view.setFloat32(offset + 4 * i, embeddings.hiddenStates[i] ?? 0, true);
  }
  offset += floatBytes;
  for (let i = 0; i < embeddings.attentionMask.length; i++) out[offset + i] = embeddings.attentionMask[i] === 0n ? 0 : 1;
  return out;
}

function checkDim(name: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > maxDim) throw new EmbeddingCodecError(`header.${name} must be an integer in [${min}, ${maxDim}]`);
  return v;
}

export function decodeEmbeddings(bytes: Uint8Array): DecodedEmbeddings {
  if (bytes.length < 8) throw new EmbeddingCodecError('too short for an embeddings blob (need at least 8 bytes)');
  if (new TextDecoder().decode(bytes.subarray(0, 4)) !== embeddingMagic) throw new EmbeddingCodecError(`bad magic (expected "${embeddingMagic}")`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(4, true);
  if (8 + headerLength > bytes.length) throw new EmbeddingCodecError('header length runs past the end of the blob');
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes.subarray(8, 8 + headerLength)));
  } catch {
    throw new EmbeddingCodecError('header is not valid UTF-8 JSON');
  }
  if (typeof raw !== 'object' || raw === null) throw new EmbeddingCodecError('header is not a JSON object');
  const h = raw as Record<string, unknown>;
  if (h.version !== embeddingFormatVersion) throw new EmbeddingCodecError(`header.version must be ${embeddingFormatVersion}`);
  if (typeof h.encoderId !== 'string' || typeof h.encoderSha256 !== 'string') throw new EmbeddingCodecError('header.encoderId and header.encoderSha256 must be strings');
  const batch = checkDim('batch', h.batch, 1);
  const tokens = checkDim('tokens', h.tokens, 1);
  const hidden = checkDim('hidden', h.hidden, 1);
  const truncated = h.truncated;
  if (!Array.isArray(truncated) || truncated.length !== batch || !truncated.every((t) => typeof t === 'boolean'))
    throw new EmbeddingCodecError('header.truncated must be an array of batch booleans');
  const count = batch * tokens * hidden;
  const expected = 8 + headerLength + count * 4 + batch * tokens;
  if (bytes.length !== expected) throw new EmbeddingCodecError(`blob is ${bytes.length} bytes; its header describes ${expected}`);
  let offset = 8 + headerLength;
  const hiddenStates = new Float32Array(count);
  if (littleEndian) {
    // copy: the source offset need not be 4-aligned within its buffer
    new Uint8Array(hiddenStates.buffer).set(bytes.subarray(offset, offset + count * 4));
  } else {
    for (let i = 0; i < count; i++) hiddenStates[i] = view.getFloat32(offset + 4 * i, true);
  }
  offset += count * 4;
  const attentionMask = new BigInt64Array(batch * tokens);
  for (let i = 0; i < attentionMask.length; i++) {
    const m = bytes[offset + i];
    if (m !== 0 && m !== 1) throw new EmbeddingCodecError(`attention mask byte ${i} is ${m}; allowed: 0 or 1`);
    attentionMask[i] = BigInt(m);
  }
  const header: EmbeddingHeader = { version: embeddingFormatVersion, encoderId: h.encoderId, encoderSha256: h.encoderSha256, batch, tokens, hidden, truncated: truncated };
  return { header, embeddings: { hiddenStates, attentionMask, batch, tokens, hidden, truncated: header.truncated } };
}

/** prompt i of a batch as a batch-1 TextEmbeddings (copies) */
export function sliceEmbeddings(e: TextEmbeddings, i: number): TextEmbeddings {
  if (!Number.isInteger(i) || i < 0 || i >= e.batch) throw new RangeError(`index ${i} outside [0, ${e.batch})`);
  const per = e.tokens * e.hidden;
  return {
    hiddenStates: e.hiddenStates.slice(i * per, (i + 1) * per),
    attentionMask: e.attentionMask.slice(i * e.tokens, (i + 1) * e.tokens),
    batch: 1,
    tokens: e.tokens,
    hidden: e.hidden,
    truncated: [e.truncated[i] ?? false],
  };
}

// Base64 without Buffer; chunked so String.fromCharCode never sees too many arguments.
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  return btoa(binary);
}

export function base64ToBytes(b64: string): Uint8Array {
  let binary: string;
  try {
    binary = atob(b64);
  } catch {
    throw new EmbeddingCodecError('not valid base64');
  }
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
