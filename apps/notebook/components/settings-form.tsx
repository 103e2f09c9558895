'use client';
import { useEffect, useState } from 'react';
import type { ModelInfo } from '../lib/api-types.ts';
import type { FieldError } from '../lib/cells.ts';
import { createEdgeClient, describeError } from '../lib/edge-client.ts';
import { defaultEdgeUrl, maskKey, validateSettings } from '../lib/settings.ts';
import { useSettings } from './settings-context.tsx';

type Test = { state: 'idle' } | { state: 'testing' } | { state: 'ok'; models: ModelInfo[] } | { state: 'error'; message: string };

export function SettingsForm() {
  const { settings, update } = useSettings();
  const [edgeUrl, setEdgeUrl] = useState(defaultEdgeUrl);
  const [apiKey, setApiKey] = useState('');
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [saved, setSaved] = useState(false);
  const [test, setTest] = useState<Test>({ state: 'idle' });

  useEffect(() => {
    if (settings) {
      setEdgeUrl(settings.edgeUrl);
      setApiKey(settings.apiKey);
    }
  }, [settings]);

  if (!settings) return <p role="status">Loading settings…</p>;
  const errorFor = (field: string) => errors.find((e) => e.field === field)?.message;

  const onSave = (e: React.FormEvent) => {
    e.preventDefault();
    const errs = validateSettings({ edgeUrl, apiKey });
    setErrors(errs);
    if (errs.length > 0) return;
    update({ edgeUrl, apiKey });
    setSaved(true);
  };

  const onTest = async () => {
    setTest({ state: 'testing' });
    try {
      const models = await createEdgeClient({ baseUrl: edgeUrl, apiKey }).listModels();
      setTest({ state: 'ok', models });
    } catch (e) {
      setTest({ state: 'error', message: describeError(e) });
    }
  };

  return (
    <section className="page narrow" aria-labelledby="settings-title">
      <h1 id="settings-title">Settings</h1>
      <p className="muted">Kept in this browser only (localStorage). The key is sent to the edge as <code>Authorization: Bearer …</code>.</p>
      <form onSubmit={onSave} noValidate>
        <label className="field">
          <span>Edge URL</span>
          <input name="edgeUrl" type="url" value={edgeUrl} onChange={(e) => { setEdgeUrl(e.target.value); setSaved(false); }} aria-invalid={errorFor('edgeUrl') ? true : undefined} aria-describedby="edgeUrl-error" />
          {errorFor('edgeUrl') && <span id="edgeUrl-error" className="error">{errorFor('edgeUrl')}</span>}
        </label>
        <label className="field">
          <span>API key</span>
          <input name="apiKey" type="password" autoComplete="off" value={apiKey} onChange={(e) => { setApiKey(e.target.value); setSaved(false); }} aria-invalid={errorFor('apiKey') ? true : undefined} aria-describedby="apiKey-error" />
          {errorFor('apiKey') && <span id="apiKey-error" className="error">{errorFor('apiKey')}</span>}
        </label>
        {settings.apiKey && <p className="muted">Current key: <code>{maskKey(settings.apiKey)}</code></p>}
        <div className="row">
          <button type="submit">Save settings</button>
          <button type="button" onClick={() => void onTest()} disabled={test.state === 'testing'}>
            Test connection
          </button>
          {saved && <span role="status">Saved.</span>}
        </div>
      </form>
      <div aria-live="polite">
        {test.state === 'testing' && <p role="status">Contacting the edge…</p>}
        {test.state === 'ok' && (
          <p role="status" className="ok">
            Connected. Models: {test.models.map((m) => `${m.id} (${m.stages.map((s) => `${s.name} ${s.resolution}px`).join(' → ')})`).join('; ') || 'none'}
          </p>
        )}
        {test.state === 'error' && <p role="alert" className="error">{test.message}</p>}
      </div>
    </section>
  );
}
