// The notebook, end to end against the real cascade: create a notebook, run a
// prompt cell with a fixed seed, upscale an image to 256 and chain a 1024
// upscale from it, reload, re-run and reproduce the same sha256s, cancel a running cell, see a conflicting save from
// a second page, recreate a cell from a dropped PNG, and recreate the whole chain from the dropped 1024 PNG in a
// new notebook, whose run reproduces its pixels. Steps share one
// notebook, so they run in order; each leaves screenshots in test-results/e2e.
import type { Locator, Page, TestInfo } from '@playwright/test';
import { expect, test } from '@playwright/test';
import { e2eEnv } from './e2e-env.ts';

test.describe.configure({ mode: 'serial' });

const env = e2eEnv();
// a prompt from the embedded model's world (models/world)
const prompt = 'two red circles above a blue square';
const title = `e2e ${new Date().toISOString()}`;
let notebookUrl = '';
let baseShas: string[] = [];
let upscaledSha = '';
let upscaled1024Sha = '';

const cell = (page: Page, n: number): Locator => page.getByRole('region', { name: new RegExp(`^Cell ${n}: `) });
const field = (scope: Locator, label: string): Locator => scope.getByLabel(label, { exact: true });
/** one actions menu per image: open it, then pick the action */
async function imageAction(scope: Locator, label: string, action: string): Promise<void> {
  await scope.getByLabel(`Actions for ${label}`, { exact: true }).first().click();
  await scope.getByRole('group', { name: `Actions for ${label}` }).getByRole('button', { name: action }).click();
}
const shasOf = (scope: Locator): Promise<string[]> => scope.getByRole('figure').evaluateAll((els) => els.map((e) => e.getAttribute('data-sha256') ?? ''));

async function shot(page: Page, info: TestInfo, name: string): Promise<void> {
  const path = info.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await info.attach(name, { path, contentType: 'image/png' });
}

test.beforeAll(async () => {
  // The notebook answers before the runner has loaded its model: wait until the
  // edge lists a model (GET /v1/models goes through to the runner pool).
  const config = (await (await fetch(`${env.baseUrl}/api/dev-config`)).json()) as { edgeUrl: string; apiKey?: string };
  if (!config.apiKey) throw new Error('the notebook found no dev API key: scripts/start.sh should write .local/dev-api-key');
  const deadline = Date.now() + env.startTimeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${config.edgeUrl}/v1/models`, { headers: { Authorization: `Bearer ${config.apiKey}` } });
      if (res.ok && ((await res.json()) as { data: unknown[] }).data.length > 0) return;
      last = `HTTP ${res.status}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
  throw new Error(`the edge at ${config.edgeUrl} did not list a model in time (last: ${last})`);
});

test('creates a notebook', async ({ page }, info) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Notebooks' })).toBeVisible();
  // configured from /api/dev-config: a fresh browser needs no manual setup
  await expect(page.getByText('No API key is set')).toHaveCount(0);
  await page.getByLabel('Title').fill(title);
  await shot(page, info, '01-list');
  await page.getByRole('button', { name: 'New notebook', exact: true }).click();
  await page.waitForURL(/\/notebooks\/nb_/);
  notebookUrl = page.url();
  await expect(page.getByLabel('Notebook title')).toHaveValue(title);
  await expect(page.getByText('This notebook is empty')).toBeVisible();
  await shot(page, info, '02-created');
});

test('runs a prompt cell with a fixed seed', async ({ page }, info) => {
  await page.goto(notebookUrl);
  await page.getByRole('button', { name: '+ Prompt', exact: true }).click();
  const c1 = cell(page, 1);
  await field(c1, 'Prompt').fill(prompt);
  await field(c1, 'Seed').fill('1234');
  await field(c1, 'Images (n)').fill('2');
  await field(c1, 'Steps').fill(String(env.steps));
  await field(c1, 'Prompt').press('Shift+Enter');
  await expect(c1.getByRole('progressbar', { name: 'Progress' }).or(c1.getByRole('figure').first())).toBeVisible();
  await shot(page, info, '03-running');
  await expect(c1.getByRole('figure')).toHaveCount(2, { timeout: env.testTimeoutMs });
  await expect(c1.getByText('up to date')).toBeVisible();
  await expect(c1.getByRole('figure').locator('strong')).toHaveText(['1234', '1235']);
  baseShas = await shasOf(c1);
  expect(baseShas.every((s) => /^[0-9a-f]{64}$/.test(s))).toBe(true);
  await expect(page.getByTestId('save-state')).toHaveText('All changes saved');
  await shot(page, info, '04-prompt-done');
});

test('upscales one image to 256', async ({ page }, info) => {
  await page.goto(notebookUrl);
  await imageAction(cell(page, 1), 'Image 1', 'Upscale to 256');
  const c2 = cell(page, 2);
  await expect(c2.getByRole('heading')).toContainText('Upscale');
  await expect(field(c2, 'Source image')).toHaveValue(/:0$/);
  await field(c2, 'Seed').fill('77');
  await field(c2, 'Steps').fill(String(env.steps));
  await c2.getByRole('button', { name: 'Run Cell 2: Upscale', exact: true }).click();
  await expect(c2.getByRole('figure')).toHaveCount(1, { timeout: env.testTimeoutMs });
  await expect(c2.getByRole('figure').getByText('256×256')).toBeVisible();
  [upscaledSha] = (await shasOf(c2)) as [string];
  await expect(page.getByTestId('save-state')).toHaveText('All changes saved');
  await shot(page, info, '05-upscaled');
});

test('chains a 1024 upscale from the 256 cell', async ({ page }, info) => {
  await page.goto(notebookUrl);
  await imageAction(cell(page, 2), 'Image 1', 'Upscale to 1024');
  const c3 = cell(page, 3);
  await expect(c3.getByRole('heading')).toContainText('Upscale');
  await field(c3, 'Seed').fill('78');
  await field(c3, 'Steps').fill(String(env.steps));
  await c3.getByRole('button', { name: 'Run Cell 3: Upscale', exact: true }).click();
  await expect(c3.getByRole('figure')).toHaveCount(1, { timeout: env.testTimeoutMs });
  await expect(c3.getByRole('figure').getByText('1024×1024')).toBeVisible();
  [upscaled1024Sha] = (await shasOf(c3)) as [string];
  await expect(page.getByTestId('save-state')).toHaveText('All changes saved');
  await shot(page, info, '05b-upscaled-1024');
});

test('reloads the same notebook', async ({ page }, info) => {
  await page.goto(notebookUrl);
  await expect(page.getByLabel('Notebook title')).toHaveValue(title);
  await expect(page.getByRole('region', { name: /^Cell \d+: / })).toHaveCount(3);
  expect(await shasOf(cell(page, 1))).toEqual(baseShas);
  expect(await shasOf(cell(page, 2))).toEqual([upscaledSha]);
  expect(await shasOf(cell(page, 3))).toEqual([upscaled1024Sha]);
  for (const n of [1, 2, 3]) await expect(cell(page, n).getByText('up to date')).toBeVisible();
  await shot(page, info, '06-reloaded');
});

test('re-running the prompt cell reproduces the same sha256', async ({ page }, info) => {
  await page.goto(notebookUrl);
  const c1 = cell(page, 1);
  await c1.getByRole('button', { name: 'Re-run Cell 1: Prompt and compare', exact: true }).click();
  await expect(c1.getByText('matched', { exact: true })).toHaveCount(2, { timeout: env.testTimeoutMs });
  expect(await shasOf(c1)).toEqual(baseShas);
  // the upscale's source image is unchanged, so it stays up to date
  await expect(cell(page, 2).getByText('up to date')).toBeVisible();
  // and the chained 256 → 1024 upscale re-runs to identical pixels after the reload
  const c3 = cell(page, 3);
  await c3.getByRole('button', { name: 'Re-run Cell 3: Upscale and compare', exact: true }).click();
  await expect(c3.getByText('matched', { exact: true })).toHaveCount(1, { timeout: env.testTimeoutMs });
  expect(await shasOf(c3)).toEqual([upscaled1024Sha]);
  await shot(page, info, '07-rerun-matched');
});

test('cancels a running cell', async ({ page }, info) => {
  await page.goto(notebookUrl);
  await page.getByRole('button', { name: '+ Prompt', exact: true }).click();
  const c4 = cell(page, 4);
  await field(c4, 'Prompt').fill('a lighthouse at dusk, very slowly');
  await field(c4, 'Images (n)').fill('1');
  await field(c4, 'Steps').fill(String(env.slowSteps));
  await c4.getByRole('button', { name: 'Run Cell 4: Prompt', exact: true }).click();
  await expect(c4.getByRole('status').filter({ hasText: /Waiting for a GPU|Running/ })).toBeVisible({ timeout: 60_000 });
  await shot(page, info, '08-before-cancel');
  await c4.getByRole('button', { name: 'Cancel Cell 4: Prompt', exact: true }).click();
  await expect(c4.getByText('Canceled.')).toBeVisible();
  await expect(c4.getByText('not run')).toBeVisible();
  await expect(c4.getByRole('figure')).toHaveCount(0);
  await expect(c4.getByRole('button', { name: 'Run Cell 4: Prompt', exact: true })).toBeEnabled();
  await shot(page, info, '09-canceled');
});

test('shows a conflicting save from a second page instead of overwriting it', async ({ browser }, info) => {
  const context = await browser.newContext();
  const a = await context.newPage();
  const b = await context.newPage();
  await a.goto(notebookUrl);
  await b.goto(notebookUrl);
  await expect(a.getByLabel('Notebook title')).toHaveValue(title);
  await expect(b.getByLabel('Notebook title')).toHaveValue(title);
  await b.getByLabel('Notebook title').fill('Renamed in page B');
  await expect(b.getByTestId('save-state')).toHaveText('All changes saved');
  await a.getByLabel('Notebook title').fill('Renamed in page A');
  await expect(a.getByTestId('conflict')).toBeVisible();
  await expect(a.getByTestId('save-state')).toHaveText('Not saved: conflict');
  await shot(a, info, '10-conflict');
  // B's save stands
  await b.reload();
  await expect(b.getByLabel('Notebook title')).toHaveValue('Renamed in page B');
  await a.getByRole('button', { name: 'Load their version (drop my changes)', exact: true }).click();
  await expect(a.getByTestId('conflict')).toHaveCount(0);
  await expect(a.getByLabel('Notebook title')).toHaveValue('Renamed in page B');
  await expect(a.getByTestId('save-state')).toHaveText('All changes saved');
  await shot(a, info, '11-conflict-resolved');
  await context.close();
});

test('recreates a cell from a dropped PNG', async ({ page }, info) => {
  await page.goto(notebookUrl);
  const src = await cell(page, 1).getByRole('figure').first().locator('img').getAttribute('src');
  expect(src).toBeTruthy();
  // the edge's own PNG, with its parameters text chunks
  const bytes = await page.evaluate(async (url) => [...new Uint8Array(await (await fetch(url)).arrayBuffer())], src!);
  const dataTransfer = await page.evaluateHandle((b) => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(b)], 'cell-1.png', { type: 'image/png' }));
    return dt;
  }, bytes);
  const before = await page.getByRole('region', { name: /^Cell \d+: / }).count();
  const workspace = page.getByTestId('notebook-workspace');
  await workspace.dispatchEvent('dragover', { dataTransfer });
  await shot(page, info, '12-dragging');
  await workspace.dispatchEvent('drop', { dataTransfer });
  await expect(page.getByText(/Recreated a prompt cell from cell-1\.png/)).toBeVisible();
  const made = cell(page, before + 1);
  await expect(field(made, 'Prompt')).toHaveValue(prompt);
  await expect(field(made, 'Seed')).toHaveValue('1234');
  await expect(field(made, 'Steps')).toHaveValue(String(env.steps));
  await expect(made.getByText('not run')).toBeVisible();
  await shot(page, info, '13-recreated');
});

test('a 1024 PNG dropped onto an empty notebook recreates its chain, which reproduces its pixels', async ({ page }, info) => {
  await page.goto(notebookUrl);
  const figure = cell(page, 3).getByRole('figure').first();
  const pixels = await figure.getAttribute('data-pixel-sha256');
  expect(pixels).toMatch(/^[0-9a-f]{64}$/);
  const src = await figure.locator('img').getAttribute('src');
  const bytes = await page.evaluate(async (url) => [...new Uint8Array(await (await fetch(url)).arrayBuffer())], src!);
  // a fresh notebook: nothing cached, so every step runs again on the runner
  await page.goto('/');
  await page.getByLabel('Title').fill(`${title} (from a PNG)`);
  await page.getByRole('button', { name: 'New notebook', exact: true }).click();
  await page.waitForURL(/\/notebooks\/nb_/);
  expect(page.url()).not.toBe(notebookUrl);
  await expect(page.getByText('This notebook is empty')).toBeVisible();
  const dataTransfer = await page.evaluateHandle((b) => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(b)], 'upscaled-1024.png', { type: 'image/png' }));
    return dt;
  }, bytes);
  await page.getByTestId('notebook-workspace').dispatchEvent('drop', { dataTransfer });
  await expect(page.getByText(/Recreated the chain prompt → 256 → 1024 \(3 cells\) from upscaled-1024\.png/)).toBeVisible();
  await expect(page.getByRole('region', { name: /^Cell \d+: / })).toHaveCount(3);
  await expect(field(cell(page, 1), 'Prompt')).toHaveValue(prompt);
  await expect(field(cell(page, 1), 'Seed')).toHaveValue('1234');
  await expect(field(cell(page, 1), 'Images (n)')).toHaveValue('1');
  await expect(field(cell(page, 2), 'Seed')).toHaveValue('77');
  await expect(field(cell(page, 3), 'Seed')).toHaveValue('78');
  for (const n of [1, 2, 3]) await expect(cell(page, n).getByTestId('expected')).toHaveText('from upscaled-1024.png');
  await shot(page, info, '13b-chain-recreated');
  await page.getByRole('button', { name: 'Run all', exact: true }).click();
  await expect(cell(page, 3).getByRole('figure')).toHaveCount(1, { timeout: env.testTimeoutMs });
  await expect(cell(page, 3).getByRole('figure').first()).toHaveAttribute('data-pixel-sha256', pixels!);
  // each step made the pixels the PNG's chain recorded for it
  for (const n of [1, 2, 3]) await expect(cell(page, n).getByTestId('expected')).toHaveText('reproduces upscaled-1024.png');
  // the file itself may differ (this chain's base request asks for n = 1 where the original asked for 2, and the
  // PNG records it): the pixels are what must match, and they do
  expect((await shasOf(cell(page, 3)))[0]).toMatch(/^[0-9a-f]{64}$/);
  await shot(page, info, '13c-chain-reproduced');
});

/** The served model, as the notebook reads it. */
async function servedModel(): Promise<{ id: string; textEncoder: { maxTokens: number }; examplePrompts: string[]; stages: { resolution: number; defaults: { steps: number; sampler: string; guidance: number } }[] }> {
  const config = (await (await fetch(`${env.baseUrl}/api/dev-config`)).json()) as { edgeUrl: string; apiKey: string };
  const res = await fetch(`${config.edgeUrl}/v1/models`, { headers: { Authorization: `Bearer ${config.apiKey}` } });
  return ((await res.json()) as { data: Awaited<ReturnType<typeof servedModel>>[] }).data[0]!;
}

async function addCell(page: Page, kind: 'Prompt' | 'Sweep'): Promise<Locator> {
  // the notebook's cells are there once its first cell is
  await expect(cell(page, 1)).toBeVisible();
  const before = await page.getByRole('region', { name: /^Cell \d+: / }).count();
  await page.getByRole('button', { name: `+ ${kind}`, exact: true }).click();
  return cell(page, before + 1);
}

test("new cells take the model's defaults; a changed value shows the model's and resets to it", async ({ page }, info) => {
  const model = await servedModel();
  const base = model.stages.find((s) => s.resolution === 64)!.defaults;
  await page.goto(notebookUrl);
  await expect(page.getByTestId('model')).toHaveText(`model: ${model.id}`);
  const c = await addCell(page, 'Prompt');
  await expect(field(c, 'Steps')).toHaveValue(String(base.steps));
  await expect(field(c, 'Sampler')).toHaveValue(base.sampler);
  await expect(field(c, 'Guidance')).toHaveValue(String(base.guidance));
  await expect(c.getByText(/differ from the model/)).toHaveCount(0);
  await field(c, 'Steps').fill(String(base.steps + 7));
  await expect(c.getByText('1 differ from the model')).toBeVisible();
  await expect(c.getByText(`model default: ${base.steps}`)).toBeVisible();
  await shot(page, info, '14-differs-from-model');
  await c.getByRole('button', { name: 'Reset to model defaults' }).click();
  await expect(field(c, 'Steps')).toHaveValue(String(base.steps));
  await expect(c.getByText(/differ from the model/)).toHaveCount(0);
});

test('shows each error once, next to its field, after it was touched', async ({ page }, info) => {
  await page.goto(notebookUrl);
  const c = await addCell(page, 'Prompt');
  // an untouched new cell complains about nothing
  await expect(c.getByText('prompt must not be empty')).toHaveCount(0);
  await expect(c.getByText('not run', { exact: true })).toBeVisible();
  await shot(page, info, '15-new-cell-quiet');
  await field(c, 'Steps').fill('5000');
  await expect(c.getByText('steps must be an integer in [1, 1000], got 5000')).toHaveCount(1);
  await expect(c.getByText('prompt must not be empty')).toHaveCount(0);
  await c.getByRole('button', { name: /^Run Cell \d+: Prompt$/ }).click();
  await expect(c.getByText('prompt must not be empty')).toHaveCount(1);
  await expect(c.getByText('steps must be an integer in [1, 1000], got 5000')).toHaveCount(1);
  await expect(field(c, 'Prompt')).toBeFocused();
  await expect(c.getByRole('alert')).toHaveCount(0);
  await shot(page, info, '16-errors-once');
});

test('opens an image in the viewer: full resolution, zoom, arrow keys, parameters', async ({ page }, info) => {
  await page.goto(notebookUrl);
  const c1 = cell(page, 1);
  // 64 px outputs are shown at 256 px with sharp pixels
  const thumb = c1.getByRole('figure').first().locator('img');
  await expect(thumb).toHaveAttribute('width', '256');
  await expect(thumb).toHaveClass(/pixelated/);
  await c1.getByRole('button', { name: 'Open Image 1 in the viewer' }).click();
  const viewer = page.getByRole('dialog', { name: 'Image viewer: Image 1' });
  await expect(viewer).toBeVisible();
  await expect(viewer.getByRole('complementary', { name: 'Parameters' })).toContainText(prompt);
  await expect(viewer.getByRole('complementary', { name: 'Parameters' })).toContainText(`Image sha256: ${baseShas[0]}`);
  await shot(page, info, '17-viewer');
  await page.keyboard.press('ArrowRight');
  await expect(page.getByRole('dialog', { name: 'Image viewer: Image 2' })).toBeVisible();
  await page.getByRole('dialog').getByRole('button', { name: '4×' }).click();
  await expect(page.getByRole('dialog').getByRole('img')).toHaveCSS('width', '256px');
  await shot(page, info, '18-viewer-zoomed');
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog')).toHaveCount(0);
  // the 1024 upscale keeps its aspect ratio and is downscaled smoothly
  const big = cell(page, 3).getByRole('figure').first().locator('img');
  await expect(big).toHaveAttribute('width', '256');
  await expect(big).toHaveClass(/smooth/);
});

test('runs a sweep as a labelled grid: seeds × guidance, with headers', async ({ page }, info) => {
  await page.goto(notebookUrl);
  const c = await addCell(page, 'Sweep');
  await field(c, 'Prompt').fill(prompt);
  await field(c, 'Seeds (rows)').fill('5, 6');
  await field(c, 'Guidance values (columns)').fill('1, 3');
  await field(c, 'Steps').fill(String(env.steps));
  await field(c, 'Prompt').click();
  await c.getByRole('button', { name: /^Run Cell \d+: Sweep$/ }).click();
  const grid = c.getByRole('table');
  await expect(grid.getByRole('figure')).toHaveCount(4, { timeout: env.testTimeoutMs });
  await expect(grid.getByRole('columnheader')).toHaveText(['seed \\ guidance', 'guidance 1', 'guidance 3']);
  await expect(grid.getByRole('rowheader')).toHaveText(['seed 5', 'seed 6']);
  await expect(grid.getByRole('row').nth(2).getByRole('figure').locator('strong')).toHaveText(['6', '6']);
  // the fields fold away once the cell has run: the images come first
  await expect(field(c, 'Prompt')).toBeHidden();
  await shot(page, info, '19-sweep-grid');
});

test("warns of words the model's tokenizer does not know and of a prompt cut at its max tokens", async ({ page }, info) => {
  const model = await servedModel();
  await page.goto(notebookUrl);
  const c = await addCell(page, 'Prompt');
  // the placeholder is one of the model's own example prompts
  if (model.examplePrompts[0]) await expect(field(c, 'Prompt')).toHaveAttribute('placeholder', `e.g. ${model.examplePrompts[0]}`);
  await field(c, 'Prompt').fill('a watercolor painting of a red circle');
  await expect(c.getByText(/Words the model does not know/)).toContainText('watercolor');
  await expect(c.getByText(/Words the model does not know/)).not.toContainText('circle');
  await expect(c.getByTestId('token-count')).toHaveText(new RegExp(`^\\d+ / ${model.textEncoder.maxTokens} tokens$`));
  await shot(page, info, '20-unknown-words');
  await field(c, 'Prompt').fill(Array.from({ length: model.textEncoder.maxTokens }, () => 'a red circle').join(' and '));
  await expect(c.getByText(`The model reads only the first ${model.textEncoder.maxTokens} tokens: the end of this prompt is cut.`)).toBeVisible();
  await shot(page, info, '21-truncated');
});
