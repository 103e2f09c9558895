// The e2e run's settings: the one module of the e2e suite that reads process.env.
export interface E2eEnv {
  /** the notebook's origin */
  baseUrl: string;
  chromium: string;
  /** sampling steps of the prompt cells; few, so a CPU runner finishes in time */
  steps: number;
  /** steps of the cell that gets canceled: enough that it is still running */
  slowSteps: number;
  testTimeoutMs: number;
  startTimeoutMs: number;
}

function int(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got "${v}"`);
  return n;
}

export function e2eEnv(): E2eEnv {
  return {
    baseUrl: process.env.E2E_BASE_URL ?? 'http://127.0.0.1:3000',
    chromium: process.env.E2E_CHROMIUM ?? '/usr/bin/chromium',
    steps: int('E2E_STEPS', 10),
    slowSteps: int('E2E_SLOW_STEPS', 400),
    testTimeoutMs: int('E2E_TEST_TIMEOUT_S', 600) * 1000,
    startTimeoutMs: int('E2E_START_TIMEOUT_S', 900) * 1000,
  };
}
