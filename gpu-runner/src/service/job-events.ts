// GET /v1/jobs/:id/events: the job's event log as Server-Sent Events. Every event
// carries its id, so a client reconnecting with Last-Event-ID gets only what it
// missed; the stream ends after the terminal event.
import { isTerminalStatus, runnerKeepAliveSeconds } from '@imagen-ts/protocol';
import type { Context } from 'hono';
import { streamSSE, type SSEStreamingApi } from 'hono/streaming';
import { isTerminal, type Job, type JobEvent, type JobStore } from './job-store.ts';

const keepAliveMs = runnerKeepAliveSeconds * 1000;

export function jobEventStream(c: Context, store: JobStore, job: Job, afterId: number): Response {
  return streamSSE(c, async (stream) => {
    let writing = Promise.resolve();
    const send = (e: JobEvent): void => {
      writing = writing.then(() => (stream.aborted ? undefined : write(stream, e)));
    };
    for (const e of job.events) if (e.id > afterId) send(e);
    if (!isTerminal(job)) {
      await new Promise<void>((resolve) => {
        const unsubscribe = store.subscribe(job, (e) => {
          send(e);
          if (isTerminalStatus(e.type)) done();
        });
        const timer = setInterval(() => {
          writing = writing.then(() => (stream.aborted ? undefined : stream.write(': keep-alive\n\n').then(() => undefined)));
        }, keepAliveMs);
        function done(): void {
          clearInterval(timer);
          unsubscribe();
          resolve();
        }
        stream.onAbort(done);
      });
    }
    await writing;
  });
}

async function write(stream: SSEStreamingApi, e: JobEvent): Promise<void> {
  await stream.writeSSE({ id: String(e.id), event: e.type, data: JSON.stringify(e.data) });
}
