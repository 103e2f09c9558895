'use client';
// One output image: the picture first (a button that opens the viewer), a
// caption with seed, size, sha256 and whether a re-run reproduced it, and one
// actions menu (copy parameters, download the PNG, upscale), so a cell's
// images cost two tab stops each.
import { useEffect, useState } from 'react';
import type { OutputImage } from '../lib/cell-types.ts';
import type { EdgeClient } from '../lib/edge-client.ts';
import { describeError } from '../lib/edge-client.ts';
import { shortHash } from '../lib/hash.ts';
import { formatParameters } from '../lib/parameters.ts';

/**
 * Thumbnail width: 64 px outputs at 4× (256), larger ones downscaled to 256 at
 * their aspect ratio; a sweep's grid cells at half that, so a grid fits a screen.
 */
export function thumbWidth(width: number, compact = false): number {
  const w = width <= 64 ? width * 4 : Math.min(width, 256);
  return compact ? w / 2 : w;
}

/** Images are public and immutable at the edge (named by sha256), so a plain URL serves them. */
export function EdgeImage({ client, image, alt, pixelated, compact }: { client: EdgeClient; image: OutputImage; alt: string; pixelated: boolean; compact?: boolean | undefined }) {
  const [state, setState] = useState<'loading' | 'loaded' | 'error'>('loading');
  const [attempt, setAttempt] = useState(0);
  const w = thumbWidth(image.width, compact);
  const h = Math.round((w * image.height) / image.width);
  const src = client.imageUrl(image.imageId) + (attempt > 0 ? `?retry=${attempt}` : '');
  // pixelated rendering only makes sense when magnifying; a downscaled 1024 would turn jagged
  const sharp = pixelated && image.width < w;
  return (
    <div className="img-box" style={{ width: w, aspectRatio: `${image.width} / ${image.height}` }}>
      {state === 'error' ? (
        <div className="img-placeholder error" role="alert">
          <span className="small">Image failed to load from the edge.</span>
          <button type="button" onClick={() => { setState('loading'); setAttempt((n) => n + 1); }}>Retry</button>
        </div>
      ) : (
        // A plain <img>: next/image would proxy the edge's PNGs through this server.
        <img src={src} alt={alt} width={w} height={h} className={`${sharp ? 'pixelated' : 'smooth'}${state === 'loading' ? ' loading' : ''}`} onLoad={() => setState('loaded')} onError={() => setState('error')} />
      )}
    </div>
  );
}

/** A message that goes away by itself: transient feedback shown where it was caused. */
export function useToast(ms = 4000): [{ text: string; error?: boolean } | null, (text: string, error?: boolean) => void] {
  const [note, setNote] = useState<{ text: string; error?: boolean; at: number } | null>(null);
  useEffect(() => {
    if (!note) return;
    const t = setTimeout(() => setNote(null), note.error ? ms * 2 : ms);
    return () => clearTimeout(t);
  }, [note, ms]);
  return [note, (text, error) => setNote({ text, ...(error ? { error } : {}), at: Date.now() })];
}

export interface ImageCardProps {
  client: EdgeClient;
  image: OutputImage;
  label: string;
  pixelated: boolean;
  onOpen: () => void;
  onUpscale?: (() => void) | undefined;
  /** a sweep's grid cell: the headers already say seed and value */
  compact?: boolean;
}

export function ImageCard({ client, image, label, pixelated, onOpen, onUpscale, compact }: ImageCardProps) {
  const [note, say] = useToast();
  const [busy, setBusy] = useState(false);

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(formatParameters(image));
      say('Parameters copied.');
    } catch {
      say('Copy failed: open the image to select its parameters.', true);
    }
  };

  // Fetched as a blob: a cross-origin <a download> would navigate instead of
  // saving. The PNG is the edge's own bytes, with its parameters text chunks.
  const download = async () => {
    setBusy(true);
    try {
      const blob = await client.imageBlob(image.imageId);
      const a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = `imagen-${image.seed}-${shortHash(image.sha256)}.png`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
    } catch (e) {
      say(`Download failed: ${describeError(e)}`, true);
    } finally {
      setBusy(false);
    }
  };

  const act = (f: () => void) => (e: React.MouseEvent<HTMLButtonElement>) => {
    e.currentTarget.closest('details')?.removeAttribute('open');
    f();
  };

  return (
    <figure className={`image-card${compact ? ' compact' : ''}`} data-sha256={image.sha256} data-pixel-sha256={image.pixelSha256} data-image-id={image.imageId}>
      <button type="button" className="img-button" onClick={onOpen} aria-label={`Open ${label} in the viewer`}>
        <EdgeImage client={client} image={image} alt={`${label}, seed ${image.seed}`} pixelated={pixelated} compact={compact} />
      </button>
      <figcaption>
        <div className="row small">
          {!compact && <span>{label}</span>}
          <span>seed <strong>{image.seed}</strong></span>
          {!compact && <span>{image.width}×{image.height}</span>}
          <code title={`file sha256 ${image.sha256}${image.pixelSha256 ? `\npixel hash ${image.pixelSha256}` : ''}`}>{shortHash(image.pixelSha256 ?? image.sha256)}</code>
          {image.match === 'matched' && <span className="badge ok" title="A re-run reproduced exactly this file (same sha256: same pixels, same metadata)">matched</span>}
          {image.match === 'pixels-match' && <span className="badge ok" title={image.matchNote ?? 'same pixels; the PNG metadata differs'}>pixels matched</span>}
          {image.match === 'differs' && <span className="badge bad" title="A re-run with the same inputs produced other pixels">differs</span>}
          <details className="menu">
            <summary aria-label={`Actions for ${label}`} title="Actions">⋯</summary>
            <div className="menu-items" role="group" aria-label={`Actions for ${label}`}>
              <button type="button" onClick={act(onOpen)}>Open</button>
              <button type="button" onClick={act(() => void copy())}>Copy parameters</button>
              <button type="button" onClick={act(() => void download())} disabled={busy}>{busy ? 'Downloading…' : 'Download PNG'}</button>
              {onUpscale && <button type="button" onClick={act(onUpscale)}>Upscale to {image.width <= 64 ? 256 : 1024}</button>}
            </div>
          </details>
        </div>
        {image.match === 'pixels-match' && image.matchNote && <span className="small muted">{image.matchNote}</span>}
        {note && <span role={note.error ? 'alert' : 'status'} className={`toast-inline small ${note.error ? 'error' : 'muted'}`}>{note.text}</span>}
      </figcaption>
    </figure>
  );
}
