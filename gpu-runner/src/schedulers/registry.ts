// Scheduler registry: the manifest/request names a sampler, the engine swaps schedulers by name.
import type { SamplerName } from '../manifest/schema.ts';
import { createDdimScheduler } from './ddim.ts';
import { createDdpmScheduler } from './ddpm.ts';
import { createDpmSolverScheduler } from './dpm-solver.ts';
import type { CreateScheduler, Scheduler, SchedulerConfig } from './scheduler.ts';

export const schedulerFactories: Readonly<Record<SamplerName, CreateScheduler>> = {
  ddpm: createDdpmScheduler,
  ddim: createDdimScheduler,
  'dpmpp-2m': createDpmSolverScheduler,
};

export function createScheduler(name: SamplerName, config: SchedulerConfig): Scheduler {
  const factory = Object.hasOwn(schedulerFactories, name) ? schedulerFactories[name] : undefined;
  if (!factory) throw new RangeError(`sampler must be one of ${Object.keys(schedulerFactories).map((k) => `"${k}"`).join(', ')}, got ${JSON.stringify(name)}`);
  return factory(config);
}
