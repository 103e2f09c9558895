// The engine's side of PNG metadata: an engine request as the `imagen-ts` chunk's
// JSON request. The chunk's schema, the infotext and the reader are the protocol's
// (re-exported from ./index.ts).
import type { JsonRequest } from '@imagen-ts/protocol';
import type { GenerateRequest } from '../engine/types.ts';

export function jsonRequest(req: GenerateRequest): JsonRequest {
  const out: JsonRequest = { prompt: req.prompt, seed: req.seed, n: req.n, size: req.size };
  if (req.negativePrompt !== undefined) out.negativePrompt = req.negativePrompt;
  if (req.stages !== undefined) out.stages = req.stages;
  if (req.mark !== undefined) out.mark = req.mark;
  if (req.embeddings !== undefined) out.embeddings = true;
  if (req.init) out.init = { width: req.init.width, height: req.init.height, fromStage: req.init.fromStage };
  return out;
}
