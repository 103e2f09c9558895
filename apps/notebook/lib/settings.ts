// Where the notebook finds the edge: URL and API key, kept in this browser's
// localStorage. `?key=` / `?edge=` on any page (what the start script opens)
// pre-configure it and are then removed from the address bar.
import type { FieldError } from './cells.ts';

export interface Settings {
  edgeUrl: string;
  apiKey: string;
}

export const defaultEdgeUrl = 'http://127.0.0.1:8787';
export const storageKey = 'imagen-ts.notebook.settings';

export function loadSettings(storage: Pick<Storage, 'getItem'>): Settings {
  try {
    const raw = storage.getItem(storageKey);
    const v = raw ? (JSON.parse(raw) as Partial<Settings>) : {};
    return {
      edgeUrl: typeof v.edgeUrl === 'string' && v.edgeUrl ? v.edgeUrl : defaultEdgeUrl,
      apiKey: typeof v.apiKey === 'string' ? v.apiKey : '',
    };
  } catch {
    return { edgeUrl: defaultEdgeUrl, apiKey: '' };
  }
}

export function saveSettings(storage: Pick<Storage, 'setItem'>, s: Settings): void {
  storage.setItem(storageKey, JSON.stringify({ edgeUrl: normalizeEdgeUrl(s.edgeUrl), apiKey: s.apiKey.trim() }));
}

export function normalizeEdgeUrl(url: string): string {
  return url.trim().replace(/\/+$/, '');
}

export function validateSettings(s: Settings): FieldError[] {
  const errors: FieldError[] = [];
  let url: URL | undefined;
  try {
    url = new URL(normalizeEdgeUrl(s.edgeUrl));
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.pathname !== '/' || url.search) {
    errors.push({ field: 'edgeUrl', message: 'edge URL must be an http(s) origin such as http://127.0.0.1:8787' });
  }
  if (s.apiKey.trim() === '') errors.push({ field: 'apiKey', message: 'API key is required (Authorization: Bearer <key>)' });
  return errors;
}

/** Settings carried in a URL's query, and the URL without them. */
export function settingsFromUrl(href: string): { found: Partial<Settings>; cleaned: string } {
  const url = new URL(href);
  const found: Partial<Settings> = {};
  const key = url.searchParams.get('key');
  const edge = url.searchParams.get('edge');
  if (key) found.apiKey = key;
  if (edge) found.edgeUrl = normalizeEdgeUrl(edge);
  url.searchParams.delete('key');
  url.searchParams.delete('edge');
  return { found, cleaned: url.pathname + url.search + url.hash };
}

/** A key shown on screen: its public id and a hint of the rest. */
export function maskKey(key: string): string {
  if (key.length <= 12) return '•'.repeat(key.length);
  return `${key.slice(0, 16)}…${key.slice(-2)}`;
}
