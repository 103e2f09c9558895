// The notebook server's configuration: the one module that reads process.env.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { defaultEdgeUrl } from './settings.ts';

export interface ServerConfig {
  /** where the start script wrote the local dev API key; undefined disables the hand-off */
  devKeyFile: string | undefined;
  /** the edge URL a fresh browser is pointed at */
  edgeUrl: string;
}

export function serverConfig(): ServerConfig {
  const env = process.env;
  const edgeUrl = env.NOTEBOOK_EDGE_URL?.trim() || defaultEdgeUrl;
  // Set but empty: the hand-off is switched off.
  if (env.NOTEBOOK_DEV_KEY_FILE !== undefined) return { devKeyFile: env.NOTEBOOK_DEV_KEY_FILE.trim() || undefined, edgeUrl };
  // `next start` runs in apps/notebook; the repo root holds .local/.
  const candidates = [resolve(process.cwd(), '.local/dev-api-key'), resolve(process.cwd(), '../../.local/dev-api-key')];
  return { devKeyFile: candidates.find((p) => existsSync(p)) ?? candidates[1], edgeUrl };
}
