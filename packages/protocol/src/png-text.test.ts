import { crc32 as nodeCrc32, deflateSync } from 'node:zlib';
import { encode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { crc32, frameChunk, insertAfterIhdr, maxChunkTextBytes, maxFileTextBytes, PngTextError, readTextChunks, textChunk } from './png-text.ts';

const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const blank = () => encode({ width: 1, height: 1, data: new Uint8Array(3), channels: 3, depth: 8 });

function zTXt(keyword: string, text: Uint8Array): Uint8Array {
  const z = deflateSync(text);
  const data = new Uint8Array(keyword.length + 2 + z.length);
  data.set(latin1(keyword), 0);
  data.set(z, keyword.length + 2); // NUL, then compression method 0
  return frameChunk('zTXt', data);
}

describe('PNG text chunks on Web APIs', () => {
  it('computes the CRC-32 zlib computes', () => {
    for (const bytes of [new Uint8Array(0), latin1('IEND'), Uint8Array.from({ length: 1000 }, (_, i) => (i * 31) & 255)]) expect(crc32(bytes)).toBe(nodeCrc32(bytes));
  });

  it('inflates zTXt with DecompressionStream', async () => {
    const png = insertAfterIhdr(blank(), [zTXt('Comment', latin1('hello, zTXt'))]);
    expect(await readTextChunks(png)).toEqual({ Comment: 'hello, zTXt' });
  });

  it('stops a compressed chunk that inflates past the per-chunk limit (a zip bomb), without buffering it, naming the chunk', async () => {
    const bomb = new Uint8Array(maxChunkTextBytes + 1).fill(0x41);
    const png = insertAfterIhdr(blank(), [zTXt('Comment', bomb)]);
    expect(png.length).toBeLessThan(10_000);
    const err = await readTextChunks(png).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PngTextError);
    expect(err).toMatchObject({ reason: 'too_large', chunk: { type: 'zTXt', keyword: 'Comment', offset: 33 } });
    expect((err as Error).message).toBe(`PNG zTXt chunk "Comment" at byte 33: its text passes the ${maxChunkTextBytes}-byte limit per chunk`);
    // exactly the limit is fine
    expect((await readTextChunks(insertAfterIhdr(blank(), [zTXt('Comment', bomb.subarray(1))])))['Comment']).toHaveLength(maxChunkTextBytes);
  });

  it('holds uncompressed tEXt and iTXt to the same per-chunk limit', async () => {
    for (const value of ['a'.repeat(maxChunkTextBytes + 1), '\u00e9\u4e00'.repeat(maxChunkTextBytes / 4) + 'x']) {
      const err = await readTextChunks(insertAfterIhdr(blank(), [textChunk('parameters', value)])).catch((e: unknown) => e);
      expect(err).toMatchObject({ reason: 'too_large', chunk: { keyword: 'parameters' } });
      expect((err as Error).message).toMatch(/per chunk/);
    }
  });

  it('counts all text chunks of one PNG against the per-file limit, and names the chunk that passes it', async () => {
    const full = new Uint8Array(maxChunkTextBytes).fill(0x42);
    const chunks = Array.from({ length: maxFileTextBytes / maxChunkTextBytes }, (_, i) => (i % 2 === 0 ? zTXt(`k${i}`, full) : textChunk(`k${i}`, 'b'.repeat(maxChunkTextBytes))));
    expect(Object.keys(await readTextChunks(insertAfterIhdr(blank(), chunks)))).toHaveLength(4);
    const err = await readTextChunks(insertAfterIhdr(blank(), [...chunks, textChunk('one-more', 'x')])).catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'too_large', chunk: { type: 'tEXt', keyword: 'one-more' } });
    expect((err as Error).message).toMatch(new RegExp(`${maxFileTextBytes}-byte limit for all text of one PNG`));
  });

  it('names a corrupt compressed chunk', async () => {
    const data = new Uint8Array([...latin1('k'), 0, 0, 1, 2, 3, 4]);
    await expect(readTextChunks(insertAfterIhdr(blank(), [frameChunk('zTXt', data)]))).rejects.toThrow(/^corrupt PNG: zTXt chunk "k" at byte 33 does not inflate/);
  });
});
