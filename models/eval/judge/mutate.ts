// Wrong expectations for validating the judge: each mutation changes one fact of
// a case so that a faithful render of the original can no longer satisfy it.
import type { Expect } from './case.ts';
import { colorNames, shapeNames } from './geometry.ts';

const oppositePlace: Record<string, string> = {
  left: 'right', right: 'left', top: 'bottom', bottom: 'top', center: 'top-left',
  'top-left': 'bottom-right', 'bottom-right': 'top-left', 'top-right': 'bottom-left', 'bottom-left': 'top-right',
};
const inverse: Record<string, 'left-of' | 'right-of' | 'above' | 'below'> = { 'left-of': 'right-of', 'right-of': 'left-of', above: 'below', below: 'above' };
const otherSize = { small: 'large', medium: 'large', large: 'small' } as const;

export type Mutation = 'color' | 'shape' | 'count' | 'place' | 'relation' | 'size' | 'background';

/** the mutations that apply to `e` */
export function mutations(e: Expect): Mutation[] {
  const out: Mutation[] = ['color', 'shape', 'count'];
  if (e.objects.some((o) => o.place)) out.push('place');
  if (e.relations?.length) out.push('relation');
  if (e.objects.some((o) => o.size)) out.push('size');
  if (e.background) out.push('background');
  return out;
}

/** a copy of `e` with one fact changed; `k` picks which object and which replacement */
export function mutate(e: Expect, m: Mutation, k: number): Expect {
  const x: Expect = structuredClone(e);
  const pick = <T>(xs: readonly T[]) => xs[k % xs.length]!;
  const obj = x.objects[k % x.objects.length]!;
  switch (m) {
    case 'color': {
      const used = new Set([...x.objects.map((o) => o.color), x.background ?? 'white']);
      obj.color = pick(colorNames.filter((c) => !used.has(c)));
      break;
    }
    case 'shape': {
      const letter = obj.shape.startsWith('letter-');
      obj.shape = pick(shapeNames.filter((s) => s !== obj.shape && s.startsWith('letter-') === letter));
      break;
    }
    case 'count':
      obj.count = obj.count === 4 ? 3 : obj.count + 1;
      break;
    case 'place': {
      const o = x.objects.find((o) => o.place)!;
      o.place = oppositePlace[o.place!] as typeof o.place;
      break;
    }
    case 'relation': {
      const r = x.relations![k % x.relations!.length]!;
      r.rel = inverse[r.rel]!;
      break;
    }
    case 'size': {
      const o = x.objects.find((o) => o.size)!;
      o.size = otherSize[o.size!];
      break;
    }
    case 'background':
      x.background = pick(colorNames.filter((c) => c !== x.background && !x.objects.some((o) => o.color === c)));
      break;
  }
  return x;
}
