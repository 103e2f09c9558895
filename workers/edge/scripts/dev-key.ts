// Makes sure .local/dev-api-key holds a working local API key (all scopes), for
// the start command, the notebook and the integration tests. Prints its path.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { generateApiKey, insertKeySql, keyIdOf, sha256HexOf } from '../src/keys.ts';
import { d1, devKeyFile, migrate } from './local.ts';

export async function ensureDevKey(): Promise<string> {
  migrate();
  if (existsSync(devKeyFile)) {
    const key = readFileSync(devKeyFile, 'utf8').trim();
    const id = keyIdOf(key);
    // still valid in this D1? (the state folder may have been wiped)
    if (id !== undefined && d1(`SELECT id FROM api_keys WHERE key_hash = '${await sha256HexOf(key)}' AND revoked_at IS NULL`).length === 1) return devKeyFile;
  }
  const k = await generateApiKey();
  d1(insertKeySql(k, 'local dev', ['generate', 'notebooks', 'admin'], 600));
  writeFileSync(devKeyFile, `${k.key}\n`, { mode: 0o600 });
  return devKeyFile;
}

if (import.meta.main) process.stdout.write(`${await ensureDevKey()}\n`);
