import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import type { RuntimeFingerprint } from '../engine/types.ts';
import { infotextFor, pngText, readPngMetadata, type ImagenPngInfo } from '@imagen-ts/protocol';
import { decodePngRgb, encodePng } from './png.ts';
import { readChunks, textChunk } from '@imagen-ts/protocol';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function gradient(width: number, height: number): Uint8Array {
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * 3;
      rgb[p] = (x * 7) & 255;
      rgb[p + 1] = (y * 13) & 255;
      rgb[p + 2] = (x * y) & 255;
    }
  return rgb;
}

const fingerprint: RuntimeFingerprint = {
  engineVersion: '0.1.0',
  ortVersion: '1.30.0',
  provider: 'cpu',
  modelId: 'imagen-tiny',
  textEncoderSha256: 'a'.repeat(64),
  stageSha256: { base: 'b'.repeat(64), sr256: 'c'.repeat(64) },
  prng: 'philox4x32-10+box-muller',
};

function info(prompt: string, negativePrompt?: string): ImagenPngInfo {
  return {
    format: 'imagen-ts/1',
    request: { prompt, ...(negativePrompt === undefined ? {} : { negativePrompt }), seed: 41, n: 2, size: 256, stages: { base: { steps: 20 } } },
    image: { index: 1, seed: 42, width: 256, height: 256 },
    stages: [
      { name: 'base', resolution: 64, steps: 20, sampler: 'dpmpp-2m', guidance: 7 },
      { name: 'sr256', resolution: 256, steps: 10, sampler: 'ddim', guidance: 4, noiseAugmentation: 100 },
    ],
    fingerprint,
  };
}

const pil = '/usr/bin/python3';
const hasPil = existsSync(pil) && spawnSync(pil, ['-c', 'import PIL'], { encoding: 'utf8' }).status === 0;

describe('encodePng / decodePngRgb', () => {
  it('round-trips pixels and is byte-for-byte deterministic', () => {
    const rgb = gradient(37, 23);
    const a = encodePng({ width: 37, height: 23, rgb, text: { parameters: 'x' } });
    const b = encodePng({ width: 37, height: 23, rgb: rgb.slice(), text: { parameters: 'x' } });
    expect(sha(a)).toBe(sha(b));
    const back = decodePngRgb(a);
    expect(back.width).toBe(37);
    expect(back.height).toBe(23);
    expect(Buffer.from(back.rgb).equals(Buffer.from(rgb))).toBe(true);
  });

  it('pins the encoder output (fast-png + fflate at level 3): a change here changes every image hash', () => {
    const png = encodePng({ width: 8, height: 8, rgb: gradient(8, 8), text: { parameters: 'p\nSteps: 1' } });
    expect(sha(png)).toBe(GOLDEN_8X8);
  });

  it('rejects a pixel buffer of the wrong size, naming the field', () => {
    expect(() => encodePng({ width: 4, height: 4, rgb: new Uint8Array(10) })).toThrow(/rgb/);
    expect(() => encodePng({ width: 0, height: 4, rgb: new Uint8Array(0) })).toThrow(/width/);
  });

  it('writes Latin-1 text as tEXt (readable by fast-png) and other text as iTXt, before IDAT', () => {
    const png = encodePng({ width: 2, height: 2, rgb: new Uint8Array(12), text: { parameters: 'café', other: 'кот' } });
    const chunks = readChunks(png).map((c) => c.type);
    expect(chunks).toEqual(['IHDR', 'tEXt', 'iTXt', 'IDAT', 'IEND']);
    expect(decode(png).text).toEqual({ parameters: 'café' });
  });

  it('rejects bad keywords', () => {
    expect(() => textChunk('', 'x')).toThrow(/keyword/);
    expect(() => textChunk('ключ', 'x')).toThrow(/keyword/);
    expect(() => textChunk('k'.repeat(80), 'x')).toThrow(/keyword/);
  });
});

describe('readPngMetadata', () => {
  it('round-trips both chunks for an English prompt', async () => {
    const i = info('a red circle', 'blurry');
    const png = encodePng({ width: 4, height: 4, rgb: new Uint8Array(48), text: pngText(i) });
    const m = await readPngMetadata(png);
    expect(m.text['parameters']).toBe('a red circle\nNegative prompt: blurry\nSteps: 20, Sampler: DPM++ 2M, CFG scale: 7, Seed: 42, Size: 256x256, Model: imagen-tiny');
    expect(m.parameters).toMatchObject({ prompt: 'a red circle', negativePrompt: 'blurry', steps: 20, sampler: 'DPM++ 2M', cfgScale: 7, seed: 42, width: 256, height: 256, model: 'imagen-tiny' });
    expect(m.imagen).toEqual(i);
    expect(readChunks(png).filter((c) => c.type === 'tEXt')).toHaveLength(2);
  });

  it('round-trips a Russian multi-line prompt through iTXt', async () => {
    const i = info('красный круг, синий квадрат\nна белом фоне', 'размыто: шум');
    const png = encodePng({ width: 4, height: 4, rgb: new Uint8Array(48), text: pngText(i) });
    expect(readChunks(png).filter((c) => c.type === 'iTXt')).toHaveLength(2);
    const m = await readPngMetadata(png);
    expect(m.parameters?.prompt).toBe('красный круг, синий квадрат\nна белом фоне');
    expect(m.parameters?.negativePrompt).toBe('размыто: шум');
    expect(m.imagen?.request.prompt).toBe('красный круг, синий квадрат\nна белом фоне');
    expect(m.text['parameters']).toBe(infotextFor(i));
  });

  it('returns only the raw text for PNGs without our chunks', async () => {
    const png = encodePng({ width: 1, height: 1, rgb: new Uint8Array(3), text: { Software: 'gimp' } });
    expect(await readPngMetadata(png)).toEqual({ text: { Software: 'gimp' } });
  });

  it('names the problem in a corrupt or foreign imagen-ts chunk', async () => {
    const bad = encodePng({ width: 1, height: 1, rgb: new Uint8Array(3), text: { 'imagen-ts': '{"format":"imagen-ts/1"}' } });
    await expect(readPngMetadata(bad)).rejects.toThrow(/imagen-ts chunk: request/);
    const notJson = encodePng({ width: 1, height: 1, rgb: new Uint8Array(3), text: { 'imagen-ts': '{' } });
    await expect(readPngMetadata(notJson)).rejects.toThrow(/not valid JSON/);
  });

  it('detects a flipped bit in a text chunk (CRC) and truncation', async () => {
    const png = encodePng({ width: 1, height: 1, rgb: new Uint8Array(3), text: { parameters: 'hello' } });
    const flipped = png.slice();
    const at = 8 + 25 + 8 + 12; // inside the tEXt data
    flipped[at] = (flipped[at] ?? 0) ^ 1;
    await expect(readPngMetadata(flipped)).rejects.toThrow(/CRC mismatch in chunk tEXt/);
    await expect(readPngMetadata(png.subarray(0, png.length - 6))).rejects.toThrow(/truncated/);
    await expect(readPngMetadata(new Uint8Array([1, 2, 3]))).rejects.toThrow(/not a PNG/);
  });
});

describe.skipIf(!hasPil)('interoperability with Pillow (what AUTOMATIC1111 uses)', () => {
  it('Pillow reads our tEXt and iTXt chunks', () => {
    const i = info('кот в шляпе', 'dog');
    const png = encodePng({ width: 4, height: 4, rgb: new Uint8Array(48), text: pngText(i) });
    const r = spawnSync(pil, ['-c', 'import sys, io, json; from PIL import Image; im = Image.open(io.BytesIO(sys.stdin.buffer.read())); print(json.dumps(im.info, ensure_ascii=True))'], {
      input: png,
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    const seen = JSON.parse(r.stdout) as Record<string, string>;
    expect(seen['parameters']).toBe(infotextFor(i));
    expect(JSON.parse(seen['imagen-ts'] ?? '')).toEqual(i);
  });

  it('we read a PNG saved the way A1111 saves one (PngInfo.add_text)', async () => {
    const script = [
      'import sys, io',
      'from PIL import Image, PngImagePlugin',
      'info = PngImagePlugin.PngInfo()',
      'info.add_text("parameters", "девушка в берете\\nNegative prompt: ugly\\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 965400086, Size: 512x512, Model hash: 45dee52b")',
      'info.add_text("Software", "webui")',
      'buf = io.BytesIO(); Image.new("RGB", (8, 8), (10, 20, 30)).save(buf, "PNG", pnginfo=info)',
      'sys.stdout.buffer.write(buf.getvalue())',
    ].join('\n');
    const r = spawnSync(pil, ['-c', script]);
    expect(r.status, r.stderr.toString()).toBe(0);
    const png = new Uint8Array(r.stdout);
    expect(readChunks(png).map((c) => c.type)).toContain('iTXt');
    const m = await readPngMetadata(png);
    expect(m.text['Software']).toBe('webui');
    expect(m.parameters).toMatchObject({ prompt: 'девушка в берете', negativePrompt: 'ugly', sampler: 'Euler a', seed: 965400086, width: 512 });
    expect(m.imagen).toBeUndefined();
    expect(decodePngRgb(png).rgb.subarray(0, 3)).toEqual(Uint8Array.of(10, 20, 30));
  });

  it('we read zTXt and compressed iTXt', async () => {
    const script = [
      'import sys, io',
      'from PIL import Image, PngImagePlugin',
      'info = PngImagePlugin.PngInfo()',
      'info.add_text("a", "latin " * 50, zip=True)',
      'info.add_itxt("b", "юникод " * 50, zip=True)',
      'buf = io.BytesIO(); Image.new("L", (3, 3), 128).save(buf, "PNG", pnginfo=info)',
      'sys.stdout.buffer.write(buf.getvalue())',
    ].join('\n');
    const r = spawnSync(pil, ['-c', script]);
    expect(r.status, r.stderr.toString()).toBe(0);
    const png = new Uint8Array(r.stdout);
    expect(readChunks(png).map((c) => c.type)).toEqual(expect.arrayContaining(['zTXt', 'iTXt']));
    const m = await readPngMetadata(png);
    expect(m.text['a']).toBe('latin '.repeat(50));
    expect(m.text['b']).toBe('юникод '.repeat(50));
    expect(decodePngRgb(png).rgb).toEqual(new Uint8Array(27).fill(128));
  });
});

const GOLDEN_8X8 = '2533e2f20bcfc748557c7a088d35af9ea713b9e7c9821cb4b389b20da54c0fcc';
