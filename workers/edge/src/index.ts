// The worker's entry: the API app and the Durable Object classes it binds.
import { createApp } from './app.ts';

export { JobObject } from './jobs/job-object.ts';
export { RateLimiterObject } from './rate-limiter.ts';

const app = createApp();

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
} satisfies ExportedHandler<Env>;
