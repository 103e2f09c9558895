// Input hashing for cells and tasks. Outputs are addressed by the hash of the
// inputs that produced them, so it must be stable across key order, tabs and
// reloads: canonical JSON (sorted keys, no undefined) fed to SHA-256. Synchronous
// (noble, not Web Crypto) because staleness is computed while rendering.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

export type Canonical = string | number | boolean | null | readonly Canonical[] | { readonly [key: string]: Canonical | undefined };

/** JSON with object keys sorted and undefined members dropped; rejects values JSON cannot round-trip. */
export function canonicalJson(value: Canonical): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`canonicalJson: non-finite number ${value}`);
    // -0 and 0 must hash alike: JSON.stringify(-0) is "0" already.
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v: Canonical) => canonicalJson(v)).join(',')}]`;
  const obj = value as { readonly [key: string]: Canonical | undefined };
  const parts: string[] = [];
  for (const key of Object.keys(obj).sort()) {
    const v = obj[key];
    if (v === undefined) continue;
    parts.push(`${JSON.stringify(key)}:${canonicalJson(v)}`);
  }
  return `{${parts.join(',')}}`;
}

export function hashValue(value: Canonical): string {
  return bytesToHex(sha256(utf8ToBytes(canonicalJson(value))));
}

/** First 8 hex digits, for display only. */
export function shortHash(hash: string): string {
  return hash.slice(0, 8);
}
