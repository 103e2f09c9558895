// The platform floor (npm run floor:platform): each route does one kind of durable
// write an edge job needs, with none of the edge's own code around it.
import { DurableObject } from 'cloudflare:workers';

interface FloorEnv {
  JOBS: DurableObjectNamespace<FloorObject>;
  IMAGES: R2Bucket;
  DB: D1Database;
}

export class FloorObject extends DurableObject<FloorEnv> {
  /** one durable record write, as a job object makes per state */
  async write(state: string): Promise<void> {
    this.ctx.storage.kv.put('job', { state, at: Date.now() });
    await this.ctx.storage.sync();
  }
}

// a 64 px PNG is ~10 KiB; incompressible bytes of that size (random values are not
// allowed at a worker's global scope: a fixed xorshift stream instead)
const png = new Uint8Array(10_240);
for (let i = 0, x = 0x9e3779b9; i < png.length; i++) {
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  png[i] = x & 0xff;
}

async function row(env: FloorEnv, id: string): Promise<void> {
  await env.DB.prepare('INSERT INTO images (id, at) VALUES (?, ?)').bind(id, Date.now()).run();
}

export default {
  async fetch(request: Request, env: FloorEnv): Promise<Response> {
    const { pathname } = new URL(request.url);
    const id = crypto.randomUUID();
    const job = () => env.JOBS.get(env.JOBS.idFromName(id));
    switch (pathname) {
      case '/setup':
        await env.DB.exec('CREATE TABLE IF NOT EXISTS images (id TEXT PRIMARY KEY, at INTEGER NOT NULL)');
        break;
      case '/health':
      case '/noop':
        break;
      case '/object':
        await job().write('queued');
        break;
      case '/r2':
        await env.IMAGES.put(id, png);
        break;
      case '/d1':
        await row(env, id);
        break;
      case '/job': {
        // a job's durable writes, in the edge's order: created, running, then image and row together, then succeeded
        const o = job();
        await o.write('queued');
        await o.write('running');
        await Promise.all([env.IMAGES.put(id, png), row(env, id)]);
        await o.write('succeeded');
        break;
      }
      default:
        return new Response('not found', { status: 404 });
    }
    return new Response('ok');
  },
};
