// JSON lines on stderr. Prompt text only when RUNNER_LOG_PROMPTS=1; secrets never
// (callers pass key ids, not keys).
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  log(level: LogLevel, msg: string, fields?: Record<string, unknown>): void;
  /** the prompt as it may be logged: the text, or only its length */
  prompt(text: string): string;
}

export function createLogger(opts: { logPrompts: boolean; write?: (line: string) => void; quiet?: boolean }): Logger {
  const write = opts.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  return {
    log(level, msg, fields = {}) {
      if (opts.quiet && level !== 'error') return;
      write(JSON.stringify({ t: new Date().toISOString(), level, msg, ...fields }));
    },
    prompt(text) {
      return opts.logPrompts ? text : `<${text.length} chars>`;
    },
  };
}

/** an Error's message for logs and API answers; never the stack of a foreign object */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return typeof e === 'string' ? e : 'unknown error';
}
