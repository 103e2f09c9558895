import { describe, expect, it, vi } from 'vitest';
import { HelpShown, parseGenerateArgs, UsageError } from './args.ts';

function usage(argv: string[]): UsageError {
  try {
    parseGenerateArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) return e;
    throw e;
  }
  throw new Error(`no error for ${argv.join(' ')}`);
}

describe('parseGenerateArgs', () => {
  it('reads every flag', () => {
    const a = parseGenerateArgs([
      '--prompt', 'a red circle', '--negative-prompt', 'blur', '--seed', '4294967295', '--n', '3', '--size', '256',
      '--out', 'x/y.png', '--steps', '7', '--stage-steps', 'base64=20, sr256=10', '--sampler', 'ddim', '--guidance', '6.5',
      '--stage-guidance', 'sr256=4', '--noise-aug', '250', '--model', 'models/fixtures/tiny', '--device', 'cuda',
      '--threads', '2', '--no-mark', '--json',
    ]);
    expect(a).toEqual({
      prompt: 'a red circle', negativePrompt: 'blur', seed: 4294967295, n: 3, size: 256, out: 'x/y.png', steps: 7,
      stageSteps: { base64: 20, sr256: 10 }, sampler: 'ddim', guidance: 6.5, stageGuidance: { sr256: 4 }, noiseAug: 250,
      model: 'models/fixtures/tiny', device: 'cuda', threads: 2, mark: false, json: true, debug: false,
    });
  });

  it('has defaults for everything but the prompt', () => {
    expect(parseGenerateArgs(['--prompt', 'x'])).toEqual({
      prompt: 'x', n: 1, out: 'out.png', stageSteps: {}, stageGuidance: {}, device: 'cpu', mark: true, json: false, debug: false,
    });
  });

  it.each([
    [['--prompt', 'x', '--bogus'], '--bogus', /unknown option/],
    [['--seed', '1'], '--prompt', /required/],
    [['--prompt', '  '], '--prompt', /must not be empty/],
    [['--prompt', 'x', '--seed', '-1'], '--seed', /0\.\.4294967295/],
    [['--prompt', 'x', '--seed', '4294967296'], '--seed', /0\.\.4294967295/],
    [['--prompt', 'x', '--seed', '1.5'], '--seed', /integer/],
    [['--prompt', 'x', '--seed', 'abc'], '--seed', /integer/],
    [['--prompt', 'x', '--steps', '0'], '--steps', /1\.\.1000/],
    [['--prompt', 'x', '--n', '9'], '--n', /1\.\.8/],
    [['--prompt', 'x', '--guidance', '-1'], '--guidance', /0\.\.50/],
    [['--prompt', 'x', '--guidance', 'lots'], '--guidance', /number/],
    [['--prompt', 'x', '--sampler', 'euler'], '--sampler', /ddpm, ddim, dpmpp-2m/],
    [['--prompt', 'x', '--device', 'tpu'], '--device', /cpu, cuda/],
    [['--prompt', 'x', '--threads', '0'], '--threads', /1\.\.1024/],
    [['--prompt', 'x', '--stage-steps', 'base64:20'], '--stage-steps', /STAGE=STEPS/],
    [['--prompt', 'x', '--stage-steps', 'base64=0'], '--stage-steps', /base64: must be an integer in 1\.\.1000/],
    [['--prompt', 'x', 'stray'], 'arguments', /too many arguments|excess/i],
  ])('%j → error on %s', (argv, field, message) => {
    const e = usage(argv);
    expect(e.field).toBe(field);
    expect(e.message).toMatch(message);
    expect(e.message).not.toContain('\n');
  });

  it('--help is not an error', () => {
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(() => parseGenerateArgs(['--help'])).toThrow(HelpShown);
    } finally {
      spy.mockRestore();
    }
  });
});
