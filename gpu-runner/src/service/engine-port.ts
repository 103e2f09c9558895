// What the service needs from the engine. The real one is the cascade
// (../engine/cascade.ts, adapted in ./load-engine.ts); unit tests of routing and
// validation inject a fake (./testing/fake-engine.ts).
import type { PromptInspection } from '@imagen-ts/protocol';
import type { GenerateOptions, GenerateRequest, GenerateResult, RuntimeFingerprint, TextEmbeddings } from '../engine/types.ts';
import type { Manifest } from '../manifest/schema.ts';

export interface BatchItem {
  request: GenerateRequest;
  options: GenerateOptions;
}

/** per item: its result, or the error that ended it (an aborted item ends with an AbortError) */
export type BatchOutcome = { ok: true; result: GenerateResult } | { ok: false; error: unknown };

export interface ServiceEngine {
  readonly manifest: Manifest;
  /** engine and ORT versions, provider, PRNG, model and file hashes */
  readonly fingerprint: RuntimeFingerprint;
  encode(prompts: string[]): Promise<TextEmbeddings>;
  /** the model's tokenizer on one prompt: tokens, truncation, unknown words */
  inspectPrompt(prompt: string): PromptInspection;
  /** items share ONNX calls; one item's abort or failure must not end the others */
  generateBatch(items: BatchItem[]): Promise<BatchOutcome[]>;
  /** text-encoder runs so far (prompts found in the engine's embedding cache do not run it) */
  textEncoderRuns(): number;
  dispose(): Promise<void>;
}
