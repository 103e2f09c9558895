// GET /api/dev-config: the local dev API key and edge URL, for a same-origin
// page on a loopback host only (see lib/dev-config.ts).
import { readFile } from 'node:fs/promises';
import type { DevConfig } from '../../../lib/dev-config.ts';
import { devConfigRefusal } from '../../../lib/dev-config.ts';
import { serverConfig } from '../../../lib/server-config.ts';

export const dynamic = 'force-dynamic';

const noStore = { 'Cache-Control': 'no-store' };

export async function GET(request: Request): Promise<Response> {
  const refusal = devConfigRefusal(request.headers);
  if (refusal) return Response.json({ error: { code: 'forbidden', message: refusal } }, { status: 403, headers: noStore });
  const config = serverConfig();
  const body: DevConfig = { edgeUrl: config.edgeUrl };
  if (config.devKeyFile) {
    const key = await readFile(config.devKeyFile, 'utf8').then((t) => t.trim(), () => '');
    if (key) body.apiKey = key;
  }
  return Response.json(body, { headers: noStore });
}
