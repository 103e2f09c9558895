// AUTOMATIC1111's "parameters" text (its "infotext"), written and read exactly
// as stable-diffusion-webui does: modules/processing.py create_infotext and
// modules/infotext_utils.py quote / unquote / parse_generation_parameters.
import type { SamplerName } from '../manifest/schema.ts';

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

// infotext_utils.re_param, with Python's Unicode \w spelled out for JS.
const reParam = /\s*([\p{L}\p{N}_][\p{L}\p{N}_ \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)/gu;
const reImageSize = /^(\d+)x(\d+)$/;

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
  if ([...lastLine.matchAll(reParam)].length < 3) {
    lines.push(lastLine);
    lastLine = '';
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
  for (const m of lastLine.matchAll(reParam)) {
    const key = m[1] ?? '';
    const v = m[2] ?? '';
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
