// GET /v1/model and POST /v1/jobs' negativeEmbeddings, in-process on the FAKE engine
// (routing and validation only; runner-process.test.ts checks the real cascade's
// pixels and encoder runs).
import { describe, expect, it } from 'vitest';
import type { TextEmbeddings } from '../engine/types.ts';
import { Manifest } from '../manifest/schema.ts';
import { bytesToBase64, encodeEmbeddings } from '@imagen-ts/protocol';
import { ApiError } from './errors.ts';
import { RunnerJobRequest } from '@imagen-ts/protocol';
import { resolveJob } from './job-request.ts';
import { modelSummary } from './model-summary.ts';
import { fixtureManifest } from './testing/fake-engine.ts';
import { createFakeService, signedInit, testConfig, waitForJob } from './testing/harness.ts';

interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

const te = fixtureManifest.textEncoder;
const encoder = { id: te.id, sha256: te.sha256 };
const L = te.maxTokens;
const D = te.hiddenSize;

function embeddings(batch: number, fill: (i: number) => number, tokens = L): TextEmbeddings {
  const hiddenStates = new Float32Array(batch * tokens * D).map((_, i) => fill(i));
  return { hiddenStates, attentionMask: new BigInt64Array(batch * tokens).fill(1n), batch, tokens, hidden: D, truncated: Array<boolean>(batch).fill(false) };
}
const b64 = (e: TextEmbeddings, enc: { id: string; sha256: string } = encoder) => bytesToBase64(encodeEmbeddings(e, enc));
const job = (id: string, extra: Record<string, unknown> = {}) => ({ id, prompt: 'a red cube', size: 64, seed: 1, ...extra });

describe('GET /v1/model', () => {
  it('is signed, 503 before the model is loaded, and summarizes the manifest once it is', async () => {
    const { createRunnerService } = await import('./app.ts');
    const { createLogger } = await import('./log.ts');
    const s = createRunnerService(testConfig, { logger: createLogger({ logPrompts: false, quiet: true }) });
    expect((await s.app.request('/v1/model', await signedInit('GET', '/v1/model'))).status).toBe(503);

    const { service, call } = createFakeService();
    expect((await service.app.request('/v1/model')).status).toBe(401);
    const res = await call('GET', '/v1/model');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      id: 'imagen-ts-tiny-fixture',
      name: 'imagen-ts tiny random-weight fixture',
      negativeEmbeddings: true,
      examplePrompts: fixtureManifest.examplePrompts,
      textEncoder: { id: 'imagen-ts-tiny-t5', sha256: te.sha256, maxTokens: 32, hiddenSize: 16, nullPrompt: 'empty-prompt' },
      stages: [
        { name: 'base64', resolution: 64, prediction: 'eps', defaults: { steps: 10, sampler: 'dpmpp-2m', guidance: 4 }, lowRes: null },
        {
          name: 'sr256',
          resolution: 256,
          prediction: 'eps-learned-range',
          defaults: { steps: 4, sampler: 'dpmpp-2m', guidance: 2 },
          lowRes: { fromStage: 'base64', noiseAugmentation: 100, maxNoiseAugmentation: 999 },
        },
        { name: 'sr1024', resolution: 1024, prediction: 'v', defaults: { steps: 2, sampler: 'dpmpp-2m', guidance: 1 }, lowRes: { fromStage: 'sr256', noiseAugmentation: 0, maxNoiseAugmentation: 999 } },
      ],
      engine: { version: 'fake', ortVersion: 'none', provider: 'cpu', prng: 'fake' },
    });
  });

  it('takes maxNoiseAugmentation from the augmentation schedule when the stage has its own', () => {
    const raw = structuredClone(fixtureManifest) as Record<string, unknown> & { stages: Array<Record<string, unknown> & { lowRes?: Record<string, unknown> }> };
    const sr = raw.stages[1];
    if (!sr?.lowRes) throw new Error('fixture has no sr stage');
    sr.lowRes.augmentationSchedule = { type: 'linear', trainSteps: 250 };
    const m = Manifest.parse(raw);
    const { fingerprint } = createFakeService().engine;
    expect(modelSummary({ manifest: m, fingerprint }).stages.map((s) => s.lowRes?.maxNoiseAugmentation ?? null)).toEqual([null, 249, 999]);
  });
});

describe('POST /v1/jobs negativeEmbeddings', () => {
  const cases: Array<[string, unknown, string]> = [
    ['not the codec', 'AAAA', 'invalid_request'],
    ['not base64', '%%%', 'invalid_request'],
    ['another encoder', b64(embeddings(1, () => 0.5), { id: 'other-t5', sha256: te.sha256 }), 'encoder_mismatch'],
    ['batch 2', b64(embeddings(2, () => 0.5)), 'invalid_request'],
    ['wrong token count', b64(embeddings(1, () => 0.5, L + 1)), 'invalid_request'],
  ];
  it.each(cases)('%s → 400 naming negativeEmbeddings', async (_name, value, code) => {
    const { call, engine } = createFakeService();
    const res = await call('POST', '/v1/jobs', job('neg', { negativeEmbeddings: value }));
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as ErrorBody;
    expect(error).toMatchObject({ code, field: 'negativeEmbeddings' });
    expect(error.message).toMatch(/^negativeEmbeddings: /);
    expect(engine.requests).toHaveLength(0);
  });

  it('hands the decoded tensors to the engine, next to embeddings', async () => {
    const { call, engine } = createFakeService();
    const pos = embeddings(1, (i) => (i % 7) / 7);
    const neg = embeddings(1, (i) => -(i % 5) / 5);
    neg.attentionMask.fill(0n, 3);
    const res = await call('POST', '/v1/jobs', { id: 'both', embeddings: b64(pos), negativeEmbeddings: b64(neg), size: 64, seed: 3 });
    expect(res.status).toBe(202);
    expect((await waitForJob(call, 'both')).status).toBe('succeeded');
    const sent = engine.requests[0];
    expect(sent?.embeddings?.hiddenStates).toEqual(pos.hiddenStates);
    expect(sent?.negativeEmbeddings?.hiddenStates).toEqual(neg.hiddenStates);
    expect(sent?.negativeEmbeddings?.attentionMask).toEqual(neg.attentionMask);
    // a different negativeEmbeddings is a different job body under the same id
    const other = await call('POST', '/v1/jobs', { id: 'both', embeddings: b64(pos), negativeEmbeddings: b64(pos), size: 64, seed: 3 });
    expect(((await other.json()) as ErrorBody).error.code).toBe('job_id_conflict');
  });

  it("with nullPrompt 'zeros' and no negativePrompt, accepts only the zeros null embedding", () => {
    const m = Manifest.parse({ ...fixtureManifest, textEncoder: { ...fixtureManifest.textEncoder, nullPrompt: 'zeros' } });
    const resolve = (extra: Record<string, unknown>) => resolveJob(RunnerJobRequest.parse(job('z', extra)), { manifest: m, callbackAllowList: [] });
    const encoded = embeddings(1, (i) => (i % 3) - 1);
    let err: unknown;
    try {
      resolve({ negativeEmbeddings: b64(encoded) });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).message).toContain("'zeros'");
    expect(resolve({ negativeEmbeddings: b64(embeddings(1, () => 0)) }).request.negativeEmbeddings?.hiddenStates.every((v) => v === 0)).toBe(true);
    // with a negative prompt they are that prompt's encoder output
    expect(resolve({ negativePrompt: 'blurry', negativeEmbeddings: b64(encoded) }).request.negativeEmbeddings?.hiddenStates).toEqual(encoded.hiddenStates);
  });
});

describe('imagen_runner_text_encoder_runs_total', () => {
  it("follows the engine's encoder count", async () => {
    const { call } = createFakeService();
    const scrape = async () => Number(/^imagen_runner_text_encoder_runs_total (\d+)$/m.exec(await (await call('GET', '/metrics')).text())?.[1]);
    expect(await scrape()).toBe(0);
    expect((await call('POST', '/v1/embed', { prompts: ['a', 'b', 'c'] })).status).toBe(200);
    expect(await scrape()).toBe(3);
    expect(await scrape()).toBe(3);
  });
});

describe('POST /v1/tokenize', () => {
  it('is signed and answers the model tokenizer view of one prompt; a bad body names the field', async () => {
    const { service, call } = createFakeService();
    expect((await service.app.request('/v1/tokenize', { method: 'POST', body: '{"prompt":"x"}' })).status).toBe(401);
    const res = await call('POST', '/v1/tokenize', { prompt: 'a red circle 4u' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ model: fixtureManifest.id, tokens: 5, maxTokens: fixtureManifest.textEncoder.maxTokens, truncated: false, unknown: ['4u'] });
    const bad = await call('POST', '/v1/tokenize', { prompt: 7 });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toMatch(/prompt/);
  });
});
