// The edge API's shapes, taken from the edge itself (workers/edge/src/api/
// schemas.ts via @imagen-ts/edge/client): the same zod schemas the worker
// validates with validate what the notebook receives.
import type { Job, JobImage } from '@imagen-ts/edge/client';

export {
  ErrorBody as errorBodySchema,
  ImageMeta as imageMetaSchema,
  InspectResult as inspectResultSchema,
  Job as jobSchema,
  ModelList as modelListSchema,
  Notebook as notebookSchema,
  NotebookList as notebookListSchema,
  TokenizeResult as tokenizeResultSchema,
} from '@imagen-ts/edge/client';
export type { GenerationRequest, ImageMeta, InspectResult, Job, JobImage, ModelInfo, Notebook, TokenizeResult, UpscaleRequest } from '@imagen-ts/edge/client';

export type JobStatus = Job['status'];
export const terminalStatuses: readonly JobStatus[] = ['succeeded', 'failed', 'canceled'];
export type NotebookSummary = { id: string; title: string; version: number; etag: string; createdAt: string; updatedAt: string };

export interface ProgressEvent {
  stage: string;
  step: number;
  total: number;
  /** a data: URL of the current predicted image */
  preview?: string;
}

/** What the notebook takes from a job's event stream. */
export type JobEvent =
  | { type: 'state'; job: Job }
  | ({ type: 'progress' } & ProgressEvent)
  | { type: 'retry' };

export type { JobImage as EdgeJobImage };
