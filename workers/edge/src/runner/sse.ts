// A minimal Server-Sent Events reader for the runner's /v1/jobs/:id/events:
// yields each event (id, type, data); comments (keep-alives) are reported as
// activity so a stalled stream can be told from a quiet one. A handler that
// answers 'stop' ends the read there (the terminal event): waiting for the
// runner to close the stream would only add its teardown to the job's latency.
export interface SseEvent {
  id: string | undefined;
  event: string;
  data: string;
}

export async function readSse(body: ReadableStream<Uint8Array>, onEvent: (e: SseEvent) => Promise<void | 'stop'> | void | 'stop', onActivity: () => void): Promise<void> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let id: string | undefined;
  let event = '';
  let data: string[] = [];
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      onActivity();
      buffer += value;
      let nl: number;
      while ((nl = buffer.search(/\r\n|\r|\n/)) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + (buffer.startsWith('\r\n', nl) ? 2 : 1));
        if (line === '') {
          if (data.length > 0 && (await onEvent({ id, event: event || 'message', data: data.join('\n') })) === 'stop') {
            await reader.cancel().catch(() => undefined);
            return;
          }
          event = '';
          data = [];
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'data') data.push(value);
        else if (field === 'event') event = value;
        else if (field === 'id') id = value;
      }
    }
  } finally {
    reader.releaseLock();
  }
}
