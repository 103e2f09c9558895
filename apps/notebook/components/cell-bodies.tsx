'use client';
// The editable fields of each cell kind.
import { useId } from 'react';
import ReactMarkdown from 'react-markdown';
import remarkGfm from 'remark-gfm';
import type { NoteCell, NotebookDoc, PromptCell, SweepCell, UpscaleCell } from '../lib/cell-types.ts';
import { imageCount, inputSizeFor, isRunnable, limits, outputSize, samplers, sweepValues, upscaleSizes } from '../lib/cell-types.ts';
import type { FieldError } from '../lib/cells.ts';
import type { Difference, ModelDefaults } from '../lib/model-defaults.ts';
import type { CellPatch } from '../lib/notebook-reducer.ts';
import type { EdgeClient } from '../lib/edge-client.ts';
import { PromptHelp } from './prompt-help.tsx';
import { NumberField, SeedField, SelectField, TextArea } from './fields.tsx';

const samplerOptions = samplers.map((s) => ({ value: s, label: s }));

export interface BodyProps<C> {
  cell: C;
  update: (patch: CellPatch) => void;
  errors: FieldError[];
  defaults: ModelDefaults;
  /** fields whose value differs from the model's default */
  diffs: Difference[];
  client: EdgeClient;
}

/** "model: 20" under a field that differs from the model's default, else the field's own hint. */
const hintOf = (diffs: Difference[], field: string, hint?: string) => {
  const d = diffs.find((x) => x.field === field);
  return d ? `model default: ${d.model}` : hint;
};

const errorOf = (errors: FieldError[], field: string) => errors.find((e) => e.field === field || e.field.startsWith(`${field}[`))?.message;

function Sampling({ cell, update, errors, diffs }: BodyProps<PromptCell | UpscaleCell | SweepCell>) {
  const sweepAxis = cell.kind === 'sweep' ? cell.axis : undefined;
  return (
    <>
      {sweepAxis !== 'steps' && <NumberField label="Steps" value={cell.steps} onChange={(steps) => update({ steps })} min={1} max={limits.stepsMax} integer error={errorOf(errors, 'steps')} hint={hintOf(diffs, 'steps')} />}
      <SelectField label="Sampler" value={cell.sampler} options={samplerOptions} onChange={(sampler) => update({ sampler })} error={errorOf(errors, 'sampler')} hint={hintOf(diffs, 'sampler')} />
      {sweepAxis !== 'guidance' && <NumberField label="Guidance" value={cell.guidance} onChange={(guidance) => update({ guidance })} min={0} max={limits.guidanceMax} step={0.5} error={errorOf(errors, 'guidance')} hint={hintOf(diffs, 'guidance', 'classifier-free guidance weight')} />}
    </>
  );
}

/** The model's own example prompts: the placeholder shows one, a list offers them all. */
export function placeholderOf(defaults: ModelDefaults): string | undefined {
  return defaults.examplePrompts[0] ? `e.g. ${defaults.examplePrompts[0]}` : undefined;
}

export function PromptBody(props: BodyProps<PromptCell>) {
  const { cell, update, errors, defaults, client } = props;
  return (
    <div className="fields">
      <TextArea label="Prompt" value={cell.prompt} onChange={(prompt) => update({ prompt })} error={errorOf(errors, 'prompt')} placeholder={placeholderOf(defaults)} />
      <PromptHelp client={client} prompt={cell.prompt} examples={defaults.examplePrompts} onExample={(prompt) => update({ prompt })} />
      <TextArea label="Negative prompt" value={cell.negativePrompt} onChange={(negativePrompt) => update({ negativePrompt })} error={errorOf(errors, 'negativePrompt')} rows={1} />
      <SeedField seed={cell.seed} mode={cell.seedMode} onSeed={(seed) => update({ seed })} onMode={(seedMode) => update({ seedMode })} error={errorOf(errors, 'seed')} />
      <NumberField label="Images (n)" value={cell.n} onChange={(n) => update({ n })} min={1} max={limits.nMax} integer error={errorOf(errors, 'n')} hint="image i uses seed + i" />
      <Sampling {...props} />
      <p className="field small muted">Size: 64×64 (base stage)</p>
    </div>
  );
}

function parseList(text: string): number[] | undefined {
  const parts = text.split(/[\s,]+/).filter((p) => p !== '');
  const values = parts.map(Number);
  return values.every((v) => Number.isFinite(v)) ? values : undefined;
}

function ListField({ label, values, onChange, error, hint }: { label: string; values: number[]; onChange: (v: number[]) => void; error?: string | undefined; hint?: string }) {
  const id = useId();
  return (
    <div className="field wide">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        aria-describedby={`${id}-msg`}
        defaultValue={values.join(', ')}
        key={values.join(',')}
        aria-invalid={error ? true : undefined}
        onBlur={(e) => {
          const v = parseList(e.target.value);
          if (v) onChange(v);
          else e.target.value = values.join(', ');
        }}
      />
      {error ? <span id={`${id}-msg`} className="error small">{error}</span> : hint ? <span id={`${id}-msg`} className="muted small">{hint}</span> : null}
    </div>
  );
}

export function SweepBody(props: BodyProps<SweepCell>) {
  const { cell, update, errors, defaults, client } = props;
  return (
    <div className="fields">
      <TextArea label="Prompt" value={cell.prompt} onChange={(prompt) => update({ prompt })} error={errorOf(errors, 'prompt')} placeholder={placeholderOf(defaults)} />
      <PromptHelp client={client} prompt={cell.prompt} examples={defaults.examplePrompts} onExample={(prompt) => update({ prompt })} />
      <TextArea label="Negative prompt" value={cell.negativePrompt} onChange={(negativePrompt) => update({ negativePrompt })} error={errorOf(errors, 'negativePrompt')} rows={1} />
      <ListField label="Seeds (rows)" values={cell.seeds} onChange={(seeds) => update({ seeds })} error={errorOf(errors, 'seeds')} hint="comma-separated" />
      <SelectField label="Sweep over" value={cell.axis} options={[{ value: 'guidance', label: 'guidance' }, { value: 'steps', label: 'steps' }]} onChange={(axis) => update({ axis, values: sweepValues(axis, defaults.base) })} />
      <ListField label={`${cell.axis === 'steps' ? 'Steps' : 'Guidance'} values (columns)`} values={cell.values} onChange={(values) => update({ values })} error={errorOf(errors, 'values')} hint={`at most ${limits.sweepPointsMax} points in all`} />
      <Sampling {...props} />
    </div>
  );
}

export function UpscaleBody(props: BodyProps<UpscaleCell> & { doc: NotebookDoc }) {
  const { cell, update, errors, doc, diffs } = props;
  const own = doc.cells.findIndex((c) => c.id === cell.id);
  const need = inputSizeFor(cell.size);
  const options: { value: string; label: string }[] = [{ value: '', label: '— choose an image —' }];
  doc.cells.slice(0, Math.max(0, own)).forEach((c, pos) => {
    if (!isRunnable(c) || outputSize(c) !== need) return;
    for (let i = 0; i < imageCount(c); i++) {
      const seed = c.run?.images[i]?.seed;
      options.push({ value: `${c.id}:${i}`, label: `Cell ${pos + 1} (${c.kind}) · image ${i + 1}${seed !== undefined ? ` · seed ${seed}` : ''}` });
    }
  });
  const current = cell.source ? `${cell.source.cellId}:${cell.source.index}` : '';
  if (current && !options.some((o) => o.value === current)) options.push({ value: current, label: 'unavailable source' });
  return (
    <div className="fields">
      <SelectField
        label="Source image"
        value={current}
        options={options}
        error={errorOf(errors, 'source')}
        onChange={(v) => {
          const colon = v.lastIndexOf(':');
          update({ source: v ? { cellId: v.slice(0, colon), index: Number(v.slice(colon + 1)) } : null });
        }}
      />
      <SelectField label="Upscale to" value={cell.size} options={upscaleSizes.map((s) => ({ value: s, label: `${s}×${s} (from ${inputSizeFor(s)}×${inputSizeFor(s)})` }))} onChange={(size) => update({ size, ...(diffs.length === 0 ? props.defaults.upscale[size] : {}) })} />
      <SeedField seed={cell.seed} mode={cell.seedMode} onSeed={(seed) => update({ seed })} onMode={(seedMode) => update({ seedMode })} error={errorOf(errors, 'seed')} />
      <NumberField label="Noise augmentation" value={cell.noiseAugmentation} onChange={(noiseAugmentation) => update({ noiseAugmentation })} min={0} max={limits.noiseAugmentationMax} integer error={errorOf(errors, 'noiseAugmentation')} hint={hintOf(diffs, 'noiseAugmentation', 'augmentation timestep of the low-res image')} />
      <Sampling {...props} />
    </div>
  );
}

export function NoteBody({ cell, update, editing }: { cell: NoteCell; update: (patch: CellPatch) => void; editing: boolean }) {
  if (editing) {
    return <TextArea label="Markdown" value={cell.markdown} onChange={(markdown) => update({ markdown })} rows={6} hint="Shift+Enter to render" />;
  }
  return <div className="markdown">{cell.markdown.trim() ? <ReactMarkdown remarkPlugins={[remarkGfm]}>{cell.markdown}</ReactMarkdown> : <p className="muted">Empty note.</p>}</div>;
}
