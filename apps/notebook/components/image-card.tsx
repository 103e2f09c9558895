'use client';
// One output image with its provenance: seed, parameters, sha256 and whether a
// re-run reproduced it; copy parameters, download the PNG, upscale it.
import { useState } from 'react';
import type { OutputImage } from '../lib/cell-types.ts';
import type { EdgeClient } from '../lib/edge-client.ts';
import { describeError } from '../lib/edge-client.ts';
import { shortHash } from '../lib/hash.ts';
import { formatParameters } from '../lib/parameters.ts';

/** Images are public and immutable at the edge (named by sha256), so a plain URL serves them. */
export function EdgeImage({ client, imageId, alt, size }: { client: EdgeClient; imageId: string; alt: string; size: number }) {
  const [state, setState] = useState<'loading' | 'loaded' | 'error'>('loading');
  const [attempt, setAttempt] = useState(0);
  // 64×64 base images are shown doubled (pixelated) so that they can be judged
  const box = size <= 64 ? 128 : Math.min(size, 256);
  const src = client.imageUrl(imageId) + (attempt > 0 ? `?retry=${attempt}` : '');
  return (
    <div className="img-box" style={{ width: box, height: box }}>
      {state === 'error' ? (
        <div className="img-placeholder error" role="alert">
          <span className="small">Image failed to load from the edge.</span>
          <button type="button" onClick={() => { setState('loading'); setAttempt((n) => n + 1); }}>Retry</button>
        </div>
      ) : (
        // A plain <img>: next/image would proxy the edge's PNGs through this server.
        <img src={src} alt={alt} width={box} height={box} className={`pixelated${state === 'loading' ? ' loading' : ''}`} onLoad={() => setState('loaded')} onError={() => setState('error')} />
      )}
    </div>
  );
}

export function ImageCard({ client, image, label, onUpscale }: { client: EdgeClient; image: OutputImage; label: string; onUpscale?: (() => void) | undefined }) {
  const [note, setNote] = useState<{ text: string; error?: boolean } | null>(null);
  const [downloading, setDownloading] = useState(false);
  const params = formatParameters(image);

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(params);
      setNote({ text: 'Parameters copied.' });
    } catch {
      setNote({ text: 'Copy failed: select the text under "Parameters".', error: true });
    }
  };

  // Fetched as a blob: a cross-origin <a download> would navigate instead of
  // saving. The PNG is the edge's own bytes, with its parameters text chunks.
  const download = async () => {
    setDownloading(true);
    try {
      const blob = await client.imageBlob(image.imageId);
      const a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = `imagen-${image.seed}-${shortHash(image.sha256)}.png`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
      setNote(null);
    } catch (e) {
      setNote({ text: `Download failed: ${describeError(e)}`, error: true });
    } finally {
      setDownloading(false);
    }
  };

  return (
    <figure className="image-card" data-sha256={image.sha256} data-image-id={image.imageId}>
      <EdgeImage client={client} imageId={image.imageId} alt={`${label}, seed ${image.seed}`} size={image.width} />
      <figcaption>
        <div className="row small">
          <span>{label}</span>
          <span>seed <strong>{image.seed}</strong></span>
          <span>{image.width}×{image.height}</span>
          <code title={`sha256 ${image.sha256}`}>{shortHash(image.sha256)}</code>
          {image.match === 'matched' && <span className="badge ok" title="A re-run reproduced exactly this image (same sha256)">matched</span>}
          {image.match === 'differs' && <span className="badge bad" title="A re-run with the same inputs produced a different image">differs</span>}
        </div>
        <details>
          <summary>Parameters</summary>
          <pre className="params">{params}</pre>
        </details>
        <div className="row">
          <button type="button" onClick={() => void copy()} aria-label={`Copy parameters of ${label}`}>Copy parameters</button>
          <button type="button" onClick={() => void download()} disabled={downloading} aria-label={`Download PNG of ${label}`}>{downloading ? 'Downloading…' : 'Download PNG'}</button>
          {onUpscale && <button type="button" onClick={onUpscale} aria-label={`Upscale ${label}`}>Upscale</button>}
        </div>
        {note && <span role={note.error ? 'alert' : 'status'} className={`small ${note.error ? 'error' : 'muted'}`}>{note.text}</span>}
      </figcaption>
    </figure>
  );
}
