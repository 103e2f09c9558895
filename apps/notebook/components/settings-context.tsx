'use client';
// The edge URL + API key for this browser, and the client built from them.
import Link from 'next/link';
import type { ReactNode } from 'react';
import { createContext, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import type { DevConfig } from '../lib/dev-config.ts';
import type { EdgeClient } from '../lib/edge-client.ts';
import { createEdgeClient } from '../lib/edge-client.ts';
import type { Settings } from '../lib/settings.ts';
import { loadSettings, saveSettings, settingsFromUrl, storageKey } from '../lib/settings.ts';

interface SettingsValue {
  /** null until read from this browser (never during server rendering) */
  settings: Settings | null;
  client: EdgeClient | null;
  update: (s: Settings) => void;
}

const SettingsContext = createContext<SettingsValue | null>(null);

async function devConfig(): Promise<DevConfig | null> {
  try {
    const res = await fetch('/api/dev-config', { cache: 'no-store' });
    return res.ok ? ((await res.json()) as DevConfig) : null;
  } catch {
    return null;
  }
}

export function SettingsProvider({ children }: { children: ReactNode }) {
  const [settings, setSettings] = useState<Settings | null>(null);

  useEffect(() => {
    let cancelled = false;
    let s = loadSettings(localStorage);
    const { found, cleaned } = settingsFromUrl(window.location.href);
    if (found.apiKey !== undefined || found.edgeUrl !== undefined) {
      s = { ...s, ...found };
      saveSettings(localStorage, s);
      // The key must not stay in the address bar, history or a copied link.
      window.history.replaceState(window.history.state, '', cleaned);
    }
    if (s.apiKey) {
      setSettings(s);
    } else {
      void devConfig().then((dev) => {
        if (cancelled) return;
        if (dev?.apiKey) {
          s = { edgeUrl: dev.edgeUrl || s.edgeUrl, apiKey: dev.apiKey };
          saveSettings(localStorage, s);
        }
        setSettings(s);
      });
    }
    const onStorage = (e: StorageEvent) => {
      if (e.key === storageKey) setSettings(loadSettings(localStorage));
    };
    window.addEventListener('storage', onStorage);
    return () => {
      cancelled = true;
      window.removeEventListener('storage', onStorage);
    };
  }, []);

  const update = useCallback((s: Settings) => {
    saveSettings(localStorage, s);
    setSettings(loadSettings(localStorage));
  }, []);

  const client = useMemo(() => (settings?.apiKey ? createEdgeClient({ baseUrl: settings.edgeUrl, apiKey: settings.apiKey }) : null), [settings]);
  const value = useMemo(() => ({ settings, client, update }), [settings, client, update]);
  return <SettingsContext.Provider value={value}>{children}</SettingsContext.Provider>;
}

export function useSettings(): SettingsValue {
  const v = useContext(SettingsContext);
  if (!v) throw new Error('useSettings outside SettingsProvider');
  return v;
}

/** Renders children with a client, or says why there is none. */
export function WithClient({ children }: { children: (client: EdgeClient) => ReactNode }) {
  const { settings, client } = useSettings();
  if (!settings) return <p className="muted" role="status">Loading settings…</p>;
  if (!client) {
    return (
      <div className="notice" role="alert">
        <p>No API key is set for this browser.</p>
        <p>
          <Link href="/settings">Open Settings</Link> to enter the edge URL and your key, or open the notebook through <code>scripts/start.sh</code>, which configures it for you.
        </p>
      </div>
    );
  }
  return <>{children(client)}</>;
}
