// A group of compatible requests (equal batchKey: same size, same stages with
// the same sampler and steps) run through the cascade together: every stage is
// one runStage() over all their images. Requests that abort or fail leave the
// group at the next stage boundary; the rest carry on.
import type { PhaseEvent, TextEmbeddings } from './types.ts';
import type { GenerateOptions } from './types.ts';
import type { ModelSession } from '../runtime/ort.ts';
import type { NoiseBatch, NoisePrefetcher } from '../random/index.ts';
import { BatchAbandoned, runStage, stageNoiseRequests, type RowMode, type StageImage, type StageOwner } from './run-stage.ts';
import { clampInto, rgb8ToPlanar } from './pixels.ts';
import type { RequestPlan, StagePlan } from './validate.ts';
import type { Workspace } from './workspace.ts';

export interface GroupItem {
  plan: RequestPlan;
  options: GenerateOptions;
  cond: TextEmbeddings;
  /** null when no stage of the request uses guidance ≠ 1 */
  uncond: TextEmbeddings | null;
  failed: boolean;
  fail(error: unknown): void;
  /**
   * filled by runGroup: each image's [3, size, size], unclamped (planarToRgb8 clamps alike); views into the
   * workspace, valid until the next group runs (runs are serialized, and each group's results are built first)
   */
  output?: Float32Array[];
  /** filled by runGroup: wall time of each stage the item took part in */
  stagesMs: Record<string, number>;
}

export interface GroupContext {
  sessions: Record<string, ModelSession>;
  tokens: number;
  hidden: number;
  rowMode: RowMode;
  workspace?: Workspace;
  onModelCall?: (model: string, batch: number, rows: number, ms: number) => void;
  onPhase?: (e: PhaseEvent) => void;
  /** draws each next stage's starting noise while the current stage runs */
  noise?: NoisePrefetcher;
}

/** The init image of an upscale request as the low-res input of its first stage, once per image. */
function initLowRes(item: GroupItem): Float32Array {
  const init = item.plan.request.init;
  if (!init) throw new Error('initLowRes: request has no init image');
  const per = 3 * init.width * init.height;
  const out = new Float32Array(item.plan.seeds.length * per);
  rgb8ToPlanar(out, 0, init.image, init.width, init.height);
  for (let i = 1; i < item.plan.seeds.length; i++) out.copyWithin(i * per, 0, per);
  return out;
}

/** The previous stage's outputs of the items, stacked in item order (one array when there is one item). */
function stackLowRes(parts: Float32Array[]): Float32Array | null {
  if (parts.length <= 1) return parts[0] ?? null;
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Stage s's images (one per seed, item after item), their owners, and the stacked low-res input. */
function stageInputs(alive: GroupItem[], s: number, current: Map<GroupItem, Float32Array>): { images: StageImage[]; owners: StageOwner[]; lowRes: Float32Array | null } {
  const images: StageImage[] = [];
  const owners: StageOwner[] = [];
  const lowParts: Float32Array[] = [];
  for (const item of alive) {
    const sp = item.plan.stages[s];
    if (!sp) throw new Error(`runGroup: request lacks stage ${s} (batchKey mismatch)`);
    owners.push({
      signal: item.options.signal,
      onProgress: item.options.onProgress,
      previewEvery: item.options.previewEvery ?? 0,
      firstImage: images.length,
      imageCount: item.plan.seeds.length,
      get failed() {
        return item.failed;
      },
      fail: (e) => item.fail(e),
    });
    const useUncond = sp.guidance !== 1;
    if (useUncond && !item.uncond) throw new Error(`runGroup: stage ${sp.stage.name} needs unconditional embeddings`);
    for (const seed of item.plan.seeds) {
      images.push({
        seed,
        guidance: sp.guidance,
        noiseLevel: sp.noiseAugmentation ?? 0,
        condHidden: item.cond.hiddenStates,
        condMask: item.cond.attentionMask,
        uncondHidden: useUncond && item.uncond ? item.uncond.hiddenStates : null,
        uncondMask: useUncond && item.uncond ? item.uncond.attentionMask : null,
      });
    }
    const low = current.get(item);
    if (low) lowParts.push(low);
  }
  return { images, owners, lowRes: stackLowRes(lowParts) };
}

/**
 * Hands each item its images' outputs and the stage's wall time. Before another stage, the outputs are copied out of
 * the workspace, clamped, into one array whose slices are the items' low-res inputs; after the last, each item keeps
 * its views (no copy and no clamping pass: the 1024 px stage's output is 12 MB).
 */
function handOut(views: Float32Array[], alive: GroupItem[], stagePlan: StagePlan, ms: number, current: Map<GroupItem, Float32Array> | null): void {
  const per = 3 * stagePlan.stage.resolution ** 2;
  const x = current ? new Float32Array(views.length * per) : null;
  if (x) views.forEach((v, j) => clampInto(x, j * per, v));
  current?.clear();
  let off = 0;
  for (const item of alive) {
    const n = item.plan.seeds.length;
    if (current && x) current.set(item, x.subarray(off * per, (off + n) * per));
    else item.output = views.slice(off, off + n);
    off += n;
    item.stagesMs[stagePlan.stage.name] = ms;
  }
}

export async function runGroup(items: GroupItem[], ctx: GroupContext): Promise<void> {
  const first = items[0];
  if (!first) return;
  const stagePlans = first.plan.stages;
  // per item: the previous stage's output (or the init image), [n, 3, r, r]
  const current = new Map<GroupItem, Float32Array>();
  let lowResSize = 0;
  const firstStage = stagePlans[0];
  if (firstStage && firstStage.index > 0) {
    for (const item of items) current.set(item, initLowRes(item));
    lowResSize = first.plan.request.init?.width ?? 0;
  }

  let noise: NoiseBatch | undefined;
  for (let s = 0; s < stagePlans.length; s++) {
    const alive = items.filter((it) => !it.failed);
    // guidance and noise level are per image; the shared parts (sampler, steps) come from any item
    const stagePlan = stagePlans[s];
    if (alive.length === 0 || !stagePlan) return;
    const stageNoise = noise;
    const next = stagePlans[s + 1];
    noise = next && ctx.noise ? ctx.noise.prefetch(stageNoiseRequests(next.stage, next.index, alive.flatMap((it) => it.plan.seeds))) : undefined;
    let t = performance.now();
    const inputs = stageInputs(alive, s, current);
    ctx.onPhase?.({ phase: 'handoff', stage: stagePlan.stage.name, ms: performance.now() - t });
    const session = ctx.sessions[stagePlan.stage.name];
    if (!session) throw new Error(`runGroup: no session for stage ${stagePlan.stage.name}`);
    const t0 = performance.now();
    let x: Float32Array[];
    try {
      x = await runStage({
        plan: stagePlan,
        session,
        tokens: ctx.tokens,
        hidden: ctx.hidden,
        ...inputs,
        lowResSize,
        rowMode: ctx.rowMode,
        ...(ctx.workspace ? { workspace: ctx.workspace } : {}),
        ...(ctx.onModelCall ? { onModelCall: ctx.onModelCall } : {}),
        ...(ctx.onPhase ? { onPhase: ctx.onPhase } : {}),
        ...(stageNoise ? { noise: stageNoise } : {}),
      });
    } catch (e) {
      if (e instanceof BatchAbandoned) return;
      throw e;
    }
    t = performance.now();
    handOut(x, alive, stagePlan, t - t0, next ? current : null);
    ctx.onPhase?.({ phase: 'handoff', stage: stagePlan.stage.name, ms: performance.now() - t });
    lowResSize = stagePlan.stage.resolution;
  }
}
