'use client';
// A cell's images: a prompt's or upscale's as a row of cards, a sweep's as a
// labelled grid (rows: seeds, columns: the swept value, like AUTOMATIC1111's X/Y
// plot), 64 px images magnified with sharp pixels (a toggle makes them smooth),
// and the viewer over all of them.
import { useId, useState } from 'react';
import type { ImageRef, OutputImage, RunnableCell, SweepCell } from '../lib/cell-types.ts';
import type { EdgeClient } from '../lib/edge-client.ts';
import { ImageCard } from './image-card.tsx';
import type { LightboxItem } from './lightbox.tsx';
import { Lightbox } from './lightbox.tsx';

export interface OutputsProps {
  cell: RunnableCell;
  images: OutputImage[];
  position: number;
  client: EdgeClient;
  onUpscale: (ref: ImageRef, fromSize: number) => void;
}

const axisValue = (cell: SweepCell, img: OutputImage) => (cell.axis === 'steps' ? img.params.steps : img.params.guidance);

export function labelOf(cell: RunnableCell, img: OutputImage, i: number): string {
  return cell.kind === 'sweep' ? `seed ${img.seed}, ${cell.axis} ${axisValue(cell, img)}` : `Image ${i + 1}`;
}

export function CellOutputs({ cell, images, position, client, onUpscale }: OutputsProps) {
  const [open, setOpen] = useState<number | null>(null);
  const [pixelated, setPixelated] = useState(true);
  const toggleId = useId();
  const items: LightboxItem[] = images.map((image, i) => ({ image, label: labelOf(cell, image, i) }));
  const card = (img: OutputImage, i: number) => (
    <ImageCard
      client={client}
      image={img}
      label={items[i]!.label}
      pixelated={pixelated}
      compact={cell.kind === 'sweep'}
      onOpen={() => setOpen(i)}
      onUpscale={img.width < 1024 ? () => onUpscale({ cellId: cell.id, index: i }, img.width) : undefined}
    />
  );
  const small = images.some((img) => img.width <= 64);
  return (
    <div className="outputs">
      {small && (
        <label className="check small" htmlFor={toggleId}>
          <input id={toggleId} type="checkbox" checked={pixelated} onChange={(e) => setPixelated(e.target.checked)} />
          <span>Sharp pixels (64 px shown at 256)</span>
        </label>
      )}
      {cell.kind === 'sweep' ? (
        <SweepGrid cell={cell} images={images} card={card} />
      ) : (
        <div className="image-grid" role="list" aria-label={`Outputs of cell ${position + 1}`}>
          {images.map((img, i) => (
            <div role="listitem" key={`${img.imageId}:${i}`}>{card(img, i)}</div>
          ))}
        </div>
      )}
      {open !== null && <Lightbox client={client} items={items} index={open} onIndex={setOpen} onClose={() => setOpen(null)} />}
    </div>
  );
}

/** Rows are seeds, columns the swept values, each with a header; a grid point not made yet is an empty cell. */
function SweepGrid({ cell, images, card }: { cell: SweepCell; images: OutputImage[]; card: (img: OutputImage, i: number) => React.ReactNode }) {
  const seeds = [...new Set(images.map((img) => img.seed))];
  const values = [...new Set(images.map((img) => axisValue(cell, img)))];
  const at = new Map(images.map((img, i) => [`${img.seed}:${axisValue(cell, img)}`, i]));
  return (
    <div className="sweep-scroll">
      <table className="sweep-table">
        <caption className="small muted">Sweep: seeds (rows) × {cell.axis} (columns)</caption>
        <thead>
          <tr>
            <th scope="col" className="corner small">seed \ {cell.axis}</th>
            {values.map((v) => <th key={v} scope="col">{cell.axis} {v}</th>)}
          </tr>
        </thead>
        <tbody>
          {seeds.map((seed) => (
            <tr key={seed}>
              <th scope="row">seed {seed}</th>
              {values.map((v) => {
                const i = at.get(`${seed}:${v}`);
                return <td key={v}>{i === undefined ? null : card(images[i]!, i)}</td>;
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
