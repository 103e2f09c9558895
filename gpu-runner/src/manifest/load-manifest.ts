// Loads <dir>/manifest.json: schema validation, file existence, sha256.
// Hashes are streamed (IF's weights are several GB) and cached per
// path + mtime + size, so a service reloading the same folder hashes once.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { z } from 'zod';
import { Manifest } from './schema.ts';

export type ManifestErrorCode = 'MANIFEST_NOT_FOUND' | 'MANIFEST_INVALID' | 'MODEL_FILE_MISSING' | 'SHA256_MISMATCH';

export class ManifestError extends Error {
  readonly code: ManifestErrorCode;
  constructor(code: ManifestErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ManifestError';
    this.code = code;
  }
}

export interface LoadedManifest {
  /** absolute model folder */
  dir: string;
  manifest: Manifest;
  /** absolute paths of the referenced files */
  files: { tokenizer: string; textEncoder: string; stages: Record<string, string> };
}

export interface LoadManifestOptions {
  /** 'sha256' (default): existence + hash; 'exists': existence only; 'none': schema only */
  verify?: 'sha256' | 'exists' | 'none';
}

/** "path.to.field: message" per issue; zod's enum messages already list the allowed values. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues.map((i) => `  - ${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('\n');
}

const hashCache = new Map<string, { mtimeMs: number; size: number; sha256: string }>();

/** sha256 of a file, streamed; cached by path, mtime and size. */
export async function sha256File(path: string): Promise<string> {
  const st = await stat(path);
  const hit = hashCache.get(path);
  if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit.sha256;
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 22 })) hash.update(chunk as Buffer);
  const sha256 = hash.digest('hex');
  hashCache.set(path, { mtimeMs: st.mtimeMs, size: st.size, sha256 });
  return sha256;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

export async function loadManifest(modelDir: string, options: LoadManifestOptions = {}): Promise<LoadedManifest> {
  const dir = resolve(modelDir);
  const manifestPath = join(dir, 'manifest.json');
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(manifestPath, 'utf8'));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new ManifestError('MANIFEST_NOT_FOUND', `no manifest.json in ${dir}`, { cause: e });
    throw new ManifestError('MANIFEST_INVALID', `${manifestPath} is not valid JSON: ${err.message}`, { cause: e });
  }
  const parsed = Manifest.safeParse(raw);
  if (!parsed.success) throw new ManifestError('MANIFEST_INVALID', `${manifestPath} is invalid:\n${formatIssues(parsed.error.issues)}`);
  const manifest = parsed.data;

  const stageFiles: Record<string, string> = {};
  for (const s of manifest.stages) stageFiles[s.name] = join(dir, s.onnx);
  const files = { tokenizer: join(dir, manifest.textEncoder.tokenizer), textEncoder: join(dir, manifest.textEncoder.onnx), stages: stageFiles };

  const verify = options.verify ?? 'sha256';
  if (verify === 'none') return { dir, manifest, files };

  // [what, relative name, absolute path, expected sha256 | undefined]
  const checks: Array<[string, string, string, string | undefined]> = [
    ['textEncoder.tokenizer', manifest.textEncoder.tokenizer, files.tokenizer, undefined],
    ['textEncoder.onnx', manifest.textEncoder.onnx, files.textEncoder, manifest.textEncoder.sha256],
    ...manifest.stages.map((s, i): [string, string, string, string] => [`stages.${i}.onnx (${s.name})`, s.onnx, join(dir, s.onnx), s.sha256]),
  ];
  const missing = [];
  for (const [field, rel, abs] of checks) if (!(await isFile(abs))) missing.push(`${rel} (${field})`);
  if (missing.length) {
    throw new ManifestError(
      'MODEL_FILE_MISSING',
      `model "${manifest.id}" in ${dir} is missing ${missing.length === 1 ? 'a file' : `${missing.length} files`}: ${missing.join(', ')}. ` +
        `Download or convert the weights into that folder${(await isFile(join(dir, 'README.md'))) ? ` (see ${join(dir, 'README.md')})` : ''}.`,
    );
  }
  if (verify === 'sha256') {
    for (const [field, rel, abs, expected] of checks) {
      if (!expected) continue;
      const got = await sha256File(abs);
      if (got !== expected) {
        throw new ManifestError('SHA256_MISMATCH', `sha256 mismatch for ${rel} (${field}): expected ${expected} got ${got}`);
      }
    }
  }
  return { dir, manifest, files };
}
