// Errors the engine raises on purpose; each carries a stable `code` the
// service maps to a status (INVALID_REQUEST → 400, ABORT_ERR → 499/cancelled).

export class RequestError extends Error {
  readonly code = 'INVALID_REQUEST';
  /** dotted path of the offending field, e.g. "stages.sr256.steps" */
  readonly field: string;
  constructor(field: string, message: string) {
    super(`invalid request: ${field}: ${message}`);
    this.name = 'RequestError';
    this.field = field;
  }
}

/** Like DOMException's AbortError (name 'AbortError', code 'ABORT_ERR'), plus where it stopped. */
export class GenerationAbortedError extends Error {
  readonly code = 'ABORT_ERR';
  readonly stage: string;
  /** steps of `stage` completed before stopping */
  readonly step: number;
  constructor(stage: string, step: number, reason?: unknown) {
    super(`generation aborted in stage "${stage}" after step ${step}${reason instanceof Error ? `: ${reason.message}` : typeof reason === 'string' ? `: ${reason}` : ''}`, {
      cause: reason,
    });
    this.name = 'AbortError';
    this.stage = stage;
    this.step = step;
  }
}
