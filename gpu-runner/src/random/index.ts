export { philox4x32 } from './philox.ts';
export { PRNG_ID, NoisePurpose, streamId, createNormalStream } from './normal-stream.ts';
export type { NormalStream } from './normal-stream.ts';
