import { afterEach, describe, expect, it } from 'vitest';
import { createNoisePrefetcher, type NoisePrefetcher } from './noise-prefetch.ts';
import { createNormalStream } from './normal-stream.ts';

const direct = (seed: number, id: number, n: number) => {
  const out = new Float32Array(n);
  createNormalStream(seed, id).fill(out);
  return out;
};

describe('noise prefetch', () => {
  let prefetcher: NoisePrefetcher;
  afterEach(async () => prefetcher.close());

  it('hands out exactly the streams createNormalStream draws', async () => {
    prefetcher = createNoisePrefetcher();
    const requests = [
      { seed: 1, streamId: 16, length: 4099 },
      { seed: 4294967295, streamId: 18, length: 3 * 64 * 64 },
    ];
    const batch = prefetcher.prefetch(requests);
    expect(await batch.delivered()).toBe(true);
    for (const r of requests) {
      const out = new Float32Array(r.length);
      await batch.fill(out, r.seed, r.streamId);
      expect(out).toEqual(direct(r.seed, r.streamId, r.length));
    }
  });

  it('draws on the spot what was not asked for, or asked for at another length', async () => {
    prefetcher = createNoisePrefetcher();
    const batch = prefetcher.prefetch([{ seed: 7, streamId: 32, length: 100 }]);
    const other = new Float32Array(50);
    await batch.fill(other, 8, 32);
    expect(other).toEqual(direct(8, 32, 50));
    const shorter = new Float32Array(10);
    await batch.fill(shorter, 7, 32);
    expect(shorter).toEqual(direct(7, 32, 10));
  });

  it('draws on the spot once closed', async () => {
    prefetcher = createNoisePrefetcher();
    await prefetcher.close();
    const out = new Float32Array(64);
    const batch = prefetcher.prefetch([{ seed: 3, streamId: 1, length: 64 }]);
    expect(await batch.delivered()).toBe(false);
    await batch.fill(out, 3, 1);
    expect(out).toEqual(direct(3, 1, 64));
  });
});
