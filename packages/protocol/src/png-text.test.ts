import { crc32 as nodeCrc32, deflateSync } from 'node:zlib';
import { encode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { crc32, frameChunk, insertAfterIhdr, maxInflatedTextBytes, readTextChunks } from './png-text.ts';

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

  it('stops a compressed chunk that inflates past the byte budget (a zip bomb), without buffering it', async () => {
    const bomb = new Uint8Array(maxInflatedTextBytes + 1).fill(0x41);
    const png = insertAfterIhdr(blank(), [zTXt('Comment', bomb)]);
    expect(png.length).toBeLessThan(10_000);
    await expect(readTextChunks(png)).rejects.toThrow(/budget/);
  });

  it('counts the budget over all compressed chunks of one PNG', async () => {
    const half = new Uint8Array(Math.ceil(maxInflatedTextBytes / 2) + 1).fill(0x42);
    const png = insertAfterIhdr(blank(), [zTXt('a', half), zTXt('b', half)]);
    await expect(readTextChunks(png)).rejects.toThrow(/budget/);
  });

  it('names a corrupt compressed chunk', async () => {
    const data = new Uint8Array([...latin1('k'), 0, 0, 1, 2, 3, 4]);
    await expect(readTextChunks(insertAfterIhdr(blank(), [frameChunk('zTXt', data)]))).rejects.toThrow(/zTXt chunk does not inflate/);
  });
});
