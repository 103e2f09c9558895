// POST /v1/images/inspect against the attack run's payloads (issue 15): a zip bomb,
// oversized text, a long colon-less `parameters` line. Each answers quickly with a
// clear status; text past a budget is 413 naming the chunk.
import { frameChunk, insertAfterIhdr, maxChunkTextBytes, maxFileTextBytes, PNG_SIGNATURE, readChunks, TEXT_CHUNK_TYPES, textChunk } from '@imagen-ts/protocol';
import { describe, expect, it } from 'vitest';
import { call, createKey } from './helpers.ts';

interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

/** the fake runner's A1111 PNG without its text chunks */
async function basePng(): Promise<Uint8Array> {
  const png = new Uint8Array(await (await fetch('http://control.test/__control/a1111.png')).arrayBuffer());
  const kept = readChunks(png).filter((c) => !TEXT_CHUNK_TYPES.has(c.type));
  return new Uint8Array(await new Blob([PNG_SIGNATURE, ...kept.map((c) => frameChunk(c.type, c.data))]).arrayBuffer());
}

/** a zTXt chunk whose text is `bytes` zero-filled bytes, deflated in 1 MiB pieces (never held whole) */
async function zeroZtxt(keyword: string, bytes: number): Promise<Uint8Array> {
  const piece = new Uint8Array(1 << 20).fill(0x41);
  const cs = new CompressionStream('deflate');
  const writer = cs.writable.getWriter();
  const written = (async () => {
    for (let left = bytes; left > 0; left -= piece.length) await writer.write(left >= piece.length ? piece : piece.subarray(0, left));
    await writer.close();
  })();
  const z = new Uint8Array(await new Response(cs.readable).arrayBuffer());
  await written;
  const data = new Uint8Array(keyword.length + 2 + z.length);
  data.set(new TextEncoder().encode(keyword), 0);
  data.set(z, keyword.length + 2); // NUL, then compression method 0
  return frameChunk('zTXt', data);
}

async function inspect(key: string, png: Uint8Array): Promise<{ res: Response; ms: number }> {
  const t0 = Date.now();
  const res = await call('/v1/images/inspect', { method: 'POST', key, body: png, headers: { 'Content-Type': 'image/png' } });
  await res.clone().arrayBuffer();
  return { res, ms: Date.now() - t0 };
}

describe('inspect within byte budgets', () => {
  it('a 100 MiB zip bomb in a small upload is 413 naming the chunk, without inflating it', async () => {
    const { key } = await createKey();
    const png = insertAfterIhdr(await basePng(), [await zeroZtxt('Comment', 100 << 20)]);
    expect(png.length).toBeLessThan(200_000);
    const { res, ms } = await inspect(key, png);
    expect(res.status).toBe(413);
    const { error } = await res.json<ErrorBody>();
    expect(error).toMatchObject({ code: 'png_text_too_large', field: 'file' });
    expect(error.message).toBe(`file: PNG zTXt chunk "Comment" at byte 33: its text passes the ${maxChunkTextBytes}-byte limit per chunk`);
    expect(ms).toBeLessThan(3000);
  });

  it('uncompressed text over 1 MiB in one chunk, or over 4 MiB in all, is 413 naming the chunk', async () => {
    const { key } = await createKey();
    const big = await inspect(key, insertAfterIhdr(await basePng(), [textChunk('parameters', 'x'.repeat(maxChunkTextBytes + 1))]));
    expect(big.res.status).toBe(413);
    expect((await big.res.json<ErrorBody>()).error.message).toMatch(/tEXt chunk "parameters" at byte 33: .*limit per chunk/);

    const chunks = Array.from({ length: maxFileTextBytes / maxChunkTextBytes + 1 }, (_, i) => textChunk(`part${i}`, 'y'.repeat(maxChunkTextBytes)));
    const many = await inspect(key, insertAfterIhdr(await basePng(), chunks));
    expect(many.res.status).toBe(413);
    expect((await many.res.json<ErrorBody>()).error.message).toMatch(new RegExp(`chunk "part4" at byte \\d+: its text passes the ${maxFileTextBytes}-byte limit for all text of one PNG`));
  });

  it('a 1 MiB colon-less parameters line (quadratic for the old pattern) is read in linear time', async () => {
    const { key } = await createKey();
    const text = `a prompt\n${'a'.repeat(maxChunkTextBytes - 9)}`;
    const { res, ms } = await inspect(key, insertAfterIhdr(await basePng(), [textChunk('parameters', text)]));
    expect(res.status).toBe(200);
    const body = await res.json<{ source: string; parameters: { prompt: string; params: Record<string, string> } }>();
    expect(body.source).toBe('a1111');
    expect(body.parameters.prompt).toHaveLength(maxChunkTextBytes);
    expect(body.parameters.params).toEqual({});
    // the old pattern took 2.6 s for 64 k letters; 16× that text must stay far under it
    expect(ms).toBeLessThan(2000);
  });
});
