// Noise conditioning augmentation of the low-res input of a super-resolution stage (Imagen §2.5; Ho et al. 2022
// "Cascaded Diffusion Models"): the forward process at the augmentation level, as diffusers' add_noise:
// x_aug = sqrt(ᾱ_s)·x + sqrt(1 − ᾱ_s)·ε, ᾱ_s = alphaBar of the augmentation schedule at timestep s.

/** out = sqrt(alphaBar)·x + sqrt(1 − alphaBar)·noise; out may alias x or noise. */
export function noiseAugment(out: Float32Array, x: Float32Array, noise: Float32Array, alphaBar: number): void {
  if (typeof alphaBar !== 'number' || !(alphaBar >= 0 && alphaBar <= 1)) throw new RangeError(`alphaBar must be in [0, 1], got ${String(alphaBar)}`);
  if (x.length !== out.length || noise.length !== out.length)
    throw new RangeError(`noiseAugment: x (${x.length}) and noise (${noise.length}) must have out's length ${out.length}`);
  const a = Math.sqrt(alphaBar);
  const b = Math.sqrt(1 - alphaBar);
  for (let i = 0; i < out.length; i++) out[i] = a * (x[i] as number) + b * (noise[i] as number);
}
