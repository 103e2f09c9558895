// Process lifecycle: SIGTERM drain and the crash path. Kept apart from server.ts
// so tests can drive it with a fake exit.
import type { RunnerService } from './app.ts';
import { errorMessage, type Logger } from './log.ts';

export interface Lifecycle {
  /** graceful: stop accepting, finish or fail running jobs within the grace period, report, exit 0 */
  shutdown(signal: string): Promise<void>;
  /** an uncaught error: mark every unfinished job failed, report briefly, exit 1 */
  fatal(error: unknown): Promise<void>;
}

export interface LifecycleOptions {
  service: RunnerService;
  logger: Logger;
  graceMs: number;
  /** closes the HTTP server (after the drain) */
  closeServer?: () => Promise<void>;
  disposeEngine?: () => Promise<void>;
  exit: (code: number) => void;
}

export function createLifecycle(o: LifecycleOptions): Lifecycle {
  let ending = false;
  return {
    async shutdown(signal) {
      if (ending) return;
      ending = true;
      o.logger.log('info', 'shutting down', { signal, graceMs: o.graceMs });
      try {
        await o.service.shutdown(o.graceMs);
        await o.closeServer?.();
        await o.disposeEngine?.();
        o.logger.log('info', 'stopped', { signal });
        o.exit(0);
      } catch (e) {
        o.logger.log('error', 'shutdown failed', { error: errorMessage(e) });
        o.exit(1);
      }
    },
    async fatal(error) {
      o.logger.log('error', 'fatal error; failing unfinished jobs', { error: errorMessage(error), stack: error instanceof Error ? error.stack : undefined });
      ending = true;
      try {
        o.service.failAll('runner_crashed', 'the runner crashed while the job was unfinished; resubmit');
        await o.service.callbacks.flush(2000);
      } finally {
        o.exit(1);
      }
    },
  };
}
