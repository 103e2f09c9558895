// Public API of @imagen-ts/gpu-runner: the cascade engine and what callers need
// around it (manifest loading, errors, PNG helpers). Deep imports
// (@imagen-ts/gpu-runner/engine/…) stay available for internals.
export { createCascade, ENGINE_VERSION } from './engine/cascade.ts';
export type { BatchItem, Cascade, CascadeOptions, ModelCallEvent } from './engine/cascade.ts';
export type {
  GeneratedImage,
  GenerateOptions,
  GenerateRequest,
  GenerateResult,
  ProgressEvent,
  RuntimeFingerprint,
  StageParams,
  TextEmbeddings,
} from './engine/types.ts';
export { GenerationAbortedError, RequestError } from './engine/errors.ts';
export { LIMITS, planRequest } from './engine/validate.ts';
export type { RequestPlan, StagePlan } from './engine/validate.ts';
export { loadManifest, ManifestError, sha256File } from './manifest/load-manifest.ts';
export type { LoadedManifest, LoadManifestOptions } from './manifest/load-manifest.ts';
export { Manifest, samplerNames } from './manifest/schema.ts';
export type { SamplerName, Stage } from './manifest/schema.ts';
export { RuntimeError, ortVersion } from './runtime/ort.ts';
export type { Device, RuntimeErrorCode } from './runtime/ort.ts';
export { stackEmbeddings } from './text/text-encoder.ts';
export { resizePlanes } from './image/resize.ts';
export type { ResizeMode } from './image/resize.ts';
export { decodePngRgb, encodePng, readPngMetadata } from './png/index.ts';
