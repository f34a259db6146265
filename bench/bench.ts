// npm run bench [-- flags]: webrnn's training and generation speed, dispatches and GPU memory,
// in Node (Dawn, any adapter), then in headless Chromium beside TF.js (bench/browser.ts).
//
//   --json            one JSON document on stdout (progress and the tables go to stderr)
//   --quick           small sizes (H64 B8 T16 per cell, the Chromium config RNN H128 B32 T64,
//                     generation), few reps: a minute or two on SwiftShader
//   --full            the issue's sizes even on SwiftShader (the default elsewhere)
//   --configs=a,b     only these configs (names as printed; see bench/configs.ts)
//   --reps=N --warmup=N
//   --node            Node only;  --browser  headless Chromium only (also npm run bench:browser)
//   --kernels=auto|gpu|cpu  webrnn's kernel variants (default auto: chosen from the adapter)
//   --profile               also take one RNN H128 B32 T64 step apart by kernel family (bench/profile.ts)
//   --torch=FILE      torch_probe.py's JSON from the same machine: PyTorch's figures side by side
//
// On a SwiftShader adapter the issue's sizes take minutes per step, so Node switches to --quick
// unless --full is given. The bundled build (npm run bench:bundle, for the GPU machine) has no
// browser part.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { nodeGpu } from '../test/gpu-device.js';
import { FULL, QUICK, findConfigs, torchKey, VOCAB, type BenchConfig } from './configs.js';
import { createModel, measure, type Measurement } from './measure.js';
import { formatMeasurements } from './report.js';
import type { BrowserResults } from './browser.js';
import { formatProfile, profileShape, profileStep } from './profile.js';

/** Set by bench/vite.bundle.config.ts; undefined under tsx. */
declare const __WEBRNN_BENCH_BUNDLE__: boolean | undefined;
const BUNDLED = typeof __WEBRNN_BENCH_BUNDLE__ !== 'undefined' && __WEBRNN_BENCH_BUNDLE__;

interface Flags {
  json: boolean;
  quick: boolean;
  full: boolean;
  configs: string[] | null;
  reps: number | null;
  warmup: number | null;
  node: boolean;
  browser: boolean;
  torch: string | null;
  kernels: 'auto' | 'gpu' | 'cpu';
  profile: boolean;
}

function parseFlags(argv: string[]): Flags {
  const f: Flags = { json: false, quick: false, full: false, configs: null, reps: null, warmup: null, node: false, browser: false, torch: null, kernels: 'auto', profile: false };
  const int = (a: string, v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${a}: expected a non-negative integer, got '${v}'`);
    return n;
  };
  for (const a of argv) {
    const [k, v = ''] = a.split('=', 2);
    if (k === '--json') f.json = true;
    else if (k === '--quick') f.quick = true;
    else if (k === '--full') f.full = true;
    else if (k === '--node') f.node = true;
    else if (k === '--browser') f.browser = true;
    else if (k === '--profile') f.profile = true;
    else if (k === '--torch') f.torch = v;
    else if (k === '--kernels') {
      if (v !== 'auto' && v !== 'gpu' && v !== 'cpu') throw new Error(`--kernels: expected auto, gpu or cpu, got '${v}'`);
      f.kernels = v;
    } else if (k === '--configs') f.configs = v.split(',').filter(Boolean);
    else if (k === '--reps') f.reps = Math.max(1, int(a, v));
    else if (k === '--warmup') f.warmup = int(a, v);
    else throw new Error(`unknown flag '${a}' (see the header of bench/bench.ts)`);
  }
  if (f.quick && f.full) throw new Error('--quick and --full exclude each other');
  return f;
}

export interface NodeResults {
  adapter: string;
  kernels: Flags['kernels'];
  mode: 'quick' | 'full' | 'custom';
  note?: string;
  results: (Measurement | { config: string; error: string })[];
}

async function runNode(f: Flags, log: (s: string) => void): Promise<NodeResults> {
  const device = { gpu: await nodeGpu(), kernels: f.kernels };
  const probe = await createModel({ name: 'probe', kind: 'train', cell: 'rnn', H: 8, B: 1, T: 1 }, device);
  const adapter = probe.deviceName;
  probe.dispose();
  const swiftshader = /swiftshader/i.test(adapter);
  let note: string | undefined;
  let quick = f.quick;
  if (!f.quick && !f.full && !f.configs && swiftshader) {
    quick = true;
    note = 'SwiftShader (a CPU Vulkan driver) detected: quick sizes; --full runs the issue\'s sizes';
  }
  const configs: BenchConfig[] = f.configs ? findConfigs(f.configs) : quick ? QUICK : FULL;
  const reps = { warmup: f.warmup ?? (quick || swiftshader ? 1 : 3), reps: f.reps ?? (quick || swiftshader ? 3 : 20) };
  log(`node: adapter ${adapter}${note ? ` (${note})` : ''}; kernels ${f.kernels}; ${reps.warmup} warm-up + ${reps.reps} timed`);
  const torch = f.torch ? readTorch(f.torch, log) : {};
  const results: NodeResults['results'] = [];
  for (const c of configs) {
    log(`  ${c.name} …`);
    try {
      const m = await measure(c, reps, device);
      m.pytorchHere = torch[torchKey(c)];
      results.push(m);
      log(`  ${c.name}: ${m.time.median.toFixed(m.unit === 'ms/step' ? 2 : 1)} ${m.unit}`);
    } catch (e) {
      results.push({ config: c.name, error: `${(e as Error).name}: ${(e as Error).message}` });
      log(`  ${c.name}: FAILED ${(e as Error).message}`);
    }
  }
  return { adapter, kernels: f.kernels, mode: f.configs ? 'custom' : quick ? 'quick' : 'full', note, results };
}

/** torch_probe.py's output; a missing or broken file only loses the side-by-side column. */
function readTorch(path: string, log: (s: string) => void): Record<string, number> {
  try {
    const j = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    log(`torch: ${String(j.torch)} on ${String(j.gpu)}, cuDNN ${String(j.cudnn)} (${path})`);
    return Object.fromEntries(Object.entries(j).filter((e): e is [string, number] => typeof e[1] === 'number'));
  } catch (e) {
    log(`torch: no PyTorch figures from ${path} (${(e as Error).message})`);
    return {};
  }
}

function environment(): Record<string, string | number> {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    // Other work on the machine skews CPU-bound (SwiftShader) figures: say how busy it was.
    loadavg: os.loadavg().map((x) => x.toFixed(2)).join(' '),
    command: `node ${process.argv.slice(1).join(' ')}`,
    vocab: VOCAB,
  };
}

async function main(): Promise<void> {
  const f = parseFlags(process.argv.slice(2));
  const log = (s: string): void => void (f.json ? process.stderr : process.stdout).write(`${s}\n`);
  if (BUNDLED && f.browser) throw new Error('the bundled bench has no browser part; run npm run bench:browser in the repository');
  const doNode = f.node || !f.browser;
  const doBrowser = !BUNDLED && (f.browser || !f.node);
  const env = environment();
  log(`webrnn bench — ${env.date}, Node ${env.node}, ${env.platform}, ${env.cores}× ${env.cpu}, load average ${env.loadavg}`);

  const node = doNode ? await runNode(f, log) : undefined;
  // The tables go to stderr under --json, so a log of the run still reads like one.
  if (node) {
    log('');
    log(`Node (Dawn), adapter: ${node.adapter}; kernels: ${node.kernels}`);
    log(formatMeasurements(node.results));
  }
  if (doNode && f.profile) {
    log('');
    log(`Node: ${formatProfile(await profileStep({ ...profileShape, gpu: await nodeGpu(), kernels: f.kernels }))}`);
  }

  let browser: BrowserResults | { error: string } | undefined;
  if (doBrowser) {
    // Loaded only here: it drives Vite and Playwright, which the bundle does not carry.
    const { runBrowserBench, formatBrowser } = await import('./browser.js');
    try {
      const b = await runBrowserBench({ reps: f.reps, warmup: f.warmup, kernels: f.kernels, profile: f.profile, log });
      browser = b;
      log('');
      log(formatBrowser(b));
    } catch (e) {
      browser = { error: `${(e as Error).name}: ${(e as Error).message}` };
      log(`browser bench FAILED: ${browser.error}`);
    }
  }
  if (f.json) process.stdout.write(`${JSON.stringify({ env, node, browser }, null, 1)}\n`);
  // Any config that failed fails the run, after everything else was measured and printed.
  const failed =
    (node?.results.filter((r) => 'error' in r).length ?? 0) +
    (browser === undefined ? 0 : 'error' in browser ? 1 : ('error' in browser.webrnn ? 1 : 0) + browser.tfjs.filter((t) => 'error' in t).length);
  if (failed) throw new Error(`${failed} measurement(s) failed (see above)`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    process.exit(1);
  },
);
