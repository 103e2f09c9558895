import { describe, expect, it } from 'vitest';
import { Manifest } from './schema.ts';

const sha = 'a'.repeat(64);
const stage = (name: string, resolution: number, lowRes?: object) => ({
  name,
  resolution,
  onnx: `${name}.onnx`,
  sha256: sha,
  prediction: 'eps',
  schedule: { type: 'cosine', trainSteps: 1000 },
  defaults: { sampler: 'dpmpp-2m', steps: 20, guidance: 5 },
  thresholding: { type: 'dynamic', percentile: 0.995 },
  ...(lowRes ? { lowRes } : {}),
});
const manifest = (stages: object[]) => ({
  schemaVersion: 1,
  id: 'm',
  name: 'm',
  textEncoder: { id: 'enc', tokenizer: 'tokenizer.json', onnx: 'enc.onnx', sha256: sha, maxTokens: 16, hiddenSize: 8, nullPrompt: 'empty-prompt' },
  stages,
});

describe('Manifest schema', () => {
  it('accepts a three-stage cascade and fills the ONNX contract names', () => {
    const m = Manifest.parse(
      manifest([
        stage('base', 64),
        stage('sr256', 256, { fromStage: 'base', noiseAugmentation: 100 }),
        stage('sr1024', 1024, { fromStage: 'sr256', noiseAugmentation: 0 }),
      ]),
    );
    expect(m.stages[1]?.inputNames.noiseLevel).toBe('noise_level');
    expect(m.stages[1]?.lowRes?.resize).toBe('bicubic');
    expect(m.stages[1]?.lowRes?.alignCorners).toBe(false);
    expect(m.textEncoder.outputName).toBe('last_hidden_state');
  });

  it('names the offending field when a stage is out of order', () => {
    const r = Manifest.safeParse(manifest([stage('base', 64), stage('sr', 32, { fromStage: 'base', noiseAugmentation: 1 })]));
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path.join('.'))).toContain('stages.1.resolution');
  });

  it('rejects paths that escape the model folder', () => {
    const m = manifest([stage('base', 64)]);
    (m.stages[0] as { onnx: string }).onnx = '../../etc/passwd';
    expect(Manifest.safeParse(m).success).toBe(false);
  });
});
