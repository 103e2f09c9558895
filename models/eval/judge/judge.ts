// The ShapesBench judge: decides, deterministically, whether an image shows what
// a case expects — background, every object's color and shape, counts, sizes,
// places and relations — and nothing more.
import type { Expect } from './case.ts';
import { fitShape, type Fit } from './fit.ts';
import { geometry } from './geometry.ts';
import { segment, type Rgb } from './segment.ts';

export interface Detected {
  color: string;
  shape: string;
  /** normalized [0, 1] like the world's scenes */
  cx: number;
  cy: number;
  r: number;
  iou: number;
}

export interface Verdict {
  pass: boolean;
  /** why it failed (empty when it passed) */
  reason: string;
  background: string;
  detected: Detected[];
}

/** size boundaries halfway between the world's radius ranges */
const SMALL_MAX = (geometry.radius.small![1] + geometry.radius.medium![0]) / 2;
const LARGE_MIN = (geometry.radius.medium![1] + geometry.radius.large![0]) / 2;
const THIRD = 1 / 3;

export function sizeOf(r: number): 'small' | 'medium' | 'large' {
  return r < SMALL_MAX ? 'small' : r > LARGE_MIN ? 'large' : 'medium';
}

export function placeHolds(d: Pick<Detected, 'cx' | 'cy'>, place: string): boolean {
  const left = d.cx < THIRD, right = d.cx > 2 * THIRD, top = d.cy < THIRD, bottom = d.cy > 2 * THIRD;
  const midX = !left && !right, midY = !top && !bottom;
  switch (place) {
    case 'left': return left;
    case 'right': return right;
    case 'top': return top;
    case 'bottom': return bottom;
    case 'center': return midX && midY;
    case 'top-left': return top && left;
    case 'top-right': return top && right;
    case 'bottom-left': return bottom && left;
    case 'bottom-right': return bottom && right;
    default: return false;
  }
}

/** a rel b: b lies on the named side of a, more along that axis than across it */
export function relationHolds(a: Detected, rel: string, b: Detected): boolean {
  const dx = b.cx - a.cx, dy = b.cy - a.cy;
  switch (rel) {
    case 'left-of': return dx > 0 && Math.abs(dy) <= dx;
    case 'right-of': return dx < 0 && Math.abs(dy) <= -dx;
    case 'above': return dy > 0 && Math.abs(dx) <= dy;
    case 'below': return dy < 0 && Math.abs(dx) <= -dy;
    default: return false;
  }
}

interface Slot {
  item: number;
}

function* permutations(n: number): Generator<number[]> {
  const p = Array.from({ length: n }, (_, i) => i);
  const c = new Array<number>(n).fill(0);
  yield p.slice();
  let i = 0;
  while (i < n) {
    if (c[i]! < i) {
      const j = i % 2 === 0 ? 0 : c[i]!;
      [p[j], p[i]] = [p[i]!, p[j]!];
      yield p.slice();
      c[i]!++;
      i = 0;
    } else {
      c[i] = 0;
      i++;
    }
  }
}

export function judge(img: Rgb, expect: Expect): Verdict {
  const seg = segment(img);
  const size = Math.max(img.width, img.height);
  const detected: Detected[] = seg.components.map((c) => {
    const f: Fit = fitShape(c, seg.alpha(c.color), img.width, img.height);
    return { color: c.color, shape: f.shape, cx: f.cx / img.width, cy: f.cy / img.height, r: f.r / size, iou: f.iou };
  });
  const verdict = (reason: string): Verdict => ({ pass: reason === '', reason, background: seg.background, detected });

  if (expect.background && seg.background !== expect.background) return verdict(`background is ${seg.background}, expected ${expect.background}`);
  const slots: Slot[] = expect.objects.flatMap((o, item) => Array.from({ length: o.count }, () => ({ item })));
  if (detected.length !== slots.length) return verdict(`found ${detected.length} objects, expected ${slots.length}`);

  let firstReason = '';
  for (const perm of permutations(slots.length)) {
    const reason = checkAssignment(expect, slots, perm.map((k) => detected[k]!));
    if (reason === '') return verdict('');
    if (!firstReason) firstReason = reason;
  }
  return verdict(firstReason);
}

/** '' when assigning detected[k] to slots[k] satisfies every expectation, else the first reason it does not */
function checkAssignment(expect: Expect, slots: Slot[], assigned: Detected[]): string {
  for (let k = 0; k < slots.length; k++) {
    const o = expect.objects[slots[k]!.item]!;
    const d = assigned[k]!;
    if (d.color !== o.color) return `object ${slots[k]!.item}: color ${d.color}, expected ${o.color}`;
    if (d.shape !== o.shape) return `object ${slots[k]!.item}: shape ${d.shape}, expected ${o.shape}`;
    if (o.size && sizeOf(d.r) !== o.size) return `object ${slots[k]!.item}: size ${sizeOf(d.r)}, expected ${o.size}`;
    if (o.place && !placeHolds(d, o.place)) return `object ${slots[k]!.item}: not ${o.place}`;
  }
  for (const rel of expect.relations ?? []) {
    for (let i = 0; i < slots.length; i++)
      for (let j = 0; j < slots.length; j++)
        if (slots[i]!.item === rel.a && slots[j]!.item === rel.b && !relationHolds(assigned[i]!, rel.rel, assigned[j]!))
          return `relation ${rel.a} ${rel.rel} ${rel.b} does not hold`;
  }
  return '';
}
