'use client';
// Labelled form controls shared by the cells. Numbers are edited as text and
// only committed when they parse, so the notebook never holds NaN.
import { useEffect, useId, useState } from 'react';
import type { SeedMode } from '../lib/cell-types.ts';
import { randomSeed } from '../lib/cell-types.ts';

interface FieldProps {
  label: string;
  error?: string | undefined;
  hint?: string;
}

function Message({ id, error, hint }: { id: string; error?: string | undefined; hint?: string | undefined }) {
  if (error) return <span id={id} className="error small">{error}</span>;
  if (hint) return <span id={id} className="muted small">{hint}</span>;
  return null;
}

export function NumberField({ label, value, onChange, min, max, step, integer, error, hint, disabled }: FieldProps & {
  value: number;
  onChange: (v: number) => void;
  min?: number;
  max?: number;
  step?: number;
  integer?: boolean;
  disabled?: boolean;
}) {
  const id = useId();
  const [text, setText] = useState(String(value));
  const [local, setLocal] = useState<string | undefined>();
  useEffect(() => {
    // An outside change (a rolled seed, a replaced notebook) wins over the draft.
    if (Number(text) !== value) {
      setText(String(value));
      setLocal(undefined);
    }
  }, [value]);
  const shown = local ?? error;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="number"
        inputMode={integer ? 'numeric' : 'decimal'}
        value={text}
        min={min}
        max={max}
        step={step ?? (integer ? 1 : 'any')}
        disabled={disabled}
        aria-invalid={shown ? true : undefined}
        aria-describedby={`${id}-msg`}
        onChange={(e) => {
          setText(e.target.value);
          const v = Number(e.target.value);
          if (e.target.value.trim() === '' || !Number.isFinite(v)) {
            setLocal(`${label} must be a number`);
            return;
          }
          setLocal(undefined);
          onChange(v);
        }}
      />
      <Message id={`${id}-msg`} error={shown} hint={hint} />
    </div>
  );
}

export function TextArea({ label, value, onChange, error, hint, rows, placeholder }: FieldProps & { value: string; onChange: (v: string) => void; rows?: number; placeholder?: string }) {
  const id = useId();
  return (
    <div className="field wide">
      <label htmlFor={id}>{label}</label>
      <textarea id={id} value={value} rows={rows ?? 2} placeholder={placeholder} aria-invalid={error ? true : undefined} aria-describedby={`${id}-msg`} onChange={(e) => onChange(e.target.value)} />
      <Message id={`${id}-msg`} error={error} hint={hint} />
    </div>
  );
}

export function SelectField<T extends string | number>({ label, value, options, onChange, error, hint }: FieldProps & {
  value: T;
  options: readonly { value: T; label: string }[];
  onChange: (v: T) => void;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select
        id={id}
        value={String(value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={`${id}-msg`}
        onChange={(e) => {
          const o = options.find((opt) => String(opt.value) === e.target.value);
          if (o) onChange(o.value);
        }}
      >
        {options.map((o) => (
          <option key={String(o.value)} value={String(o.value)}>
            {o.label}
          </option>
        ))}
      </select>
      <Message id={`${id}-msg`} error={error} hint={hint} />
    </div>
  );
}

/** A seed, its mode (locked, or a new random seed on each run) and a dice button. */
export function SeedField({ seed, mode, onSeed, onMode, error }: { seed: number; mode: SeedMode; onSeed: (s: number) => void; onMode: (m: SeedMode) => void; error?: string | undefined }) {
  return (
    <div className="seed-field">
      <NumberField label="Seed" value={seed} onChange={onSeed} min={0} max={0xffff_ffff} integer error={error} hint={mode === 'random' ? 'a new seed is drawn each time this cell is run (Run all keeps it)' : undefined} />
      <button type="button" onClick={() => onSeed(randomSeed())} aria-label="Roll a new random seed" title="Roll a new random seed">
        Random
      </button>
      <label className="check">
        <input type="checkbox" checked={mode === 'locked'} onChange={(e) => onMode(e.target.checked ? 'locked' : 'random')} />
        <span>Lock seed</span>
      </label>
    </div>
  );
}
