// What the attack run sends: the inspect payloads of issue 15 (long colon-less
// `parameters` text, a zTXt bomb), a deeply nested notebook, and bad API keys.
import { deflateSync } from 'node:zlib';
import { frameChunk, insertAfterIhdr } from '@imagen-ts/protocol';
import { encodePng } from '../../gpu-runner/src/png/png.ts';
import { generateApiKey } from '../../workers/edge/src/keys.ts';

const latin1 = new TextEncoder();

function tinyPng(text: Record<string, string> = {}): Uint8Array {
  return encodePng({ width: 2, height: 2, rgb: new Uint8Array(12).fill(90), text });
}

/** a PNG whose `parameters` tEXt is `letters` letters and no colon (quadratic for a backtracking reader) */
export function colonlessParametersPng(letters: number): Uint8Array {
  return tinyPng({ parameters: 'a'.repeat(letters) });
}

/** a PNG with a zTXt `parameters` chunk inflating to `inflatedBytes` (about 1/1000 of that on the wire) */
export function ztxtBombPng(inflatedBytes: number): Uint8Array {
  const keyword = latin1.encode('parameters');
  const packed = deflateSync(Buffer.alloc(inflatedBytes, 0x61), { level: 9 });
  const data = new Uint8Array(keyword.length + 2 + packed.length);
  data.set(keyword, 0);
  data[keyword.length] = 0; // keyword terminator
  data[keyword.length + 1] = 0; // compression method 0 (zlib)
  data.set(packed, keyword.length + 2);
  return insertAfterIhdr(tinyPng(), [frameChunk('zTXt', data)]);
}

/** `{"title", "content": [[[…]]]}` nested `depth` deep, as JSON text */
export function deepNotebookJson(depth: number): string {
  return `{"title":"deep","content":${'['.repeat(depth)}${']'.repeat(depth)}}`;
}

/** Authorization headers that must all be refused: missing, malformed, well-formed but unknown */
export async function badAuthHeaders(n: number): Promise<Record<string, string>[]> {
  const out: Record<string, string>[] = [];
  for (let i = 0; i < n; i++) {
    const kind = i % 4;
    if (kind === 0) out.push({});
    else if (kind === 1) out.push({ Authorization: `Bearer not-a-key-${i}` });
    else if (kind === 2) out.push({ Authorization: `Basic ${Buffer.from(`u${i}:p`).toString('base64')}` });
    else out.push({ Authorization: `Bearer ${(await generateApiKey()).key}` });
  }
  return out;
}
