import { describe, expect, it } from 'vitest';
import { formatInfotext, parseInfotext, quote, samplerFromA1111, scanParams, unquote } from './infotext.ts';

describe('A1111 infotext', () => {
  it('writes the exact AUTOMATIC1111 layout', () => {
    const s = formatInfotext({
      prompt: 'a red circle',
      negativePrompt: 'blurry',
      params: [
        ['Steps', 20],
        ['Sampler', 'DPM++ 2M'],
        ['CFG scale', 7],
        ['Seed', 42],
        ['Size', '64x64'],
        ['Model', 'imagen-tiny'],
        ['Skipped', undefined],
      ],
    });
    expect(s).toBe('a red circle\nNegative prompt: blurry\nSteps: 20, Sampler: DPM++ 2M, CFG scale: 7, Seed: 42, Size: 64x64, Model: imagen-tiny');
  });

  it('leaves out the negative prompt line when there is none', () => {
    expect(formatInfotext({ prompt: 'cat', negativePrompt: '', params: [['Steps', 3]] })).toBe('cat\nSteps: 3');
  });

  it('quotes values holding , : or newlines the way json.dumps(ensure_ascii=False) does', () => {
    expect(quote('plain value')).toBe('plain value');
    expect(quote('a, b')).toBe('"a, b"');
    expect(quote('k: v "x"')).toBe('"k: v \\"x\\""');
    expect(quote('кот, пёс')).toBe('"кот, пёс"');
    expect(unquote('"a, b"')).toBe('a, b');
    expect(unquote('"broken')).toBe('"broken');
    expect(unquote('"\\u00e9\\n"')).toBe('é\n');
  });

  it('parses a real A1111 infotext (the docstring example of parse_generation_parameters)', () => {
    const t = parseInfotext(
      "girl with an artist's beret, determined, blue eyes, desert scene, computer monitors, heavy makeup, by Alphonse Mucha and Charlie Bowater, ((eyeshadow)), (coquettish), detailed, intricate\n" +
        'Negative prompt: ugly, fat, obese, chubby, (((deformed))), [blurry], bad anatomy, disfigured, poorly drawn face, mutation, mutated, (extra_limb), (ugly), (poorly drawn hands), messy drawing\n' +
        'Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 965400086, Size: 512x512, Model hash: 45dee52b',
    );
    expect(t.prompt.startsWith("girl with an artist's beret")).toBe(true);
    expect(t.negativePrompt.endsWith('messy drawing')).toBe(true);
    expect(t).toMatchObject({ steps: 20, sampler: 'Euler a', cfgScale: 7, seed: 965400086, width: 512, height: 512 });
    expect(t.params['Model hash']).toBe('45dee52b');
  });

  it('handles a missing negative prompt, multi-line prompts and extra key: value pairs', () => {
    const t = parseInfotext('line one\n  line two  \nline three\nSteps: 30, Sampler: DDIM, CFG scale: 4.5, Seed: 7, Size: 256x128, Model: m, Clip skip: 2, ENSD: 31337');
    expect(t.prompt).toBe('line one\nline two\nline three');
    expect(t.negativePrompt).toBe('');
    expect(t).toMatchObject({ steps: 30, sampler: 'DDIM', cfgScale: 4.5, seed: 7, width: 256, height: 128, model: 'm' });
    expect(t.params).toMatchObject({ 'Clip skip': '2', ENSD: '31337' });
  });

  it('keeps multi-line negative prompts together', () => {
    const t = parseInfotext('p\nNegative prompt: first\nsecond\nSteps: 1, Sampler: DDPM, CFG scale: 1, Seed: 0, Size: 64x64');
    expect(t.prompt).toBe('p');
    expect(t.negativePrompt).toBe('first\nsecond');
  });

  it('unquotes quoted values with commas, colons, escaped quotes and JSON', () => {
    const t = parseInfotext(
      'p\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 512x512, Lora hashes: "add_detail: 7c6bad76eb54, x: 1", Hashes: {"vae": "735e4c3a44"}, Note: "say \\"hi\\", ok", Model: "v1-5, pruned"',
    );
    expect(t.params['Lora hashes']).toBe('add_detail: 7c6bad76eb54, x: 1');
    expect(t.params['Note']).toBe('say "hi", ok');
    expect(t.model).toBe('v1-5, pruned');
    // an unquoted JSON value is cut at its first comma, as A1111 does
    expect(t.params['Hashes']).toBe('{"vae": "735e4c3a44"}');
  });

  it('treats a last line with fewer than three pairs as prompt text', () => {
    const t = parseInfotext('a photo\nstyle: noir, mood: dark');
    expect(t.prompt).toBe('a photo\nstyle: noir, mood: dark');
    expect(t.params).toEqual({});
    expect(t.steps).toBeUndefined();
  });

  it('round-trips what it writes, including non-Latin prompts and quoted model ids', () => {
    const text = formatInfotext({
      prompt: 'красный круг на белом фоне\nвторая строка',
      negativePrompt: 'размытый, шум',
      params: [
        ['Steps', 50],
        ['Sampler', 'DPM++ 2M'],
        ['CFG scale', 7.5],
        ['Seed', 4294967295],
        ['Size', '1024x1024'],
        ['Model', 'org/model: v2, final'],
      ],
    });
    const t = parseInfotext(text);
    expect(t).toMatchObject({
      prompt: 'красный круг на белом фоне\nвторая строка',
      negativePrompt: 'размытый, шум',
      steps: 50,
      sampler: 'DPM++ 2M',
      cfgScale: 7.5,
      seed: 4294967295,
      width: 1024,
      height: 1024,
      model: 'org/model: v2, final',
    });
  });

  it('maps A1111 sampler names back to ours', () => {
    expect(samplerFromA1111('DPM++ 2M')).toBe('dpmpp-2m');
    expect(samplerFromA1111('DDIM')).toBe('ddim');
    expect(samplerFromA1111('Euler a')).toBeUndefined();
  });
});

// infotext_utils.re_param as the parser used it before: the reference the scanner must agree with
const reParam = /\s*([\p{L}\p{N}_][\p{L}\p{N}_ \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)/gu;

describe('scanParams (the linear-time re_param)', () => {
  it("finds exactly the pairs A1111's regex finds, on random lines built from the tricky characters", () => {
    const alphabet = ['a', 'B', '7', '_', ' ', '-', '/', ':', ',', '"', '\\', 'é', '\t', '.', 'x', '😀', '𝐀', '\u3000', '\u00a0'];
    let state = 12345;
    const rand = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let n = 0; n < 3000; n++) {
      let line = '';
      const len = Math.floor(rand() * 40);
      for (let i = 0; i < len; i++) line += alphabet[Math.floor(rand() * alphabet.length)];
      const expected = [...line.matchAll(reParam)].map((m) => [m[1], m[2]]);
      expect(scanParams(line), JSON.stringify(line)).toEqual(expected);
    }
  });

  it('takes linear time on the input that makes the regex quadratic (a long key that never reaches ":")', () => {
    const hostile = `${'a '.repeat(100_000)}\nSteps${' x'.repeat(200_000)}`;
    const t0 = performance.now();
    const t = parseInfotext(hostile);
    const ms = performance.now() - t0;
    expect(t.params).toEqual({});
    // the regex is quadratic here (each of the 400 000 starts rescans the run to its end); one pass is not
    expect(ms).toBeLessThan(2000);
  });
});
