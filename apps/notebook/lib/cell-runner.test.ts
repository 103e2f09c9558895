import { describe, expect, it } from 'vitest';
import type { NotebookDoc, PromptCell, UpscaleCell } from './cell-types.ts';
import { createCell, createNotebookDoc } from './cell-types.ts';
import type { RunProgress } from './cell-runner.ts';
import { RunCanceled, runTasks } from './cell-runner.ts';
import { cellStatus, planTasks } from './cells.ts';
import { createEdgeClient } from './edge-client.ts';
import { recordRun } from './run-record.ts';
import { createFakeEdge, type FakeEdgeOptions } from './testing/fake-edge.ts';

function notebook(): NotebookDoc {
  const p: PromptCell = { ...(createCell('prompt', 'p', 1234) as PromptCell), prompt: 'a lighthouse at dusk', n: 2, steps: 20, sampler: 'ddim', guidance: 7 };
  const u: UpscaleCell = { ...(createCell('upscale', 'u', 99) as UpscaleCell), source: { cellId: 'p', index: 1 }, steps: 30 };
  return { ...createNotebookDoc('t'), cells: [p, u] };
}

async function runCell(edge: ReturnType<typeof createFakeEdge>, doc: NotebookDoc, id: string, force = false, progress: RunProgress[] = []): Promise<NotebookDoc> {
  const client = createEdgeClient({ baseUrl: 'http://edge.test/', apiKey: 'test-key', fetch: edge.fetch });
  const plan = planTasks(doc, id);
  if (!plan.ok) throw new Error('invalid');
  const results = await runTasks(client, doc, plan.tasks, { force, signal: new AbortController().signal, onProgress: (p) => progress.push(p) });
  return recordRun(doc, id, plan, results, 'now');
}

const jobCalls = (edge: ReturnType<typeof createFakeEdge>) => edge.calls.filter((c) => c.startsWith('POST /v1/generations') || c.includes('/upscale'));

describe('runTasks', () => {
  it('runs a prompt cell once; an unchanged re-run costs nothing; a forced re-run matches', async () => {
    const edge = createFakeEdge();
    const progress: RunProgress[] = [];
    let doc = await runCell(edge, notebook(), 'p', false, progress);
    const first = (doc.cells[0] as PromptCell).run!;
    expect(first.images.map((i) => [i.seed, i.width, i.match])).toEqual([[1234, 64, undefined], [1235, 64, undefined]]);
    expect([...edge.jobs.values()][0]!.request).toMatchObject({ prompt: 'a lighthouse at dusk', seed: 1234, n: 2, size: 64, steps: 20, sampler: 'ddim', guidance: 7 });
    expect(progress.map((p) => p.phase)).toEqual(['submitting', 'queued', 'running', 'running']);
    expect(progress.at(-1)).toMatchObject({ stage: 'base64', step: 1, total: 2, preview: 'data:image/png;base64,AAAA', previews: ['data:image/png;base64,AAAA', 'data:image/png;base64,AAAB'] });

    doc = await runCell(edge, doc, 'p');
    expect(jobCalls(edge)).toHaveLength(1);
    expect((doc.cells[0] as PromptCell).run?.fromCache).toBe(true);

    doc = await runCell(edge, doc, 'p', true);
    expect(jobCalls(edge)).toHaveLength(2);
    const again = (doc.cells[0] as PromptCell).run!;
    expect(again.images.map((i) => i.sha256)).toEqual(first.images.map((i) => i.sha256));
    expect(again.images.map((i) => i.match)).toEqual(['matched', 'matched']);
  });

  it('flags a forced re-run that did not reproduce', async () => {
    const doc = await runCell(createFakeEdge(), notebook(), 'p');
    const after = await runCell(createFakeEdge({ salt: 'different weights' }), doc, 'p', true);
    expect((after.cells[0] as PromptCell).run?.images.map((i) => i.match)).toEqual(['differs', 'differs']);
  });

  it('tells same pixels in another file (metadata changed) from other pixels, and says which metadata differs', async () => {
    const options: FakeEdgeOptions = {};
    const edge = createFakeEdge(options);
    const doc = await runCell(edge, notebook(), 'p');
    const before = (doc.cells[0] as PromptCell).run!.images;
    expect(before.every((i) => /^[0-9a-f]{64}$/.test(i.pixelSha256 ?? ''))).toBe(true);
    options.metadataSalt = 'engine 0.3.0';
    const after = (await runCell(edge, doc, 'p', true)).cells[0] as PromptCell;
    const images = after.run!.images;
    expect(images.map((i) => i.match)).toEqual(['pixels-match', 'pixels-match']);
    expect(images.map((i) => i.pixelSha256)).toEqual(before.map((i) => i.pixelSha256));
    expect(images[0]?.sha256).not.toBe(before[0]?.sha256);
    expect(images[0]?.matchNote).toBe('same pixels; the PNG metadata differs: imagen-ts engine');
  });

  it('upscales the chosen image of the source cell', async () => {
    const edge = createFakeEdge();
    let doc = await runCell(edge, notebook(), 'p');
    const chosen = (doc.cells[0] as PromptCell).run!.images[1]!;
    doc = await runCell(edge, doc, 'u');
    expect(edge.calls).toContain(`POST /v1/images/${chosen.imageId}/upscale`);
    expect([...edge.jobs.values()].at(-1)!.request).toMatchObject({ seed: 99, noiseAugmentation: 100, steps: 30 });
    expect((doc.cells[1] as UpscaleCell).run?.sourceSha256).toBe(chosen.sha256);
    expect(cellStatus(doc, 'u')).toEqual({ status: 'fresh' });
  });

  it('refuses to upscale before the source cell has run', async () => {
    await expect(runCell(createFakeEdge(), notebook(), 'u')).rejects.toThrow(/run the source cell first/);
  });

  it("shows the edge's validation message and a failed job's message", async () => {
    const doc = notebook();
    const tooMany = { ...doc, cells: [{ ...doc.cells[0], steps: 600 } as PromptCell] };
    // the edge's status travels with the message (a 401/403 links to Settings)
    await expect(runCell(createFakeEdge(), tooMany, 'p')).rejects.toMatchObject({ name: 'RunFailed', message: 'steps: must be at most 500', status: 400, partial: [] });

    const edge = createFakeEdge({ autoComplete: false });
    const client = createEdgeClient({ baseUrl: 'http://edge.test', apiKey: 'test-key', fetch: edge.fetch });
    const plan = planTasks(doc, 'p');
    if (!plan.ok) throw new Error('invalid');
    const run = runTasks(client, doc, plan.tasks, {
      force: false,
      signal: new AbortController().signal,
      onProgress: (p) => {
        if (p.phase === 'queued' && p.jobId) edge.failJob(p.jobId, 'out of GPU memory');
      },
      sleep: () => Promise.resolve(),
    });
    await expect(run).rejects.toThrow('out of GPU memory');
  });

  it('cancels the running job and reports the tasks that had finished', async () => {
    const edge = createFakeEdge({ autoComplete: false });
    const client = createEdgeClient({ baseUrl: 'http://edge.test', apiKey: 'test-key', fetch: edge.fetch });
    const doc = notebook();
    const plan = planTasks(doc, 'p');
    if (!plan.ok) throw new Error('invalid');
    const controller = new AbortController();
    const run = runTasks(client, doc, plan.tasks, {
      force: false,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.phase === 'running') controller.abort();
      },
    });
    const err: unknown = await run.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunCanceled);
    expect((err as RunCanceled).partial).toEqual([]);
    const job = [...edge.jobs.values()][0]!;
    expect(edge.calls).toContain(`POST /v1/jobs/${job.id}/cancel`);
    expect(job.status).toBe('canceled');
  });
});
