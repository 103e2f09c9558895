// AUTOMATIC1111's "parameters" text (its "infotext"), written and read exactly
// as stable-diffusion-webui does: modules/processing.py create_infotext and
// modules/infotext_utils.py quote / unquote / parse_generation_parameters.
// The reader takes untrusted text (any uploaded PNG), so it scans each line once:
// no backtracking regex, time linear in the text's length.
import type { SamplerName } from './limits.ts';

/** Our sampler names → the names A1111 shows for the same algorithms. */
export const a1111SamplerNames: Record<SamplerName, string> = { ddpm: 'DDPM', ddim: 'DDIM', 'dpmpp-2m': 'DPM++ 2M' };

export function samplerFromA1111(name: string): SamplerName | undefined {
  for (const [ours, theirs] of Object.entries(a1111SamplerNames)) if (theirs === name) return ours as SamplerName;
  return undefined;
}

/** infotext_utils.quote: JSON-quote a value that holds ',', ':' or a newline (json.dumps(ensure_ascii=False)). */
export function quote(value: string): string {
  return /[,:\n]/.test(value) ? JSON.stringify(value) : value;
}

/** infotext_utils.unquote */
export function unquote(text: string): string {
  if (text.length === 0 || !text.startsWith('"') || !text.endsWith('"')) return text;
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'string' ? v : text;
  } catch {
    return text;
  }
}

export interface InfotextInput {
  prompt: string;
  negativePrompt?: string;
  /** in order; undefined values are left out, as A1111 drops None */
  params: ReadonlyArray<readonly [string, string | number | undefined]>;
}

/** create_infotext: `<prompt>\nNegative prompt: <neg>\n<k: v, k: v, …>`, stripped. */
export function formatInfotext({ prompt, negativePrompt, params }: InfotextInput): string {
  const line = params
    .filter((p): p is readonly [string, string | number] => p[1] !== undefined)
    .map(([k, v]) => `${k}: ${quote(String(v))}`)
    .join(', ');
  const neg = negativePrompt ? `\nNegative prompt: ${negativePrompt}` : '';
  return `${prompt}${neg}\n${line}`.trim();
}

const reImageSize = /^(\d+)x(\d+)$/;
// infotext_utils.re_param's character classes, with Python's Unicode \w spelled out for JS
const keyStartRe = /[\p{L}\p{N}_]/u;
const keyCharRe = /[\p{L}\p{N}_ \-/]/u;
const spaceRe = /\s/u;

// The scan walks the string's UTF-16 units, testing ASCII against a table and only the
// rest against the Unicode-property regexes: splitting a 1 MiB line into code points and
// testing each with a regex took ~0.25 s, long enough to stall the edge's isolate.
const asciiTable = (re: RegExp) => Uint8Array.from({ length: 128 }, (_, c) => (re.test(String.fromCharCode(c)) ? 1 : 0));
const keyStartAscii = asciiTable(keyStartRe);
const keyCharAscii = asciiTable(keyCharRe);
const spaceAscii = asciiTable(spaceRe);
const inClass = (table: Uint8Array, re: RegExp, cp: number | undefined): boolean =>
  cp !== undefined && (cp < 128 ? table[cp] === 1 : re.test(String.fromCodePoint(cp)));
/** UTF-16 units of the code point */
const width = (cp: number | undefined) => (cp !== undefined && cp > 0xffff ? 2 : 1);

function skipSpaces(line: string, from: number): number {
  let i = from;
  // JS \s holds no astral code point: testing UTF-16 units is exact
  while (i < line.length && inClass(spaceAscii, spaceRe, line.charCodeAt(i))) i++;
  return i;
}

/** end of a JSON-style quoted value starting at `from` (a '"'), or -1: `"(?:\\.|[^\\"])+"` */
function quotedEnd(line: string, from: number): number {
  let i = from + 1;
  while (i < line.length) {
    const c = line.charCodeAt(i);
    if (c === 0x5c) {
      if (i + 1 >= line.length) return -1;
      i += 1 + width(line.codePointAt(i + 1));
    } else if (c === 0x22) {
      return i > from + 1 ? i + 1 : -1;
    } else i++;
  }
  return -1;
}

/**
 * The key: value pairs of A1111's last infotext line, as re.findall(re_param, line) finds
 * them: `\s*(key):\s*("quoted"|[^,]*)(?:,|$)` matched left to right. One pass: a key that
 * runs into a non-key character other than ':' fails for every start inside it, so the
 * scan resumes after it instead of retrying each start (the regex's quadratic case).
 */
export function scanParams(line: string): Array<[string, string]> {
  const n = line.length;
  const out: Array<[string, string]> = [];
  let p = 0;
  while (p < n) {
    const i = skipSpaces(line, p);
    if (i >= n) break;
    const first = line.codePointAt(i);
    if (!inClass(keyStartAscii, keyStartRe, first)) {
      p = i + width(first);
      continue;
    }
    let k = i + width(first);
    let keyLength = 1;
    for (let cp = line.codePointAt(k); k < n && inClass(keyCharAscii, keyCharRe, cp); cp = line.codePointAt(k)) {
      k += width(cp);
      keyLength++;
    }
    if (keyLength < 2 || line.charCodeAt(k) !== 0x3a) {
      // every start in (i, k) reaches the same character k, which is not ':'
      p = k;
      continue;
    }
    const v = skipSpaces(line, k + 1);
    let end = -1;
    if (line.charCodeAt(v) === 0x22) {
      const q = quotedEnd(line, v);
      if (q >= 0 && (q === n || line.charCodeAt(q) === 0x2c)) end = q;
    }
    if (end < 0) {
      end = line.indexOf(',', v);
      if (end < 0) end = n;
    }
    out.push([line.slice(i, k), line.slice(v, end)]);
    p = end < n ? end + 1 : end;
  }
  return out;
}

export interface Infotext {
  prompt: string;
  /** "" when the text has none */
  negativePrompt: string;
  /** every key: value pair of the last line, unquoted, in order */
  params: Record<string, string>;
  steps?: number;
  sampler?: string;
  cfgScale?: number;
  seed?: number;
  width?: number;
  height?: number;
  model?: string;
}

function num(v: string | undefined, integer: boolean): number | undefined {
  if (v === undefined || !/^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(v.trim())) return undefined;
  const n = Number(v);
  return integer && !Number.isInteger(n) ? undefined : n;
}

/** parse_generation_parameters, without the webui's UI defaults. */
export function parseInfotext(text: string): Infotext {
  const lines = text.trim().split('\n');
  let lastLine = lines.pop() ?? '';
  let pairs = scanParams(lastLine);
  if (pairs.length < 3) {
    lines.push(lastLine);
    lastLine = '';
    pairs = [];
  }
  let prompt = '';
  let negativePrompt = '';
  let doneWithPrompt = false;
  for (const raw of lines) {
    let line = raw.trim();
    if (line.startsWith('Negative prompt:')) {
      doneWithPrompt = true;
      line = line.slice(16).trim();
    }
    if (doneWithPrompt) negativePrompt += (negativePrompt === '' ? '' : '\n') + line;
    else prompt += (prompt === '' ? '' : '\n') + line;
  }
  const params: Record<string, string> = {};
  for (const [key, v] of pairs) {
    // A1111 indexes v[0] and drops the pair (an IndexError it logs) when the value is empty
    if (v === '') continue;
    params[key] = v.startsWith('"') && v.endsWith('"') ? unquote(v) : v;
  }
  const out: Infotext = { prompt, negativePrompt, params };
  const steps = num(params['Steps'], true);
  if (steps !== undefined) out.steps = steps;
  if (params['Sampler'] !== undefined) out.sampler = params['Sampler'];
  const cfg = num(params['CFG scale'], false);
  if (cfg !== undefined) out.cfgScale = cfg;
  const seed = num(params['Seed'], true);
  if (seed !== undefined) out.seed = seed;
  const size = reImageSize.exec(params['Size'] ?? '');
  if (size) {
    out.width = Number(size[1]);
    out.height = Number(size[2]);
  }
  if (params['Model'] !== undefined) out.model = params['Model'];
  return out;
}
