// The engine's public contract: what a caller (CLI, runner service, bench, eval)
// asks for, and what it gets back. Implemented by createCascade() in ./cascade.ts.
import type { ImagenPngInfo, RuntimeFingerprint, StageParams, TextEmbeddings } from '@imagen-ts/protocol';

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
  init?: {
    image: Uint8Array;
    width: number;
    height: number;
    /** the first stage to run (an SR stage) */
    fromStage: string;
    /** the init image's own `imagen-ts` metadata, when it had any: the output's PNG records it as its lineage */
    parent?: ImagenPngInfo;
  };
}

export interface ProgressEvent {
  stage: string;
  stageIndex: number;
  step: number; // 1-based
  totalSteps: number;
  /** optional low-res RGB preview of the current predX0 of image 0 (= previews[0]) */
  preview?: { width: number; height: number; rgb: Uint8Array };
  /** the same for every image of the request, in order (64 px on the base stage, up to 128 px on SR stages) */
  previews?: { width: number; height: number; rgb: Uint8Array }[];
}

export interface GeneratedImage {
  seed: number;
  width: number;
  height: number;
  /** RGB8, row-major */
  rgb: Uint8Array;
  /** PNG with the `parameters` (AUTOMATIC1111) and `imagen-ts` tEXt chunks */
  png: Uint8Array;
  /** pixel hash (hex, PIXEL_HASH_ALGORITHM) of `rgb`, the pixels with the mark: stable when only the PNG metadata changes */
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

/**
 * Where a request's time goes outside the U-Net calls (those are CascadeOptions.onModelCall): what the bench's
 * time budget adds up. `text`: text encoder (or cache); `noise`: x_T, low-res ε and sampler noise (including the wait
 * for noise drawn ahead) and the noise augmentation; `resize`: the low-res input to the stage's resolution;
 * `prepare`: a stage's text rows, row copies and bound calls; `guidance`: guidance, x0, thresholding, the scheduler
 * step and the uncond rows' x_t copy; `progress`: progress events and previews; `handoff`: a stage's output
 * clamped, copied out and split among requests; `pixels`: float planes → RGB8; `png`: mark, metadata, PNG
 * encoding and the pixel hash.
 */
export type Phase = 'text' | 'noise' | 'resize' | 'prepare' | 'guidance' | 'progress' | 'handoff' | 'pixels' | 'png';

export interface PhaseEvent {
  phase: Phase;
  /** the stage it belongs to; null for text, pixels and png */
  stage: string | null;
  ms: number;
}
