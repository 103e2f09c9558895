// The GPU runner's entry: config → listen (live at once) → load the model →
// warm up → ready. SIGTERM/SIGINT drain; an uncaught error fails every unfinished
// job and exits 1.
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { ConfigError, describeConfig, listenId, loadConfig } from './config.ts';
import { ManifestError, loadManifest } from './manifest/load-manifest.ts';
import { configureCuda } from './runtime/ort.ts';
import { createRunnerService } from './service/app.ts';
import type { ServiceEngine } from './service/engine-port.ts';
import { createLifecycle } from './service/lifecycle.ts';
import { loadEngine, warmUp } from './service/load-engine.ts';
import { createLogger, errorMessage } from './service/log.ts';

function fail(message: string, code = 2): never {
  process.stderr.write(`gpu-runner: ${message}\n`);
  process.exit(code);
}

let config;
try {
  config = loadConfig();
} catch (e) {
  if (e instanceof ConfigError) fail(e.message);
  throw e;
}

const logger = createLogger({ logPrompts: config.logPrompts });
configureCuda({ providerDir: config.cudaProviderDir });

// Fail before listening when there is no model at all, with the fix in the message.
try {
  await loadManifest(config.modelDir, { verify: 'exists' });
} catch (e) {
  if (!(e instanceof ManifestError)) throw e;
  const hint = config.modelDirIsDefault
    ? ' The embedded model (models/embedded) is not there yet: export it (models/README.md), or set RUNNER_MODEL_DIR, e.g. RUNNER_MODEL_DIR=models/fixtures/tiny for a smoke test.'
    : '';
  fail(`no usable model: ${e.message}.${hint}`);
}

logger.log('info', 'starting', describeConfig(config));
const service = createRunnerService(config, { logger, defaultMetrics: true });
let engine: ServiceEngine | undefined;

// Idle keep-alive sockets stay open longer than a client's pool keeps them (workerd,
// undici): with Node's 5 s default, a burst's connections closed here just as the edge
// reused them, and the edge saw "Network connection lost" on healthy runners.
const serverOptions = { keepAliveTimeout: 65_000, headersTimeout: 66_000 };
const server = serve({ fetch: service.app.fetch, hostname: config.host, port: config.port, serverOptions }, (info: AddressInfo) => {
  service.setRunnerId(listenId(config.host, info.port));
  logger.log('info', 'listening', { host: info.address, port: info.port, runnerId: config.runnerId ?? listenId(config.host, info.port) });
  // Machine-readable for supervisors and tests that ask for port 0.
  process.stdout.write(`RUNNER LISTENING ${info.port}\n`);
});

const lifecycle = createLifecycle({
  service,
  logger,
  graceMs: config.shutdownGraceMs,
  closeServer: () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      // idle keep-alive sockets must not hold the exit
      if ('closeIdleConnections' in server) server.closeIdleConnections();
      setTimeout(() => {
        if ('closeAllConnections' in server) server.closeAllConnections();
        resolve();
      }, 2000).unref();
    }),
  disposeEngine: () => engine?.dispose() ?? Promise.resolve(),
  exit: (code) => process.exit(code),
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void lifecycle.shutdown(signal));
process.on('uncaughtException', (e) => void lifecycle.fatal(e));
process.on('unhandledRejection', (e) => void lifecycle.fatal(e));

try {
  const t0 = Date.now();
  engine = await loadEngine(config);
  service.attachEngine(engine);
  logger.log('info', 'model loaded', { model: engine.manifest.id, device: config.device, ms: Date.now() - t0 });
  if (!config.skipWarmup) {
    const t1 = Date.now();
    await warmUp(engine);
    logger.log('info', 'warmed up', { ms: Date.now() - t1 });
  }
  service.markReady();
  logger.log('info', 'ready');
} catch (e) {
  logger.log('error', 'model load failed', { error: errorMessage(e) });
  fail(`could not load the model from ${config.modelDir}: ${errorMessage(e)}`, 1);
}
