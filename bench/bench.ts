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
//   --kernels=auto|gpu|gpu-per-step|cpu|cpu-team|cpu-team-per-step  webrnn's kernel variants (default auto: chosen from the adapter)
//   --pace-waits=on|off  Node: GpuOptions.paceWaits (default: the library's, on for CPU adapters)
//   --profile         also take a step apart by kernel family (bench/profile.ts): in Node every
//                     train config of the run (with --quick, RNN H128 B32 T64), in Chromium RNN H128 B32 T64
//   --parity          first check every kernel family against the CPU reference on this adapter
//                     (test/parity.ts's cases, plus the issue's hidden sizes on short sequences)
//   --torch=FILE      torch_probe.py's JSON from the same machine: PyTorch's figures side by side
//   --torch-fp32=FILE the same from bench/torch_fp32.py (TensorFloat-32 off: f32, like webrnn)
//   --default-limits  Node: on an adapter clamped to WebGPU's default limits and no features
//                     (test/default-limits.ts), as many phones and integrated GPUs offer
//   --snapshots       Node: what the CPU snapshots of model.recover() cost a step (every 50
//                     steps, the default) on the first train config of the run
//
// On a SwiftShader adapter the issue's sizes take minutes per step, so Node switches to --quick
// unless --full is given. The bundled build (npm run bench:bundle, for the GPU machine) has no
// browser part.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { nodeGpu } from '../test/gpu-device.js';
import { FULL, QUICK, findConfigs, torchKey, VOCAB, type BenchConfig } from './configs.js';
import { createModel, measure, snapshotCost, type Measurement, type SnapshotCost } from './measure.js';
import { defaultLimitsGpu } from '../test/default-limits.js';
import { formatMeasurements } from './report.js';
import type { BrowserResults } from './browser.js';
import { formatProfile, profileShape, profileStep, type Profile } from './profile.js';
import { failures, parity, PARITY_CASES, type ParitySpec } from '../test/parity.js';
import { acquireGpu } from '../src/gpu/device.js';

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
  torchFp32: string | null;
  kernels: Kernels;
  paceWaits: boolean | undefined;
  profile: boolean;
  parity: boolean;
  defaultLimits: boolean;
  snapshots: boolean;
}

type Kernels = 'auto' | 'gpu' | 'gpu-per-step' | 'cpu' | 'cpu-team' | 'cpu-team-per-step';
const KERNELS: Kernels[] = ['auto', 'gpu', 'gpu-per-step', 'cpu', 'cpu-team', 'cpu-team-per-step'];

function parseFlags(argv: string[]): Flags {
  const f: Flags = { json: false, quick: false, full: false, configs: null, reps: null, warmup: null, node: false, browser: false, torch: null, torchFp32: null, kernels: 'auto', paceWaits: undefined, profile: false, parity: false, defaultLimits: false, snapshots: false };
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
    else if (k === '--default-limits') f.defaultLimits = true;
    else if (k === '--snapshots') f.snapshots = true;
    else if (k === '--profile') f.profile = true;
    else if (k === '--parity') f.parity = true;
    else if (k === '--torch') f.torch = v;
    else if (k === '--torch-fp32') f.torchFp32 = v;
    else if (k === '--kernels') {
      const kv = KERNELS.find((x) => x === v);
      if (!kv) throw new Error(`--kernels: expected one of ${KERNELS.join(', ')}, got '${v}'`);
      f.kernels = kv;
    } else if (k === '--pace-waits') {
      if (v !== 'on' && v !== 'off') throw new Error(`--pace-waits: expected on or off, got '${v}'`);
      f.paceWaits = v === 'on';
    } else if (k === '--configs') f.configs = v.split(',').filter(Boolean);
    else if (k === '--reps') f.reps = Math.max(1, int(a, v));
    else if (k === '--warmup') f.warmup = int(a, v);
    else throw new Error(`unknown flag '${a}' (see the header of bench/bench.ts)`);
  }
  if (f.quick && f.full) throw new Error('--quick and --full exclude each other');
  return f;
}

/** The configs a Node run measures: --configs, else the quick or the full set. */
function configsOf(f: Flags, quick: boolean): BenchConfig[] {
  return f.configs ? findConfigs(f.configs) : quick ? QUICK : FULL;
}

// SGD here: Adam's first steps move each weight by about ±lr whatever the gradient's size, so where
// float32 rounding flips the sign of a near-zero gradient (more of them at these sizes) the
// parameters differ by 2·lr, which says nothing about the kernels. Adam's kernel is checked by the
// cases above, at sizes where that does not happen.
const SGD_CLIP = { optimizer: { type: 'sgd' as const, lr: 0.1, momentum: 0.9 }, clip: 1 };
/** Beyond the unit tests' cases: the issue's hidden sizes and batches on short sequences. */
const LARGE_PARITY: [string, ParitySpec][] = [
  ['RNN H256 B32 T12', { cell: 'rnn', inputSize: VOCAB, hiddenSize: 256, outputSize: VOCAB, batch: 32, steps: 12, tokens: true, loss: 'nll', seed: 21, optimizers: [SGD_CLIP], trainSteps: 2 }],
  ['GRU H512 B32 T6', { cell: 'gru', inputSize: VOCAB, hiddenSize: 512, outputSize: VOCAB, batch: 32, steps: 6, tokens: true, loss: 'nll', seed: 22, randomState: true, optimizers: [SGD_CLIP], trainSteps: 2 }],
  ['LSTM H1024 B8 T3', { cell: 'lstm', inputSize: VOCAB, hiddenSize: 1024, outputSize: VOCAB, batch: 8, steps: 3, tokens: true, loss: 'nll', seed: 23, randomState: true, optimizers: [SGD_CLIP], trainSteps: 2 }],
  ['RNN H1024 B64 T3', { cell: 'rnn', inputSize: VOCAB, hiddenSize: 1024, outputSize: VOCAB, batch: 64, steps: 3, tokens: true, loss: 'nll', seed: 24, optimizers: [SGD_CLIP], trainSteps: 2 }],
];

export interface ParityResult {
  kernels: string;
  case: string;
  quantities: number;
  worst: number;
  failures: string[];
}

/** Every kernel family (or the one --kernels names) against the float64 CPU reference on this adapter. */
async function runParity(f: Flags, log: (s: string) => void): Promise<ParityResult[]> {
  const gpu = await nodeGpu();
  const out: ParityResult[] = [];
  const cpuTeam = (await acquireGpu(gpu)).subgroups4; // the team kernels need 4-wide subgroups
  const families = f.kernels === 'auto' ? (['gpu', 'gpu-per-step', 'cpu', ...(cpuTeam ? (['cpu-team', 'cpu-team-per-step'] as const) : [])] as const) : [f.kernels];
  for (const kernels of families) {
    for (const [name, spec] of [...PARITY_CASES, ...LARGE_PARITY]) {
      let r: ParityResult;
      try {
        const rows = await parity(gpu, { ...spec, kernels });
        r = { kernels, case: name, quantities: rows.length, worst: Math.max(...rows.map((x) => x.err / x.tol)), failures: failures(rows) };
      } catch (e) {
        r = { kernels, case: name, quantities: 0, worst: Infinity, failures: [`${(e as Error).name}: ${(e as Error).message}`] };
      }
      out.push(r);
      log(`parity ${kernels} ${name}: ${r.failures.length ? `FAILED ${r.failures.slice(0, 4).join('; ')}` : `${r.quantities} quantities, worst ${r.worst.toFixed(3)} of tolerance`}`);
    }
  }
  return out;
}

export interface NodeResults {
  adapter: string;
  kernels: Flags['kernels'];
  mode: 'quick' | 'full' | 'custom';
  note?: string;
  results: (Measurement | { config: string; error: string })[];
  defaultLimits: boolean;
  snapshots?: SnapshotCost;
}

async function runNode(f: Flags, log: (s: string) => void): Promise<NodeResults> {
  const gpu = f.defaultLimits ? defaultLimitsGpu(await nodeGpu()) : await nodeGpu();
  const device = { gpu, kernels: f.kernels, paceWaits: f.paceWaits };
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
  const configs = configsOf(f, quick);
  const reps = { warmup: f.warmup ?? (quick || swiftshader ? 1 : 3), reps: f.reps ?? (quick || swiftshader ? 3 : 20) };
  log(`node: adapter ${adapter}${f.defaultLimits ? ' clamped to the default limits, no features' : ''}${note ? ` (${note})` : ''}; kernels ${f.kernels}; ${reps.warmup} warm-up + ${reps.reps} timed`);
  const torch = f.torch ? readTorch(f.torch, log) : {};
  const torchFp32 = f.torchFp32 ? readTorch(f.torchFp32, log) : {};
  const results: NodeResults['results'] = [];
  for (const c of configs) {
    log(`  ${c.name} …`);
    try {
      const m = await measure(c, reps, device);
      m.pytorchHere = torch[torchKey(c)];
      m.pytorchFp32Here = torchFp32[torchKey(c)];
      results.push(m);
      log(`  ${c.name}: ${m.time.median.toFixed(m.unit === 'ms/step' ? 2 : 1)} ${m.unit}`);
    } catch (e) {
      results.push({ config: c.name, error: `${(e as Error).name}: ${(e as Error).message}` });
      log(`  ${c.name}: FAILED ${(e as Error).message}`);
    }
  }
  let snapshots: SnapshotCost | undefined;
  const first = configs.find((c) => c.kind === 'train');
  if (f.snapshots && first) {
    snapshots = await snapshotCost(first, device);
    const s = snapshots;
    log(`  snapshots every ${s.every} steps, ${first.name}: a step ${s.stepMs.toFixed(2)} ms, a snapshot step and the next ${s.pairMs.toFixed(2)} ms: ${(100 * s.overhead).toFixed(2)}% of a step (medians; ${s.snapshots} snapshots, ${s.steps} steps)`);
  }
  return { adapter, kernels: f.kernels, mode: f.configs ? 'custom' : quick ? 'quick' : 'full', note, results, defaultLimits: f.defaultLimits, snapshots };
}

/** torch_probe.py's output; a missing or broken file only loses the side-by-side column. */
function readTorch(path: string, log: (s: string) => void): Record<string, number> {
  try {
    const j = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    const tf32 = j.allow_tf32 === undefined ? '' : `, allow_tf32 ${JSON.stringify(j.allow_tf32)}`;
    log(`torch: ${String(j.torch)} on ${String(j.gpu)}, cuDNN ${String(j.cudnn)}${tf32} (${path})`);
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

  const parityResults = doNode && f.parity ? await runParity(f, log) : undefined;
  const node = doNode ? await runNode(f, log) : undefined;
  // The tables go to stderr under --json, so a log of the run still reads like one.
  if (node) {
    log('');
    log(`Node (Dawn), adapter: ${node.adapter}; kernels: ${node.kernels}`);
    log(formatMeasurements(node.results));
  }
  const profiles: Profile[] = [];
  if (doNode && f.profile) {
    const shapes =
      node?.mode === 'quick' || !node
        ? [profileShape]
        : configsOf(f, false).filter((c) => c.kind === 'train').map((c) => ({ cell: c.cell, hiddenSize: c.H, batch: c.B, steps: c.T, vocab: VOCAB }));
    for (const shape of shapes) {
      const p = await profileStep({ ...shape, gpu: await nodeGpu(), kernels: f.kernels });
      profiles.push(p);
      log('');
      log(`Node: ${formatProfile(p)}`);
    }
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
  if (f.json) process.stdout.write(`${JSON.stringify({ env, parity: parityResults, node, profiles, browser }, null, 1)}\n`);
  // Any config that failed fails the run, after everything else was measured and printed.
  const failed =
    (parityResults?.filter((r) => r.failures.length > 0).length ?? 0) +
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
