// A Server-Sent Events reader over fetch. EventSource cannot send an
// Authorization header, so job events are read from a fetch body instead,
// following the WHATWG event-stream parsing rules.
export interface SseMessage {
  event: string;
  data: string;
  id?: string;
}

/** Incremental parser: feed text chunks as they arrive; messages come out complete. */
export function createSseParser(onMessage: (m: SseMessage) => void): { feed(chunk: string): void; end(): void } {
  let buffer = '';
  let event = '';
  let data: string[] = [];
  let id: string | undefined;
  let first = true;

  const dispatch = () => {
    if (data.length > 0) {
      const m: SseMessage = { event: event || 'message', data: data.join('\n') };
      if (id !== undefined) m.id = id;
      onMessage(m);
    }
    event = '';
    data = [];
  };

  const line = (text: string) => {
    if (text === '') return dispatch();
    if (text.startsWith(':')) return;
    const colon = text.indexOf(':');
    const field = colon < 0 ? text : text.slice(0, colon);
    let value = colon < 0 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id' && !value.includes('\0')) id = value;
  };

  return {
    feed(chunk: string) {
      buffer += chunk;
      if (first && buffer.length > 0) {
        if (buffer.charCodeAt(0) === 0xfeff) buffer = buffer.slice(1);
        first = false;
      }
      // A trailing \r may be half of \r\n: keep it until the next chunk.
      for (;;) {
        const m = /\r\n|\r|\n/.exec(buffer);
        if (!m || (m[0] === '\r' && m.index === buffer.length - 1)) break;
        line(buffer.slice(0, m.index));
        buffer = buffer.slice(m.index + m[0].length);
      }
    },
    end() {
      // An unterminated final message is discarded, as the spec says.
      buffer = '';
      event = '';
      data = [];
    },
  };
}

/** Reads an event stream body to its end (or until signal aborts). */
export async function readSse(body: ReadableStream<Uint8Array>, onMessage: (m: SseMessage) => void, signal?: AbortSignal): Promise<void> {
  const parser = createSseParser(onMessage);
  const decoder = new TextDecoder();
  const reader = body.getReader();
  const abort = () => void reader.cancel().catch(() => undefined);
  signal?.addEventListener('abort', abort, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parser.feed(decoder.decode(value, { stream: true }));
    }
  } finally {
    signal?.removeEventListener('abort', abort);
    parser.end();
  }
}
