// Prints the signature headers for one runner request, one curl argument per
// line, so a shell can sign with the runner's own implementation:
//   mapfile -t SIG < <(node gpu-runner/src/service/sign-headers.ts POST /v1/jobs job.json)
//   curl -X POST http://127.0.0.1:8790/v1/jobs "${SIG[@]}" -H 'content-type: application/json' --data-binary @job.json
// The key is the first `id:secret` line of RUNNER_KEYS_FILE (default .local/runner-keys.txt);
// the signature names the runner at RUNNER_URL (default http://127.0.0.1:8790) and its
// RUNNER_ID (default: that URL's host:port, what a runner without RUNNER_ID answers to).
import { readFileSync } from 'node:fs';
import { devKeysFile } from './dev-keys.ts';
import { signRequest } from '@imagen-ts/protocol';

const [method, path, bodyFile] = process.argv.slice(2);
if (!method || !path?.startsWith('/')) {
  process.stderr.write('usage: node gpu-runner/src/service/sign-headers.ts METHOD /path [BODY_FILE]\n');
  process.exit(2);
}
const keysFile = process.env.RUNNER_KEYS_FILE ?? devKeysFile;
const line = readFileSync(keysFile, 'utf8').split('\n').find((l) => l.includes(':'));
if (!line) {
  process.stderr.write(`sign-headers: ${keysFile} holds no "id:secret" line\n`);
  process.exit(2);
}
const colon = line.indexOf(':');
const headers = await signRequest(
  { keyId: line.slice(0, colon).trim(), secret: line.slice(colon + 1).trim() },
  { method, path, host: new URL(process.env.RUNNER_URL ?? 'http://127.0.0.1:8790').host, ...(process.env.RUNNER_ID ? { target: process.env.RUNNER_ID } : {}), body: bodyFile ? new Uint8Array(readFileSync(bodyFile)) : undefined },
);
for (const [name, value] of Object.entries(headers)) process.stdout.write(`-H\n${name}: ${value}\n`);
