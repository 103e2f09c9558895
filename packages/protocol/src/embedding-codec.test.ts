import { describe, expect, it } from 'vitest';
import { base64ToBytes, bytesToBase64, decodeEmbeddings, EmbeddingCodecError, encodeEmbeddings, sliceEmbeddings, type TextEmbeddings } from './embedding-codec.ts';

const encoder = { id: 'enc', sha256: 'a'.repeat(64) };

function sample(batch: number, tokens: number, hidden: number): TextEmbeddings {
  const hiddenStates = new Float32Array(batch * tokens * hidden);
  for (let i = 0; i < hiddenStates.length; i++) hiddenStates[i] = Math.sin(i) * 1e3 + (i % 7 === 0 ? Number.EPSILON : 0);
  hiddenStates[1] = -0;
  const attentionMask = new BigInt64Array(batch * tokens);
  for (let i = 0; i < attentionMask.length; i++) attentionMask[i] = i % tokens < 3 ? 1n : 0n;
  return { hiddenStates, attentionMask, batch, tokens, hidden, truncated: Array.from({ length: batch }, (_, i) => i === 1) };
}

describe('embedding codec', () => {
  it('round-trips bit-exactly, with the documented layout', () => {
    const e = sample(2, 5, 3);
    const bytes = encodeEmbeddings(e, encoder);
    expect(new TextDecoder().decode(bytes.subarray(0, 4))).toBe('IMEB');
    const headerLength = new DataView(bytes.buffer).getUint32(4, true);
    expect((8 + headerLength) % 4).toBe(0);
    expect(bytes.length).toBe(8 + headerLength + 2 * 5 * 3 * 4 + 2 * 5);
    const { header, embeddings } = decodeEmbeddings(bytes);
    expect(header).toEqual({ version: 1, encoderId: 'enc', encoderSha256: encoder.sha256, batch: 2, tokens: 5, hidden: 3, truncated: [false, true] });
    expect(new Uint8Array(embeddings.hiddenStates.buffer)).toEqual(new Uint8Array(e.hiddenStates.buffer));
    expect(embeddings.attentionMask).toEqual(e.attentionMask);
    // through base64 and from an unaligned offset
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(base64ToBytes(bytesToBase64(bytes)), 1);
    expect(decodeEmbeddings(shifted.subarray(1)).embeddings.hiddenStates).toEqual(e.hiddenStates);
  });

  it('slices one prompt out of a batch', () => {
    const e = sample(3, 4, 2);
    const one = sliceEmbeddings(e, 2);
    expect(one.batch).toBe(1);
    expect([...one.hiddenStates]).toEqual([...e.hiddenStates.subarray(16, 24)]);
    expect(one.truncated).toEqual([false]);
  });

  it('rejects malformed blobs with a reason', () => {
    const good = encodeEmbeddings(sample(1, 2, 2), encoder);
    const cases: Array<[Uint8Array, RegExp]> = [
      [new Uint8Array(3), /too short/],
      [new Uint8Array([0x58, 0x58, 0x58, 0x58, 0, 0, 0, 0]), /bad magic/],
      [good.subarray(0, good.length - 1), /header describes/],
      [Uint8Array.from([...good, 0]), /header describes/],
    ];
    const badMask = good.slice();
    badMask[badMask.length - 1] = 7;
    cases.push([badMask, /mask byte 1 is 7/]);
    const hugeLen = good.slice();
    new DataView(hugeLen.buffer).setUint32(4, 1e9, true);
    cases.push([hugeLen, /runs past the end/]);
    for (const [bytes, reason] of cases) expect(() => decodeEmbeddings(bytes)).toThrow(reason);
    expect(() => base64ToBytes('!!')).toThrow(EmbeddingCodecError);
  });
});
