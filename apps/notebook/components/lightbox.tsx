'use client';
// A full-resolution viewer over one cell's images: zoom (fit, 1×, 2×, 4×, or a
// click to toggle fit/1×), ← / → across the cell's images, Escape to close, and
// the image's parameters beside it. A native <dialog>: focus is trapped and
// restored by the browser.
import { useEffect, useRef, useState } from 'react';
import type { OutputImage } from '../lib/cell-types.ts';
import type { EdgeClient } from '../lib/edge-client.ts';
import { formatParameters } from '../lib/parameters.ts';

export interface LightboxItem {
  image: OutputImage;
  label: string;
}

type Zoom = 'fit' | 1 | 2 | 4;
const zooms: Zoom[] = ['fit', 1, 2, 4];

export function Lightbox({ client, items, index, onIndex, onClose }: { client: EdgeClient; items: LightboxItem[]; index: number; onIndex: (i: number) => void; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [zoom, setZoom] = useState<Zoom>('fit');
  const item = items[index];

  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
  }, []);

  if (!item) return null;
  const { image, label } = item;
  const go = (delta: number) => onIndex((index + delta + items.length) % items.length);
  const onKeyDown = (e: React.KeyboardEvent) => {
    if (e.key === 'ArrowRight') go(1);
    else if (e.key === 'ArrowLeft') go(-1);
    else if (e.key === '+' || e.key === '=') setZoom((z) => zooms[Math.min(zooms.length - 1, zooms.indexOf(z) + 1)]!);
    else if (e.key === '-') setZoom((z) => zooms[Math.max(0, zooms.indexOf(z) - 1)]!);
    else return;
    e.preventDefault();
  };
  // at fit, a 64 px image fills the view; any magnification shows its pixels as pixels
  const style = zoom === 'fit' ? { width: `min(100%, ${Math.max(512, image.width)}px)`, height: 'auto' } : { width: image.width * zoom, height: image.height * zoom, maxWidth: 'none' };
  const sharp = zoom !== 'fit' ? zoom > 1 : image.width < 512;

  return (
    <dialog ref={ref} className="lightbox" aria-label={`Image viewer: ${label}`} onClose={onClose} onKeyDown={onKeyDown}>
      <div className="lightbox-bar">
        <strong>{label}</strong>
        <span className="muted small">{index + 1} of {items.length} · {image.width}×{image.height} · seed {image.seed}</span>
        <div className="spacer" />
        <div role="group" aria-label="Zoom" className="row">
          {zooms.map((z) => (
            <button key={String(z)} type="button" aria-pressed={zoom === z} onClick={() => setZoom(z)}>{z === 'fit' ? 'Fit' : `${z}×`}</button>
          ))}
        </div>
        <button type="button" onClick={() => go(-1)} disabled={items.length < 2} aria-label="Previous image">←</button>
        <button type="button" onClick={() => go(1)} disabled={items.length < 2} aria-label="Next image">→</button>
        <button type="button" onClick={() => ref.current?.close()} aria-label="Close the viewer">✕</button>
      </div>
      <div className="lightbox-body">
        <div className="lightbox-stage">
          <img
            key={image.imageId}
            src={client.imageUrl(image.imageId)}
            alt={`${label}, seed ${image.seed}, full resolution`}
            className={sharp ? 'pixelated' : 'smooth'}
            style={style}
            onClick={() => setZoom((z) => (z === 'fit' ? 1 : 'fit'))}
          />
        </div>
        <aside className="lightbox-params" aria-label="Parameters">
          <h3 className="small">Parameters</h3>
          <pre className="params">{formatParameters(image)}</pre>
        </aside>
      </div>
    </dialog>
  );
}
