// The real engine (the cascade on onnxruntime-node) behind the service's port.
import type { RunnerConfig } from '../config.ts';
import { createCascade } from '../engine/cascade.ts';
import type { GenerateRequest } from '../engine/types.ts';
import type { ServiceEngine } from './engine-port.ts';

export async function loadEngine(config: Pick<RunnerConfig, 'modelDir' | 'device' | 'threads' | 'embeddingCacheSize'>): Promise<ServiceEngine> {
  const cascade = await createCascade({
    modelDir: config.modelDir,
    device: config.device,
    embeddingCacheSize: config.embeddingCacheSize,
    ...(config.threads !== undefined ? { threads: config.threads } : {}),
  });
  return {
    manifest: cascade.manifest,
    fingerprint: cascade.fingerprint,
    textEncoderRuns: () => cascade.stats().textEncoderRuns,
    encode: (prompts) => cascade.encode(prompts),
    inspectPrompt: (prompt) => cascade.inspectPrompt(prompt),
    async generateBatch(items) {
      // The cascade settles each item on its own (an aborted one rejects at its next step).
      const settled = await Promise.allSettled(cascade.generateBatch(items));
      return settled.map((s) => (s.status === 'fulfilled' ? { ok: true as const, result: s.value } : { ok: false as const, error: s.reason as unknown }));
    },
    dispose: () => cascade.dispose(),
  };
}

/** one tiny run through the encoder and the base stage, so the first real job does not pay for lazy initialisation */
export async function warmUp(engine: ServiceEngine): Promise<void> {
  const base = engine.manifest.stages[0];
  if (!base) return;
  await engine.encode(['']);
  const request: GenerateRequest = { prompt: '', seed: 0, n: 1, size: base.resolution, mark: false, stages: { [base.name]: { steps: 1 } } };
  const [outcome] = await engine.generateBatch([{ request, options: {} }]);
  if (outcome && !outcome.ok) throw outcome.error instanceof Error ? outcome.error : new Error(String(outcome.error));
}
