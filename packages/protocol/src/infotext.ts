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
const keyStart = /[\p{L}\p{N}_]/u;
const keyChar = /[\p{L}\p{N}_ \-/]/u;
const space = /\s/u;

/** end of a JSON-style quoted value starting at `from` (a '"'), or -1: `"(?:\\.|[^\\"])+"` */
function quotedEnd(chars: readonly string[], from: number): number {
  let i = from + 1;
  while (i < chars.length) {
    const ch = chars[i];
    if (ch === '\\') {
      if (i + 1 >= chars.length) return -1;
      i += 2;
    } else if (ch === '"') {
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
  const chars = Array.from(line);
  const out: Array<[string, string]> = [];
  let p = 0;
  while (p < chars.length) {
    let i = p;
    while (i < chars.length && space.test(chars[i] ?? '')) i++;
    if (i >= chars.length) break;
    if (!keyStart.test(chars[i] ?? '')) {
      p = i + 1;
      continue;
    }
    let k = i + 1;
    while (k < chars.length && keyChar.test(chars[k] ?? '')) k++;
    if (k - i < 2 || chars[k] !== ':') {
      // every start in (i, k) reaches the same character k, which is not ':'
      p = Math.max(k, i + 1);
      continue;
    }
    let v = k + 1;
    while (v < chars.length && space.test(chars[v] ?? '')) v++;
    let end = -1;
    if (chars[v] === '"') {
      const q = quotedEnd(chars, v);
      if (q >= 0 && (q === chars.length || chars[q] === ',')) end = q;
    }
    if (end < 0) {
      end = v;
      while (end < chars.length && chars[end] !== ',') end++;
    }
    out.push([chars.slice(i, k).join(''), chars.slice(v, end).join('')]);
    p = end < chars.length ? end + 1 : end;
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
