import { describe, expect, it } from 'vitest';
import type { SseMessage } from './sse.ts';
import { createSseParser, readSse } from './sse.ts';

function parse(chunks: string[]): SseMessage[] {
  const out: SseMessage[] = [];
  const p = createSseParser((m) => out.push(m));
  for (const c of chunks) p.feed(c);
  p.end();
  return out;
}

describe('SSE parser', () => {
  it('parses named events, multi-line data, ids and comments', () => {
    const text = ': keep-alive\n\nevent: progress\nid: 3\ndata: {"step":1,\ndata: "total":2}\n\ndata:plain\n\n';
    expect(parse([text])).toEqual([
      { event: 'progress', id: '3', data: '{"step":1,\n"total":2}' },
      { event: 'message', id: '3', data: 'plain' },
    ]);
  });

  it('handles any chunking, CRLF split across chunks, and drops an unterminated tail', () => {
    const text = '\ufeffevent: started\r\ndata: {}\r\n\r\nevent: completed\r\ndata: {"ok":true}\r\n\r\nevent: x\ndata: lost';
    const whole = parse([text]);
    expect(whole).toEqual([
      { event: 'started', data: '{}' },
      { event: 'completed', data: '{"ok":true}' },
    ]);
    for (let cut = 1; cut < text.length; cut++) expect(parse([text.slice(0, cut), text.slice(cut)])).toEqual(whole);
  });

  it('reads a byte stream', async () => {
    const bytes = new TextEncoder().encode('event: queued\ndata: {"position":2}\n\n');
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(bytes.slice(0, 5));
        c.enqueue(bytes.slice(5));
        c.close();
      },
    });
    const out: SseMessage[] = [];
    await readSse(body, (m) => out.push(m));
    expect(out).toEqual([{ event: 'queued', data: '{"position":2}' }]);
  });
});
