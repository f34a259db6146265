// The headless-Chromium half of `npm run bench` (alone: npm run bench:browser): serves
// bench/browser/ with Vite, opens it in Debian's Chromium with WebGPU on SwiftShader (the e2e
// tests' binary and flags, from playwright.config.ts), and times webrnn and TF.js's webgpu, wasm and cpu backends on the same char-LM
// (bench/configs.ts CHROMIUM), one after the other in one page of one browser session. webrnn is
// timed before and after TF.js and its row pools both (this box's speed drifts by up to 1.9×
// within minutes: a ratio from one block of webrnn steps against TF.js minutes later drifted with it).
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';
import { createServer } from 'vite';
import { CHROMIUM } from './configs.js';
import { summarize, type Measurement } from './measure.js';
import type { PageInfo, TfjsBackend, TfjsMeasurement } from './browser/protocol.js';
import { mib, ratio, table } from './report.js';
import { formatProfile } from './profile.js';
import type { GpuOptions } from '../src/index.js';
// The e2e tests' Chromium and flags (Debian's build, WebGPU on SwiftShader): one source for both.
import e2e from '../playwright.config.js';


export interface TfjsRun {
  name: string;
  backend: TfjsBackend;
  /** Issue 6: webrnn's training throughput must be at least this many times TF.js's. */
  target?: number;
  warmup: number;
  reps: number;
}

/**
 * TF.js's webgpu backend takes seconds per step on SwiftShader (and its first step compiles
 * every pipeline), so it gets one warm-up and two timed steps; wasm is fast enough for five.
 */
export const TFJS_RUNS: TfjsRun[] = [
  { name: 'tfjs-wasm', backend: 'wasm', target: 3, warmup: 1, reps: 5 },
  { name: 'tfjs-cpu', backend: 'cpu', warmup: 1, reps: 2 },
  { name: 'tfjs-webgpu', backend: 'webgpu', target: 50, warmup: 1, reps: 2 },
];

export interface BrowserResults {
  browser: string;
  page: PageInfo;
  config: string;
  webrnn: Measurement | { error: string };
  tfjs: ((TfjsMeasurement & { name: string; target?: number }) | { name: string; backend: TfjsBackend; error: string })[];
}

export async function runBrowserBench(o: { reps: number | null; warmup: number | null; kernels: GpuOptions['kernels']; profile: boolean; log: (s: string) => void }): Promise<BrowserResults> {
  const { log } = o;
  const server = await createServer({ configFile: fileURLToPath(new URL('./vite.page.config.ts', import.meta.url)) });
  await server.listen();
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('the bench page server did not report a URL');
  const { executablePath, args } = e2e.use?.launchOptions ?? {};
  const browser = await chromium.launch({ executablePath, args, headless: true });
  try {
    const page = await browser.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') log(`  [page error] ${m.text()}`);
    });
    page.on('pageerror', (e) => log(`  [page error] ${e.message}`));
    await page.goto(url);
    await page.waitForFunction(() => window.webrnnBench !== undefined, null, { timeout: 120_000 });
    const info = await page.evaluate(() => window.webrnnBench!.info());
    log(`chromium ${browser.version()}, ${url}; TF.js ${info.tfjsVersion}`);

    const reps = { warmup: o.warmup ?? 1, reps: o.reps ?? 5 };
    log(`  webrnn ${CHROMIUM.name} …`);
    let webrnn: BrowserResults['webrnn'];
    try {
      webrnn = await page.evaluate(([r, k]) => window.webrnnBench!.webrnn(r, k), [reps, o.kernels] as const);
      log(`  webrnn: ${webrnn.time.median.toFixed(1)} ms/step (${webrnn.dispatches} dispatches)`);
      if (o.profile) log(`Chromium: ${formatProfile(await page.evaluate((k) => window.webrnnBench!.profile(k), o.kernels))}`);
    } catch (e) {
      webrnn = { error: (e as Error).message };
      log(`  webrnn: FAILED ${webrnn.error}`);
    }
    const tfjs: BrowserResults['tfjs'] = [];
    const before = 'error' in webrnn ? null : webrnn;
    for (const run of TFJS_RUNS) {
      const r = { warmup: o.warmup ?? run.warmup, reps: Math.min(o.reps ?? run.reps, run.reps) };
      // Kernel count once, on the fastest backend (the graph is the same on all of them).
      const profile = run.name === 'tfjs-wasm';
      log(`  ${run.name} …`);
      try {
        const m = await page.evaluate(([b, rr, pr]) => window.webrnnBench!.tfjs(b, rr, pr), [run.backend, r, profile] as const);
        tfjs.push({ ...m, name: run.name, target: run.target });
        log(`  ${run.name}: ${m.time.median.toFixed(1)} ms/step${m.detail ? ` (${m.detail})` : ''}`);
      } catch (e) {
        tfjs.push({ name: run.name, backend: run.backend, error: (e as Error).message });
        log(`  ${run.name}: FAILED ${(e as Error).message}`);
      }
    }
    if (before) {
      log(`  webrnn ${CHROMIUM.name} again, after TF.js …`);
      try {
        const after = await page.evaluate(([r, k]) => window.webrnnBench!.webrnn(r, k), [reps, o.kernels] as const);
        log(`  webrnn: ${after.time.median.toFixed(1)} ms/step after TF.js, ${before.time.median.toFixed(1)} before`);
        webrnn = { ...after, time: summarize([...before.time.samples, ...after.time.samples]) };
      } catch (e) {
        webrnn = { error: `after TF.js: ${(e as Error).message}` };
        log(`  webrnn: FAILED ${webrnn.error}`);
      }
    }
    return { browser: `Chromium ${browser.version()} (headless, ${executablePath})`, page: info, config: CHROMIUM.name, webrnn, tfjs };
  } finally {
    await browser.close();
    await server.close();
  }
}

export function formatBrowser(r: BrowserResults): string {
  const ours = 'error' in r.webrnn ? null : r.webrnn;
  const head = [
    `Headless ${r.browser}; webrnn's WebGPU adapter: ${ours?.adapter ?? 'n/a'}`,
    `${r.config} char-LM (V = 65): ms per training step, median [min–max] of n after warm-up;`,
    'webrnn: its steps before and after TF.js\'s pooled; speed-up = TF.js ms ÷ webrnn ms (webrnn\'s training throughput over TF.js\'s)',
  ];
  const time = (t: Measurement['time']): string => `${t.median.toFixed(1)} [${t.min.toFixed(1)}–${t.max.toFixed(1)}, n=${t.n}]`;
  const rows: string[][] = [];
  if (ours) {
    rows.push(['webrnn (webgpu)', time(ours.time), '', '', `${ours.dispatches} dispatches, ${ours.submits} submit; GPU ${mib(ours.gpuBytes)} MiB (${ours.memoryRatio.toFixed(2)}× min)`]);
  } else rows.push(['webrnn (webgpu)', `FAILED: ${(r.webrnn as { error: string }).error}`, '', '', '']);
  for (const t of r.tfjs) {
    if ('error' in t) {
      rows.push([t.name, `FAILED: ${t.error}`, '', '', '']);
      continue;
    }
    const speedup = ours ? `${ratio(t.time.median / ours.time.median)}×` : '';
    const extra = [t.kernels === undefined ? '' : `${t.kernels} kernels/step`, t.detail ?? ''].filter(Boolean).join('; ');
    rows.push([t.name, time(t.time), speedup, t.target ? `≥ ${t.target}×` : '', extra]);
  }
  return [...head, table(['', 'ms/step', 'speed-up', 'target', ''], rows)].join('\n');
}
