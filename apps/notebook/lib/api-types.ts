// The edge API's shapes, from the wire protocol (packages/protocol, re-exported by
// @imagen-ts/edge/client): the same zod schemas the worker validates with
// validate what the notebook receives.
import { terminalStatuses as protocolTerminalStatuses, type JobProgressEvent, type JobStatus } from '@imagen-ts/protocol';
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

export type { JobStatus };
export const terminalStatuses: readonly JobStatus[] = protocolTerminalStatuses;
export type NotebookSummary = { id: string; title: string; version: number; etag: string; createdAt: string; updatedAt: string };

/** a job's `progress` event (the preview is a data: URL of the current predicted image) */
export type ProgressEvent = JobProgressEvent;

/** What the notebook takes from a job's event stream. */
export type JobEvent =
  | { type: 'state'; job: Job }
  | ({ type: 'progress' } & ProgressEvent)
  | { type: 'retry' };

export type { JobImage as EdgeJobImage };
