import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkFeeds, createFeed, createSession, diagnoseCuda, ortVersion, prepareRun, runModel, RuntimeError, type ModelSession } from './ort.ts';

const fixture = (f: string) => fileURLToPath(new URL(`../../../models/fixtures/tiny/${f}`, import.meta.url));

describe('runtime/ort', () => {
  let base: ModelSession;
  beforeAll(async () => {
    base = await createSession(fixture('base64.onnx'), { device: 'cpu', intraOpThreads: 1 });
  });
  afterAll(() => base.dispose());

  const feeds = (batch: number, channels = 3, tsBatch = batch) => ({
    sample: createFeed(new Float32Array(batch * channels * 8 * 8), [batch, channels, 8, 8]),
    timestep: createFeed(new Float32Array(tsBatch).fill(10), [tsBatch]),
    encoder_hidden_states: createFeed(new Float32Array(batch * 32 * 16), [batch, 32, 16]),
    encoder_attention_mask: createFeed(new BigInt64Array(batch * 32).fill(1n), [batch, 32]),
  });

  it('reports the ORT version and the declared inputs', () => {
    expect(ortVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(base.inputNames).toEqual(['sample', 'timestep', 'encoder_hidden_states', 'encoder_attention_mask']);
    expect(base.inputs[0]?.shape).toEqual(['batch', 3, 'height', 'width']);
  });

  it('wraps typed arrays without copying', () => {
    const data = new Float32Array(6);
    const t = createFeed(data, [2, 3]);
    expect(t.data).toBe(data);
    expect(() => createFeed(data, [4, 2])).toThrow(/6 elements cannot have dims \[4, 2\]/);
  });

  it('runs a model on checked feeds', async () => {
    const out = await runModel(base, feeds(2));
    expect(out.out?.dims).toEqual([2, 3, 8, 8]);
    expect(out.out?.data).toBeInstanceOf(Float32Array);
  });

  it('prepares a run once and sees later writes to the feeds\' data', async () => {
    const f = feeds(2);
    const prepared = prepareRun(base, f, ['out']);
    const a = (await prepared.run()).out?.data as Float32Array;
    (f.sample.data as Float32Array).fill(0.5);
    const b = (await prepared.run()).out?.data as Float32Array;
    const direct = (await runModel(base, f)).out?.data as Float32Array;
    expect(Buffer.from(b.buffer).equals(Buffer.from(direct.buffer))).toBe(true);
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(false);
    // checked when prepared, not when run
    expect(() => prepareRun(base, { ...f, timestep: createFeed(new Float32Array(1), [1]) })).toThrow(/timestep dim 0/);
  });

  it('accepts the spinning and threading options and computes the same outputs with them', async () => {
    const quiet = await createSession(fixture('base64.onnx'), { device: 'cpu', intraOpThreads: 1, interOpThreads: 1, allowSpinning: false });
    try {
      const a = (await runModel(base, feeds(2))).out?.data as Float32Array;
      const b = (await runModel(quiet, feeds(2))).out?.data as Float32Array;
      expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    } finally {
      await quiet.dispose();
    }
  });

  it('names missing inputs and wrong dims, with expected and received shapes', () => {
    const { timestep: _t, ...noTimestep } = feeds(1);
    let err: unknown;
    try {
      checkFeeds(base, { ...noTimestep, sample: createFeed(new Float32Array(6 * 64), [1, 6, 8, 8]) });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RuntimeError);
    const e = err as RuntimeError;
    expect(e.code).toBe('FEED_MISMATCH');
    expect(e.message).toContain('base64.onnx');
    expect(e.message).toContain('missing input(s) timestep');
    expect(e.message).toContain('sample dim 1 is 6, expected 3');
    expect(e.message).toContain('sample: float32[batch, 3, height, width]');
    expect(e.message).toContain('sample: float32[1, 6, 8, 8]');
  });

  it('requires a symbolic dim to agree across inputs, and the element type to match', async () => {
    await expect(runModel(base, feeds(2, 3, 1))).rejects.toThrow(/timestep dim 0 \("batch"\) is 1 but sample set "batch" = 2/);
    const f = { ...feeds(1), timestep: createFeed(new Int32Array(1), [1]) };
    expect(() => checkFeeds(base, f)).toThrow(/timestep is int32, expected float32/);
    expect(() => checkFeeds(base, { ...feeds(1), extra: createFeed(new Float32Array(1), [1]) })).toThrow(/unexpected input\(s\) extra/);
  });

  it('rejects device "cuda" with a coded error naming what is missing, instead of falling back or crashing', async () => {
    const problem = diagnoseCuda();
    let err: unknown;
    try {
      const s = await createSession(fixture('base64.onnx'), { device: 'cuda' });
      await s.dispose();
    } catch (e) {
      err = e;
    }
    if (problem === null) {
      // a machine with the CUDA provider installed: it either works or says the provider failed
      if (err !== undefined) expect(err).toMatchObject({ code: 'CUDA_PROVIDER_FAILED' });
      return;
    }
    expect(err).toBeInstanceOf(RuntimeError);
    const e = err as RuntimeError;
    expect(e.code).toBe(problem?.code);
    expect(['ORT_CUDA_BINARIES_MISSING', 'CUDA_LIBRARIES_MISSING', 'CUDA_UNSUPPORTED_PLATFORM', 'CUDA_PROVIDER_FAILED']).toContain(e.code);
    if (e.code === 'ORT_CUDA_BINARIES_MISSING') {
      expect(e.message).toMatch(/libonnxruntime_providers_cuda\.so/);
      expect(e.message).toMatch(/ONNXRUNTIME_NODE_INSTALL=skip from scripts\/ensure-deps\.sh/);
      expect(e.message).toMatch(/--cuda-provider-dir \/ RUNNER_CUDA_PROVIDER_DIR/);
    }
  });

  it('names the file when a model cannot be loaded', async () => {
    await expect(createSession('/nonexistent/model.onnx', { device: 'cpu' })).rejects.toMatchObject({ code: 'MODEL_LOAD_FAILED', message: expect.stringContaining('/nonexistent/model.onnx') as unknown });
  });
});
