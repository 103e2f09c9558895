'use client';
// Prompting help from the model, shown while typing: the token count against the
// model's max tokens (and a warning when the prompt will be cut), the words its
// tokenizer does not know, and the model's own example prompts to start from.
// The tokenizer runs at the edge (POST /v1/tokenize, cached there and by SWR).
import { useEffect, useState } from 'react';
import useSWR from 'swr';
import type { TokenizeResult } from '../lib/api-types.ts';
import type { EdgeClient } from '../lib/edge-client.ts';

function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

export function PromptHelp({ client, prompt, examples, onExample }: { client: EdgeClient; prompt: string; examples: string[]; onExample: (p: string) => void }) {
  const text = useDebounced(prompt, 300);
  const { data } = useSWR<TokenizeResult, Error>(text.trim() === '' ? null : ['tokenize', client.baseUrl, client, text], () => client.tokenize(text), {
    revalidateOnFocus: false,
    shouldRetryOnError: false,
    keepPreviousData: true,
  });
  const shown = prompt.trim() === '' ? undefined : data;
  return (
    <div className="prompt-help small" data-testid="prompt-help">
      {shown && (
        <span className={shown.truncated ? 'warn-text' : 'muted'} data-testid="token-count">
          {shown.tokens} / {shown.maxTokens} tokens
        </span>
      )}
      <span aria-live="polite">
        {shown?.truncated && (
          <span className="warn-text" role="status">
            {' '}The model reads only the first {shown.maxTokens} tokens: the end of this prompt is cut.
          </span>
        )}
        {shown && shown.unknown.length > 0 && (
          <span className="warn-text" role="status">
            {' '}Words the model does not know (it will likely ignore them): {shown.unknown.map((w, i) => <span key={w}>{i > 0 ? ', ' : ''}<mark>{w}</mark></span>)}.
          </span>
        )}
      </span>
      {examples.length > 0 && (prompt.trim() === '' || (shown?.unknown.length ?? 0) > 0) && (
        <span className="examples">
          {' '}Try: {examples.slice(0, 3).map((e) => (
            <button key={e} type="button" className="link" onClick={() => onExample(e)}>{e}</button>
          ))}
        </span>
      )}
    </div>
  );
}
