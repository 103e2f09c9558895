// The engine's public contract: what a caller (CLI, runner service, bench, eval)
// asks for, and what it gets back. Implemented by createCascade() in ./cascade.ts.
import type { RuntimeFingerprint, StageParams, TextEmbeddings } from '@imagen-ts/protocol';

// What crosses the wire (embeddings, per-stage settings, the runtime fingerprint in
// PNGs and job views) is the protocol's; the engine takes those types as they are.
export type { RuntimeFingerprint, StageParams, TextEmbeddings } from '@imagen-ts/protocol';

export interface GenerateRequest {
  /** the prompt; ignored when `embeddings` is given */
  prompt: string;
  negativePrompt?: string;
  /** precomputed embeddings of [prompt] (batch 1); must equal what encode() returns for the prompt */
  embeddings?: TextEmbeddings;
  /** embeddings of the negative prompt / null prompt (batch 1) */
  negativeEmbeddings?: TextEmbeddings;
  /** uint32; image i of the request uses seed + i (mod 2^32) */
  seed: number;
  /** images per request, ≥ 1 */
  n: number;
  /** the output resolution: the resolution of one of the manifest's stages */
  size: number;
  /** keyed by stage name */
  stages?: Record<string, StageParams>;
  /** visible provenance mark at the bottom right of images ≥ 256 px (default true) */
  mark?: boolean;
  /** upscale instead of generate: start from this RGB image at the input stage's resolution */
  init?: { image: Uint8Array; width: number; height: number; /** the first stage to run (an SR stage) */ fromStage: string };
}

export interface ProgressEvent {
  stage: string;
  stageIndex: number;
  step: number; // 1-based
  totalSteps: number;
  /** optional low-res RGB preview of the current predX0 of image 0 */
  preview?: { width: number; height: number; rgb: Uint8Array };
}

export interface GeneratedImage {
  seed: number;
  width: number;
  height: number;
  /** RGB8, row-major */
  rgb: Uint8Array;
  /** PNG with the `parameters` (AUTOMATIC1111) and `imagen-ts` tEXt chunks */
  png: Uint8Array;
  /** sha256 (hex) of `rgb`, the pixels with the mark: stable when only the PNG metadata changes */
  sha256: string;
}

export interface GenerateResult {
  images: GeneratedImage[];
  truncated: boolean;
  timings: { encodeMs: number; stagesMs: Record<string, number>; totalMs: number };
  fingerprint: RuntimeFingerprint;
}

export interface GenerateOptions {
  onProgress?: (e: ProgressEvent) => void;
  signal?: AbortSignal;
  /** emit a preview every k steps (0 = never) */
  previewEvery?: number;
}
