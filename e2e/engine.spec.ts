// The engine inside headless Chromium (SwiftShader WebGPU): the same GPU-vs-CPU parity check as the
// Node tests (test/parity.ts), and real training runs that must halve the loss on a small text.
// Test modules are imported into an empty page through Vite's /@fs/ route, so they run as an app would.
import { expect, test, type Page } from '@playwright/test';
import { fileURLToPath } from 'node:url';
import type * as Parity from '../test/parity.js';
import type * as Train from '../test/train-text.js';
import type * as Models from '../tools/golden/models.js';
import type * as DefaultLimits from '../test/default-limits.js';
import type * as Recover from '../test/recover.js';

const root = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');

async function openPage(page: Page): Promise<string[]> {
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`/@fs${root}/e2e/engine.html`);
  return errors;
}

test('the WebGPU backend matches the CPU reference inside Chromium', async ({ page }) => {
  const errors = await openPage(page);
  const results = await page.evaluate(async (mod) => {
    const p = (await import(/* @vite-ignore */ mod)) as typeof Parity;
    const adam = { optimizer: { type: 'adam' as const, lr: 0.01 }, clip: 0.5 };
    const specs: Parity.ParitySpec[] = [
      { cell: 'rnn', inputSize: 9, hiddenSize: 67, outputSize: 9, batch: 3, steps: 5, tokens: true, loss: 'nll', seed: 31, randomState: true, optimizers: [adam] },
      { cell: 'rnn', nonlinearity: 'relu', inputSize: 3, hiddenSize: 8, outputSize: 2, batch: 1, steps: 1, tokens: false, loss: 'mse', seed: 32, optimizers: [adam] },
      { cell: 'tutorial', inputSize: 8, hiddenSize: 12, outputSize: 5, batch: 2, steps: 4, tokens: true, loss: 'nll_last', seed: 33, optimizers: [adam] },
      { cell: 'lstm', inputSize: 6, hiddenSize: 10, numLayers: 2, outputSize: 6, batch: 2, steps: 4, tokens: true, loss: 'nll', seed: 34, randomState: true, optimizers: [adam] },
      { cell: 'gru', inputSize: 6, hiddenSize: 9, numLayers: 3, outputSize: 6, batch: 2, steps: 3, tokens: true, loss: 'nll', seed: 35, randomState: true, optimizers: [adam] },
      // 'auto' takes the team kernels here (4-wide subgroups, the recurrence in one dispatch); the
      // 4×4-blocked ones, the team's ragged tiles, and the team kernels one dispatch a time step
      { cell: 'lstm', inputSize: 7, hiddenSize: 11, outputSize: 7, batch: 3, steps: 4, tokens: true, loss: 'nll', seed: 36, randomState: true, optimizers: [adam], kernels: 'cpu' },
      { cell: 'rnn', inputSize: 9, hiddenSize: 70, outputSize: 9, batch: 17, steps: 3, tokens: true, loss: 'nll', seed: 37, randomState: true, optimizers: [adam], kernels: 'cpu-team' },
      { cell: 'gru', inputSize: 7, hiddenSize: 12, outputSize: 7, batch: 9, steps: 3, tokens: true, loss: 'nll', seed: 38, randomState: true, optimizers: [adam], kernels: 'cpu-team-per-step' },
      // the general plan: a tied embedding LSTM with dropout, a bidirectional GRU over lengths
      { cell: 'lstm', inputSize: 10, hiddenSize: 6, numLayers: 2, outputSize: 10, batch: 3, steps: 4, tokens: true, loss: 'nll', seed: 39, model: { embeddingDim: 6, tied: true, dropout: 0.3, outputDropout: 0.4 }, optimizers: [adam] },
      { cell: 'gru', inputSize: 8, hiddenSize: 5, numLayers: 2, outputSize: 3, batch: 3, steps: 5, tokens: true, loss: 'nll_last', seed: 40, lengths: [5, 1, 3], model: { bidirectional: true }, optimizers: [adam] },
    ];
    const gpu = navigator.gpu;
    const out: { spec: string; rows: number; failures: string[] }[] = [];
    for (const s of specs) {
      const rows = await p.parity(gpu, s);
      out.push({ spec: `${s.cell} L${s.numLayers ?? 1} H${s.hiddenSize} ${s.kernels ?? 'auto'}`, rows: rows.length, failures: p.failures(rows) });
    }
    return out;
  }, `/@fs${root}/test/parity.ts`);
  for (const r of results) {
    expect(r.rows, r.spec).toBeGreaterThan(8);
    expect(r.failures, r.spec).toEqual([]);
  }
  expect(errors).toEqual([]);
});

const runs = [
  { name: 'an Elman RNN halves its loss on a small text within 200 steps', cell: 'rnn', numLayers: 1, hiddenSize: 32, steps: 200 },
  { name: 'a 2-layer LSTM halves its loss on a small text within 300 steps', cell: 'lstm', numLayers: 2, hiddenSize: 32, steps: 300 },
  { name: 'a GRU halves its loss on a small text within 300 steps', cell: 'gru', numLayers: 1, hiddenSize: 32, steps: 300 },
] as const;

for (const r of runs) {
  test(`in Chromium, ${r.name}`, async ({ page }) => {
    const errors = await openPage(page);
    const run = await page.evaluate(
      async ([mod, opts]) => {
        const t = (await import(/* @vite-ignore */ mod)) as typeof Train;
        return t.trainText({ ...opts, gpu: navigator.gpu });
      },
      [`/@fs${root}/test/train-text.ts`, { cell: r.cell, numLayers: r.numLayers, hiddenSize: r.hiddenSize, steps: r.steps }] as const,
    );
    expect(run.backend).toBe('webgpu');
    expect(run.deviceName.toLowerCase()).toContain('swiftshader');
    expect(run.losses).toHaveLength(r.steps);
    const k = 10;
    const first = run.losses.slice(0, k).reduce((a, b) => a + b) / k;
    const last = run.losses.slice(-k).reduce((a, b) => a + b) / k;
    expect(last).toBeLessThan(first / 2);
    expect(errors).toEqual([]);
  });
}

test('PyTorch modules under their own names load and match PyTorch inside Chromium', async ({ page }) => {
  const errors = await openPage(page);
  const results = await page.evaluate(
    async ([mod, base]) => {
      const g = (await import(/* @vite-ignore */ mod)) as typeof Models;
      const out: { name: string; rows: number; failures: string[] }[] = [];
      const index = (await (await fetch(`${base}/index.json`)).json()) as { cases: string[]; trained: string[] };
      const all = [...index.cases.map((n) => [n, g.runModelCase] as const), ...index.trained.map((n) => [n, g.runTrainedCase] as const)];
      for (const [name, run] of all) {
        const load = async (f: string): Promise<Uint8Array> => new Uint8Array(await (await fetch(`${base}/${name}/${f}`)).arrayBuffer());
        const rows = await run(load, 'webgpu', navigator.gpu);
        out.push({ name, rows: rows.length, failures: rows.filter((r) => !r.ok).map((r) => `${r.quantity}: ${r.err}`) });
      }
      return out;
    },
    [`/@fs${root}/tools/golden/models.ts`, `/@fs${root}/test/fixtures/golden-models`] as const,
  );
  expect(results.length).toBe(10);
  for (const r of results) {
    expect(r.rows, r.name).toBeGreaterThan(0);
    expect(r.failures, r.name).toEqual([]);
  }
  expect(errors).toEqual([]);
});

test('on a device with only the default limits and no features, a PyTorch module matches PyTorch in both kernel families inside Chromium', async ({ page }) => {
  const errors = await openPage(page);
  const results = await page.evaluate(
    async ([mod, limitsMod, base]) => {
      const g = (await import(/* @vite-ignore */ mod)) as typeof Models;
      const { defaultLimitsGpu } = (await import(/* @vite-ignore */ limitsMod)) as typeof DefaultLimits;
      const gpu = defaultLimitsGpu(navigator.gpu);
      const device = await (await gpu.requestAdapter())!.requestDevice();
      const storage = device.limits.maxStorageBuffersPerShaderStage;
      device.destroy();
      const load = async (f: string): Promise<Uint8Array> => new Uint8Array(await (await fetch(`${base}/wlm_lstm_tied/${f}`)).arrayBuffer());
      const out: { kernels: string; rows: number; failures: string[]; storage: number }[] = [];
      for (const kernels of ['gpu', 'cpu'] as const) {
        const rows = await g.runModelCase(load, 'webgpu', { gpu, kernels });
        out.push({ kernels, storage, rows: rows.length, failures: rows.filter((r) => !r.ok).map((r) => `${r.quantity}: ${r.err}`) });
      }
      return out;
    },
    [`/@fs${root}/tools/golden/models.ts`, `/@fs${root}/test/default-limits.ts`, `/@fs${root}/test/fixtures/golden-models`] as const,
  );
  expect(results.length).toBe(2);
  for (const r of results) {
    expect(r.storage).toBe(8);
    expect(r.rows, r.kernels).toBeGreaterThan(10);
    expect(r.failures, r.kernels).toEqual([]);
  }
  expect(errors).toEqual([]);
});

test('a destroyed device inside Chromium: calls reject with DeviceLostError, recover() goes on from the snapshot with the same losses', async ({ page }) => {
  const errors = await openPage(page);
  const run = await page.evaluate(async (mod) => {
    const r = (await import(/* @vite-ignore */ mod)) as typeof Recover;
    return r.recoveryRun(navigator.gpu, { total: 10, every: 3, lostAfter: 7 });
  }, `/@fs${root}/test/recover.ts`);
  expect(run.lostError.name).toBe('DeviceLostError');
  expect(run.lostError.reason).toBe('destroyed');
  expect(run.paramsError).toBe('DeviceLostError');
  expect(run.recoveredStep).toBe(6);
  expect(run.before).toEqual(run.reference.slice(0, 7));
  expect(run.after.length).toBe(4);
  for (let i = 0; i < 4; i++) expect(run.after[i]).toBeCloseTo(run.reference[6 + i], 5);
  // Chromium prints the loss of a destroyed device to the console; nothing else may appear
  expect(errors.filter((e) => !/destroy|lost/i.test(e))).toEqual([]);
});
