// A webhook receiver behind the same outboundService as the fake runner: every
// fetch to https://hooks.test/<path> lands here. It keeps each delivery's headers
// and raw body (so the tests verify signatures in workerd with the client's own
// verifyWebhook()), and answers 503 to the first N deliveries of a path when the
// URL says ?fail=N, 204 after that.

export interface ReceivedWebhook {
  path: string;
  headers: Record<string, string>;
  body: string;
  /** what the receiver answered */
  status: number;
  /** ms since the epoch, on the Node side */
  at: number;
}

export const webhookHost = 'hooks.test';
const received: ReceivedWebhook[] = [];

export async function receiveWebhook(request: Request): Promise<Response> {
  const url = new URL(request.url);
  const body = await request.text();
  const before = received.filter((r) => r.path === url.pathname).length;
  const status = before < Number(url.searchParams.get('fail') ?? '0') ? 503 : 204;
  received.push({ path: url.pathname, headers: Object.fromEntries(request.headers), body, status, at: Date.now() });
  return status === 204 ? new Response(null, { status }) : new Response('receiver down', { status });
}

/** GET /__control/webhooks?path=/x: what that path received, in order */
export function receivedWebhooks(url: URL): Response {
  const path = url.searchParams.get('path');
  return Response.json(received.filter((r) => r.path === path));
}
