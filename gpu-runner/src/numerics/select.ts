// Selection (C++'s nth_element): the k-th smallest of a[0..n) in expected O(n), in place, no allocation.
// Hoare partitioning around a median-of-three pivot keeps runs of equal values (clipped pixels: many exact ±1)
// balanced; after too many rounds without progress the remaining range is sorted, bounding the worst case.

const SMALL = 16;

function insertionSort(a: Float32Array, lo: number, hi: number): void {
  for (let i = lo + 1; i <= hi; i++) {
    const v = a[i] as number;
    let j = i - 1;
    while (j >= lo && (a[j] as number) > v) {
      a[j + 1] = a[j] as number;
      j--;
    }
    a[j + 1] = v;
  }
}

function swap(a: Float32Array, i: number, j: number): void {
  const t = a[i] as number;
  a[i] = a[j] as number;
  a[j] = t;
}

/**
 * Rearranges a[0..n) so that a[k] holds the value a full ascending sort would put there, with a[i] ≤ a[k] for
 * i < k and a[i] ≥ a[k] for i > k; returns a[k]. Values must not be NaN.
 */
export function selectKth(a: Float32Array, n: number, k: number): number {
  if (!Number.isInteger(n) || n < 1 || n > a.length) throw new RangeError(`n must be an integer in [1, ${a.length}], got ${n}`);
  if (!Number.isInteger(k) || k < 0 || k >= n) throw new RangeError(`k must be an integer in [0, ${n - 1}], got ${k}`);
  let lo = 0;
  let hi = n - 1;
  // ~2·log2(n) partitions suffice in expectation; past that fall back to sorting the rest
  let budget = 2 * Math.ceil(Math.log2(n + 1)) + 8;
  while (hi - lo >= SMALL) {
    if (budget-- === 0) {
      a.subarray(lo, hi + 1).sort();
      return a[k] as number;
    }
    const mid = lo + ((hi - lo) >> 1);
    if ((a[mid] as number) < (a[lo] as number)) swap(a, mid, lo);
    if ((a[hi] as number) < (a[lo] as number)) swap(a, hi, lo);
    if ((a[hi] as number) < (a[mid] as number)) swap(a, hi, mid);
    const pivot = a[mid] as number;
    let i = lo;
    let j = hi;
    // a[lo] ≤ pivot ≤ a[hi] act as sentinels for the scans
    while (i <= j) {
      while ((a[i] as number) < pivot) i++;
      while ((a[j] as number) > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    // now a[lo..j] ≤ pivot, a[i..hi] ≥ pivot and everything strictly between equals the pivot
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k] as number;
  }
  insertionSort(a, lo, hi);
  return a[k] as number;
}

/** Smallest of a[from..n). */
export function minFrom(a: Float32Array, from: number, n: number): number {
  let m = a[from] as number;
  for (let i = from + 1; i < n; i++) if ((a[i] as number) < m) m = a[i] as number;
  return m;
}

/**
 * The q-quantile of a[0..n) with numpy's default ('linear') / torch.quantile's interpolation: at virtual index
 * q·(n − 1), lerp between the order statistics below and above, written as numpy's _lerp (from the nearer end).
 * Reorders a[0..n). Computed in float64.
 */
export function quantileInPlace(a: Float32Array, n: number, q: number): number {
  if (typeof q !== 'number' || !(q >= 0 && q <= 1)) throw new RangeError(`quantile must be in [0, 1], got ${String(q)}`);
  const pos = q * (n - 1);
  const below = Math.floor(pos);
  const lower = selectKth(a, n, below);
  if (below >= n - 1) return lower;
  const upper = minFrom(a, below + 1, n);
  const t = pos - below;
  const diff = upper - lower;
  return t >= 0.5 ? upper - diff * (1 - t) : lower + diff * t;
}
