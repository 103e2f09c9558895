export { philox4x32 } from './philox.ts';
export { PRNG_ID, NoisePurpose, streamId, createNormalStream } from './normal-stream.ts';
export type { NormalStream } from './normal-stream.ts';
export { createNoisePrefetcher, drawNoise } from './noise-prefetch.ts';
export type { NoiseBatch, NoisePrefetcher, NoiseRequest } from './noise-prefetch.ts';
