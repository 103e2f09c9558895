// @vitest-environment jsdom
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { RunState } from './run-status.tsx';

afterEach(cleanup);

const progress = { task: 0, tasks: 1, phase: 'running' as const, stage: 'sr256', step: 3, total: 10, images: [] };

describe('RunState', () => {
  it('shows a live preview of every image of the batch', () => {
    const previews = ['data:image/png;base64,AAAA', 'data:image/png;base64,AAAB', 'data:image/png;base64,AAAC'];
    render(<RunState runtime={{ phase: 'running', progress: { ...progress, preview: previews[0]!, previews } }} stale={false} />);
    expect(screen.getByRole('status').textContent).toBe('Running sr256: step 3/10');
    expect(screen.getAllByRole('img').map((i) => [i.getAttribute('alt'), i.getAttribute('src')])).toEqual(previews.map((src, i) => [`Preview of image ${i + 1} being denoised`, src]));
  });

  it("shows image 0's preview alone when the edge sends no others", () => {
    render(<RunState runtime={{ phase: 'running', progress: { ...progress, preview: 'data:image/png;base64,AAAA' } }} stale={false} />);
    expect(screen.getAllByRole('img').map((i) => i.getAttribute('alt'))).toEqual(['Preview of the image being denoised']);
  });
});
