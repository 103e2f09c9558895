import { describe, expect, it } from 'vitest';
import { defaultEdgeUrl, loadSettings, maskKey, saveSettings, settingsFromUrl, storageKey, validateSettings } from './settings.ts';

function memoryStorage(): Storage {
  const m = new Map<string, string>();
  return { getItem: (k) => m.get(k) ?? null, setItem: (k, v) => void m.set(k, v), removeItem: (k) => void m.delete(k), clear: () => m.clear(), key: () => null, get length() { return m.size; } };
}

describe('settings', () => {
  it('round-trips through storage, normalising the URL, with defaults for missing or corrupt values', () => {
    const s = memoryStorage();
    expect(loadSettings(s)).toEqual({ edgeUrl: defaultEdgeUrl, apiKey: '' });
    saveSettings(s, { edgeUrl: ' http://127.0.0.1:8787/ ', apiKey: ' ik_abc ' });
    expect(loadSettings(s)).toEqual({ edgeUrl: 'http://127.0.0.1:8787', apiKey: 'ik_abc' });
    s.setItem(storageKey, '{not json');
    expect(loadSettings(s)).toEqual({ edgeUrl: defaultEdgeUrl, apiKey: '' });
  });

  it('takes ?key= and ?edge= from the URL and removes them', () => {
    expect(settingsFromUrl('http://127.0.0.1:3000/notebooks/x?key=ik_1&edge=http%3A%2F%2Fh%3A1%2F&tab=2#c3')).toEqual({
      found: { apiKey: 'ik_1', edgeUrl: 'http://h:1' },
      cleaned: '/notebooks/x?tab=2#c3',
    });
    expect(settingsFromUrl('http://127.0.0.1:3000/')).toEqual({ found: {}, cleaned: '/' });
  });

  it('validates the URL and key, naming the field', () => {
    expect(validateSettings({ edgeUrl: 'http://127.0.0.1:8787', apiKey: 'k' })).toEqual([]);
    expect(validateSettings({ edgeUrl: 'ftp://x', apiKey: '' }).map((e) => e.field)).toEqual(['edgeUrl', 'apiKey']);
    expect(validateSettings({ edgeUrl: 'http://x/v1', apiKey: 'k' }).map((e) => e.field)).toEqual(['edgeUrl']);
  });

  it('masks keys', () => {
    expect(maskKey('ik_abcdefghijkl_0123456789012345678901234567890123456789abc')).toBe('ik_abcdefghijkl_…bc');
    expect(maskKey('short')).toBe('•••••');
  });
});
