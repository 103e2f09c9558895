import { readFileSync } from 'node:fs';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadManifest, ManifestError } from '../../gpu-runner/src/manifest/load-manifest.ts';
import { Manifest } from '../../gpu-runner/src/manifest/schema.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const raw: unknown = JSON.parse(readFileSync(join(here, 'manifest.json'), 'utf8'));

describe('DeepFloyd IF manifest', () => {
  it('validates against the cascade schema', () => {
    const r = Manifest.safeParse(raw);
    expect(r.success, JSON.stringify(r.error?.issues)).toBe(true);
  });

  it("carries IF's published settings (diffusers IFPipeline, IFSuperResolutionPipeline, convert_if.py)", () => {
    const m = Manifest.parse(raw);
    expect(m.textEncoder).toMatchObject({ maxTokens: 77, hiddenSize: 4096, nullPrompt: 'empty-prompt' });
    const [one, two] = m.stages;
    expect(m.stages).toHaveLength(2);
    expect(one).toMatchObject({
      resolution: 64,
      prediction: 'eps-learned-range',
      schedule: { type: 'cosine', trainSteps: 1000, offset: 0.008 },
      defaults: { sampler: 'ddpm', steps: 100, guidance: 7 },
      thresholding: { type: 'dynamic', percentile: 0.95, maxScale: 1.5 },
    });
    expect(two).toMatchObject({
      resolution: 256,
      prediction: 'eps-learned-range',
      defaults: { sampler: 'ddpm', steps: 50, guidance: 4 },
      thresholding: { type: 'dynamic', percentile: 0.95, maxScale: 1 },
      lowRes: { fromStage: 'base64', resize: 'bilinear', noiseAugmentation: 250, augmentationSchedule: { type: 'cosine', trainSteps: 1000 } },
    });
  });

  it('without weights, the loader names every missing file', async () => {
    // a copy of the manifest alone, so converted weights next to the real one cannot change the outcome
    const dir = await mkdtemp(join(tmpdir(), 'if-manifest-'));
    try {
      await copyFile(join(here, 'manifest.json'), join(dir, 'manifest.json'));
      const err = await loadManifest(dir).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ManifestError);
      expect((err as ManifestError).code).toBe('MODEL_FILE_MISSING');
      for (const f of ['tokenizer.json', 'text-encoder.onnx', 'if-i-xl.onnx', 'if-ii-l.onnx']) expect((err as Error).message).toContain(f);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
