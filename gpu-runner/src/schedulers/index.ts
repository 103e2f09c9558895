export type { CreateScheduler, Prediction, Scheduler, SchedulerConfig, StepInput, TimestepSpacing } from './scheduler.ts';
export { createNoiseSchedule, alphaBarAt } from './noise-schedule.ts';
export type { NoiseScheduleTable } from './noise-schedule.ts';
export { ddpmTimesteps, dpmSolverTimesteps } from './timesteps.ts';
export { createDdpmScheduler } from './ddpm.ts';
export { createDdimScheduler } from './ddim.ts';
export { createDpmSolverScheduler } from './dpm-solver.ts';
export { createScheduler, schedulerFactories } from './registry.ts';
