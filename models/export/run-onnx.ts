// Runs one ONNX model on raw tensors written by check_onnx.py and writes its
// outputs back as raw little-endian float32, so the Python side can compare the
// exported graph with torch. It goes through the engine's runtime module
// (gpu-runner/src/runtime/ort.ts), the only one that imports onnxruntime-node,
// so the check covers the very session setup the engine uses.
//
// usage: node models/export/run-onnx.ts <job.json>
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createFeed, createSession, runModel, type Feed } from '../../gpu-runner/src/runtime/ort.ts';
import { z } from 'zod';

const TensorFile = z.object({
  name: z.string().min(1),
  type: z.enum(['float32', 'int64']),
  dims: z.array(z.number().int().min(0)),
  file: z.string().min(1),
});

const Job = z.object({
  model: z.string().min(1),
  inputs: z.array(TensorFile).min(1),
  outputs: z.array(z.object({ name: z.string().min(1), file: z.string().min(1) })).min(1),
  threads: z.number().int().min(1).max(64).default(2),
  /** extra timed runs after the first; their mean goes to stdout as msPerRun */
  timingRuns: z.number().int().min(0).max(100).default(0),
});
type Job = z.infer<typeof Job>;

function readTensor(t: z.infer<typeof TensorFile>): Feed {
  const buf = readFileSync(t.file);
  // Copy into a fresh, aligned ArrayBuffer: Node may hand back a view into a shared pool.
  const bytes = new Uint8Array(buf.byteLength);
  bytes.set(buf);
  const count = t.dims.reduce((a, b) => a * b, 1);
  const width = t.type === 'float32' ? 4 : 8;
  if (bytes.byteLength !== count * width) {
    throw new Error(`input "${t.name}": file has ${bytes.byteLength} bytes, dims ${JSON.stringify(t.dims)} need ${count * width}`);
  }
  return createFeed(t.type === 'float32' ? new Float32Array(bytes.buffer) : new BigInt64Array(bytes.buffer), t.dims);
}

async function run(job: Job): Promise<{ outputs: Record<string, number[]>; msPerRun: number | null }> {
  const session = await createSession(resolve(job.model), { device: 'cpu', intraOpThreads: job.threads, interOpThreads: 1 });
  const feeds: Record<string, Feed> = {};
  for (const t of job.inputs) feeds[t.name] = readTensor(t);
  const result = await runModel(session, feeds);
  const outputs: Record<string, number[]> = {};
  for (const o of job.outputs) {
    const tensor = result[o.name];
    if (!tensor) throw new Error(`output "${o.name}" not produced; the model has ${session.outputNames.join(', ')}`);
    if (tensor.type !== 'float32') throw new Error(`output "${o.name}" is ${tensor.type}, expected float32`);
    const data = tensor.data;
    writeFileSync(o.file, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    outputs[o.name] = [...tensor.dims];
  }
  let msPerRun: number | null = null;
  if (job.timingRuns > 0) {
    const start = performance.now();
    for (let i = 0; i < job.timingRuns; i++) await runModel(session, feeds);
    msPerRun = (performance.now() - start) / job.timingRuns;
  }
  await session.dispose();
  return { outputs, msPerRun };
}

const jobPath = process.argv[2];
if (!jobPath) {
  process.stderr.write('usage: node models/export/run-onnx.ts <job.json>\n');
  process.exit(2);
}
const job = Job.parse(JSON.parse(readFileSync(jobPath, 'utf8')));
process.stdout.write(`${JSON.stringify(await run(job))}\n`);
