// The on-disk replay set: survives a reopen, drops expired lines, stays bounded,
// tolerates a torn last line.
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createFileReplayStore } from './replay-file.ts';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('createFileReplayStore', () => {
  it('keeps live nonces across a reopen and prunes expired ones', () => {
    dir = mkdtempSync(join(tmpdir(), 'replay-'));
    const file = join(dir, 'sub', 'replay.log');
    let now = 1000;
    const a = createFileReplayStore({ file, now: () => now });
    expect(a.add('k:old', 1010, now)).toBe(true);
    expect(a.add('k:new', 1300, now)).toBe(true);
    a.close();
    appendFileSync(file, '1300 k:tor'); // a torn last line: no newline, still parsed; garbage lines are skipped
    appendFileSync(file, '\ngarbage\n');
    now = 1100;
    const b = createFileReplayStore({ file, now: () => now });
    expect(b.has('k:old', now)).toBe(false);
    expect(b.has('k:new', now)).toBe(true);
    expect(b.has('k:tor', now)).toBe(true);
    expect(b.size()).toBe(2);
    // reopening rewrote the file with the live entries only
    expect(readFileSync(file, 'utf8').split('\n').filter(Boolean).sort()).toEqual(['1300 k:new', '1300 k:tor']);
    b.close();
  });

  it('fails closed when full of live entries, and makes room once they expire', () => {
    dir = mkdtempSync(join(tmpdir(), 'replay-'));
    const file = join(dir, 'replay.log');
    const s = createFileReplayStore({ file, maxEntries: 2, now: () => 0 });
    expect(s.add('a', 10, 0)).toBe(true);
    expect(s.add('b', 10, 0)).toBe(true);
    expect(s.add('c', 10, 5)).toBe(false);
    expect(s.add('c', 20, 11)).toBe(true);
    expect(s.size()).toBe(1);
    s.close();
  });
});
