// Local development only: makes sure .local/runner-keys.txt holds a signing key
// (`dev:<random hex>`, mode 0600) and prints the file's absolute path, for
// `npm run start -w gpu-runner` to pass as RUNNER_KEYS_FILE. Never prints the secret.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const devKeysFile = resolve(dirname(fileURLToPath(import.meta.url)), '../../../.local/runner-keys.txt');

export function ensureDevKeys(file = devKeysFile): string {
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `dev:${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  }
  return file;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.stdout.write(`${ensureDevKeys()}\n`);
