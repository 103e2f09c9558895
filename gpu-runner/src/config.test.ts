import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, describeConfig, listenId, loadConfig } from './config.ts';

const keys = 'edge:0123456789abcdef0123,old:fedcba9876543210fedc';

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const c = loadConfig({ RUNNER_KEYS: keys });
    expect(c).toMatchObject({ port: 8790, host: '127.0.0.1', device: 'cpu', threads: undefined, embeddingCacheSize: 32, modelDirIsDefault: true, callbackAllowList: [], logPrompts: false });
    expect(c.modelDir).toMatch(/models\/embedded$/);
    expect(c.keys).toEqual({ edge: '0123456789abcdef0123', old: 'fedcba9876543210fedc' });
  });

  it('parses every variable', () => {
    const c = loadConfig({
      RUNNER_KEYS: keys,
      RUNNER_PORT: '9000',
      RUNNER_HOST: '0.0.0.0',
      RUNNER_ID: 'gpu-1',
      RUNNER_STATE_DIR: '/var/lib/runner',
      RUNNER_MODEL_DIR: '/models',
      RUNNER_DEVICE: 'cuda',
      RUNNER_THREADS: '4',
      RUNNER_EMBEDDING_CACHE: '0',
      RUNNER_QUEUE_LIMIT: '10',
      RUNNER_MAX_BATCH: '8',
      RUNNER_BATCH_WAIT_MS: '50',
      RUNNER_JOB_DEADLINE_MS: '5000',
      RUNNER_CALLBACK_ALLOWLIST: 'https://edge.example.com, http://127.0.0.1:*',
      RUNNER_LOG_PROMPTS: '1',
    });
    expect(c).toMatchObject({ port: 9000, host: '0.0.0.0', runnerId: 'gpu-1', stateDir: '/var/lib/runner', modelDir: '/models', modelDirIsDefault: false, device: 'cuda', threads: 4, embeddingCacheSize: 0, queueLimit: 10, maxBatch: 8, batchWaitMs: 50, jobDeadlineMs: 5000, logPrompts: true });
    expect(c.callbackAllowList).toEqual(['https://edge.example.com', 'http://127.0.0.1:*']);
  });

  it('needs RUNNER_ID on a wildcard address (signatures name the runner); defaults it to the listen address otherwise', () => {
    expect(() => loadConfig({ RUNNER_KEYS: keys, RUNNER_HOST: '0.0.0.0' })).toThrow(/RUNNER_ID: required when RUNNER_HOST is 0\.0\.0\.0/);
    expect(loadConfig({ RUNNER_KEYS: keys }).runnerId).toBeUndefined();
    expect(listenId('127.0.0.1', 8791)).toBe('127.0.0.1:8791');
    expect(listenId('::1', 8791)).toBe('[::1]:8791');
    expect(() => loadConfig({ RUNNER_KEYS: keys, RUNNER_ID: 'has space' })).toThrow(/RUNNER_ID/);
  });

  it('names every bad variable and the allowed values', () => {
    let err: unknown;
    try {
      loadConfig({ RUNNER_KEYS: keys, RUNNER_PORT: 'eighty', RUNNER_DEVICE: 'tpu', RUNNER_MAX_BATCH: '0', RUNNER_CALLBACK_ALLOWLIST: 'https://x.example/path' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg).toContain('RUNNER_PORT: an integer in [0, 65535]');
    expect(msg).toMatch(/RUNNER_DEVICE: .*"cpu".*"cuda"/);
    expect(msg).toContain('RUNNER_MAX_BATCH: an integer in [1, 256]');
    expect(msg).toContain('RUNNER_CALLBACK_ALLOWLIST');
  });

  it('requires keys, rejects weak ones, and never echoes a secret', () => {
    expect(() => loadConfig({})).toThrow(/RUNNER_KEYS .* is required/);
    const weak = 'short-secret-xyz';
    let msg = '';
    try {
      loadConfig({ RUNNER_KEYS: `a:${weak.slice(0, 10)},b:${weak}0123456789` });
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toContain('pair 1 (key "a"): secret must be at least 16 characters');
    expect(msg).not.toContain(weak.slice(0, 10));
    expect(JSON.stringify(describeConfig(loadConfig({ RUNNER_KEYS: keys })))).not.toContain('0123456789abcdef0123');
  });

  it('reads keys from RUNNER_KEYS_FILE, relative to INIT_CWD', () => {
    const dir = mkdtempSync(join(tmpdir(), 'runner-keys-'));
    writeFileSync(join(dir, 'keys.txt'), 'dev:0123456789abcdef0123456789\n');
    expect(loadConfig({ RUNNER_KEYS_FILE: 'keys.txt', INIT_CWD: dir }).keys).toEqual({ dev: '0123456789abcdef0123456789' });
    expect(() => loadConfig({ RUNNER_KEYS_FILE: 'missing.txt', INIT_CWD: dir })).toThrow(/does not exist/);
  });
});
