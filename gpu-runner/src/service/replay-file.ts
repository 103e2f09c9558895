// The runner's replay set on disk, so a restart cannot reopen the signature window:
// a nonce accepted before the restart is still refused after it. One line per
// accepted nonce, "<expires unix s> <keyId:nonce>", appended synchronously before
// the request is served (it reaches the kernel before the response is written, so
// a SIGKILL loses nothing; a power cut can lose the last page, and a machine that
// reboots takes longer than the window anyway). Bounded: at most maxEntries live
// entries, expired ones pruned on open and whenever the file has grown to twice
// the live set, by rewriting it (write to a temp file, rename).
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ReplayStore } from '@imagen-ts/protocol';

export interface FileReplayStore extends ReplayStore {
  /** live entries held (for tests and metrics) */
  size(): number;
  close(): void;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

function readEntries(file: string, now: number): Map<string, number> {
  const live = new Map<string, number>();
  if (!existsSync(file)) return live;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const space = line.indexOf(' ');
    if (space < 1) continue; // a torn last line after a crash is skipped, not fatal
    const expires = Number(line.slice(0, space));
    if (Number.isInteger(expires) && expires >= now) live.set(line.slice(space + 1), expires);
  }
  return live;
}

export function createFileReplayStore(opts: { file: string; maxEntries?: number; now?: () => number }): FileReplayStore {
  const maxEntries = opts.maxEntries ?? 100_000;
  const now = opts.now ?? nowSeconds;
  mkdirSync(dirname(opts.file), { recursive: true });
  const live = readEntries(opts.file, now());
  let lines = 0;
  let fd = -1;

  function rewrite(): void {
    if (fd >= 0) closeSync(fd);
    const tmp = `${opts.file}.tmp`;
    writeFileSync(tmp, [...live].map(([k, e]) => `${e} ${k}\n`).join(''), { mode: 0o600 });
    renameSync(tmp, opts.file);
    fd = openSync(opts.file, 'a', 0o600);
    lines = live.size;
  }

  function prune(t: number): void {
    for (const [k, expires] of live) if (expires < t) live.delete(k);
  }

  rewrite();
  return {
    has: (key, t) => (live.get(key) ?? -Infinity) >= t,
    add(key, expiresAt, t) {
      if (live.size >= maxEntries) prune(t);
      if (live.size >= maxEntries) return false;
      live.set(key, expiresAt);
      writeSync(fd, `${expiresAt} ${key}\n`);
      lines++;
      if (lines > 2 * live.size + 1024) {
        prune(t);
        rewrite();
      }
      return true;
    },
    size: () => live.size,
    close() {
      if (fd >= 0) closeSync(fd);
      fd = -1;
    },
  };
}
