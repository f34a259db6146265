// Times one config through webrnn's public API, exactly as an app would call it. Runs in Node
// (pass Dawn's GPU object) and in a page (navigator.gpu).
import { RnnModel, type GpuOptions } from '../src/index.js';
import { minimumBytes, VOCAB, type BenchConfig } from './configs.js';

export interface Timing {
  median: number;
  min: number;
  max: number;
  n: number;
  /** Every timed sample, in the order taken. */
  samples: number[];
}

export interface Measurement {
  config: string;
  /** The WebGPU adapter (model.deviceName). */
  adapter: string;
  kind: BenchConfig['kind'];
  cell: BenchConfig['cell'];
  H: number;
  B: number;
  T: number;
  /** train: ms per step; gen: µs per token. */
  unit: 'ms/step' | 'us/token';
  time: Timing;
  /** Compute dispatches of one train step, or of one generate call. */
  dispatches: number;
  /** gen: dispatches of the call divided by the tokens sampled. */
  dispatchesPerToken?: number;
  submits: number;
  gpuBytes: number;
  minBytes: number;
  memoryRatio: number;
  memoryDetail: Record<string, number>;
  /** The last step's loss (a sanity check: about ln 65 ≈ 4.17 at the start). */
  loss?: number;
  target?: number;
  pytorch?: number;
  /** PyTorch on this machine, from torch_probe.py's output (--torch=FILE), same unit. */
  pytorchHere?: number;
  /** The same with TensorFloat-32 off (--torch-fp32=FILE, bench/torch_fp32.py): f32 like webrnn. */
  pytorchFp32Here?: number;
  warmup: number;
}

export interface Reps {
  warmup: number;
  reps: number;
}

const now = (): number => performance.now();

export function summarize(xs: number[]): Timing {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1], n: s.length, samples: [...xs] };
}

/** Deterministic token ids (xorshift32), so every run trains on the same batch. */
export function randomIds(n: number, seed: number): Int32Array {
  const out = new Int32Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = (x >>> 0) % VOCAB;
  }
  return out;
}

/** A char-LM batch: each row is T + 1 tokens; inputs are the first T, targets the last T. */
export function charBatch(B: number, T: number, seed = 1): { ids: Int32Array; targets: Int32Array } {
  const text = randomIds(B * (T + 1), seed);
  const ids = new Int32Array(B * T);
  const targets = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    ids.set(text.subarray(b * (T + 1), b * (T + 1) + T), b * T);
    targets.set(text.subarray(b * (T + 1) + 1, (b + 1) * (T + 1)), b * T);
  }
  return { ids, targets };
}

/** Where the model runs: a GPU object (Node) and the kernel variants ('auto': from the adapter). */
export type Device = Pick<GpuOptions, 'gpu' | 'kernels' | 'paceWaits'>;

export async function createModel(c: BenchConfig, device: Device = {}): Promise<RnnModel> {
  return RnnModel.create({
    ...device,
    cell: c.cell,
    inputSize: VOCAB,
    hiddenSize: c.H,
    numLayers: 1,
    outputSize: VOCAB,
    ...c.model,
    backend: 'webgpu',
    seed: 1,
  });
}

/**
 * train: ms per trainStep, awaiting each step's loss (so the GPU work is done), median of
 * `reps` after `warmup` steps (the first builds pipelines and plans).
 * gen: µs per token of generate({ length: T }) at batch 1, temperature 1, every token sampled.
 */
export async function measure(c: BenchConfig, r: Reps, device: Device = {}): Promise<Measurement> {
  const model = await createModel(c, device);
  try {
    const times: number[] = [];
    let loss: number | undefined;
    if (c.kind === 'train') {
      model.configureTraining({ loss: 'nll', optimizer: { type: 'adam', lr: 1e-3 }, clip: 1 });
      const { ids, targets } = charBatch(c.B, c.T);
      const input = { batch: c.B, steps: c.T, ids };
      for (let i = 0; i < r.warmup + r.reps; i++) {
        const t0 = now();
        loss = (await model.trainStep(input, { ids: targets })).loss;
        if (i >= r.warmup) times.push(now() - t0);
      }
    } else {
      for (let i = 0; i < r.warmup + r.reps; i++) {
        const t0 = now();
        await model.generate({ prime: [0], length: c.T, temperature: 1, topK: 0, seed: i });
        if (i >= r.warmup) times.push(((now() - t0) * 1000) / c.T);
      }
    }
    const st = model.stats();
    const min = minimumBytes(c);
    return {
      config: c.name,
      adapter: model.deviceName,
      kind: c.kind,
      cell: c.cell,
      H: c.H,
      B: c.B,
      T: c.T,
      unit: c.kind === 'train' ? 'ms/step' : 'us/token',
      time: summarize(times),
      dispatches: st.dispatches,
      dispatchesPerToken: c.kind === 'gen' ? st.dispatches / c.T : undefined,
      submits: st.submits,
      gpuBytes: st.gpuBytes,
      minBytes: min.bytes,
      memoryRatio: st.gpuBytes / min.bytes,
      memoryDetail: min.detail,
      loss,
      target: c.target,
      pytorch: c.pytorch,
      warmup: r.warmup,
    };
  } finally {
    model.dispose();
  }
}

export interface SnapshotCost {
  config: string;
  every: number;
  /** Median ms of a step without a snapshot near it, and of a snapshot step plus the step after it (which maps the copy). */
  stepMs: number;
  pairMs: number;
  /** (pairMs − 2 · stepMs) / every / stepMs: the snapshots' share of a step, spread over the interval. */
  overhead: number;
  snapshots: number;
  steps: number;
}

/**
 * What the CPU snapshots for model.recover() cost a training step at the default interval: every
 * step of `snapshots` intervals timed (awaited, as measure() does); a snapshot step and the step
 * after it (whose start maps the copy) against two ordinary steps, spread over the interval. A
 * direct difference, since this box's phases move whole blocks of steps by more than the cost.
 */
export async function snapshotCost(c: BenchConfig, device: Device = {}, snapshots = 8, every = 50): Promise<SnapshotCost> {
  const model = await createModel(c, device);
  try {
    const { ids, targets } = charBatch(c.B, c.T);
    const input = { batch: c.B, steps: c.T, ids };
    model.configureTraining({ loss: 'nll', optimizer: { type: 'adam', lr: 1e-3 }, clip: 1, snapshotEvery: every });
    for (let i = 0; i < 5; i++) await model.trainStep(input, { ids: targets }); // warm
    model.configureTraining({ loss: 'nll', optimizer: { type: 'adam', lr: 1e-3 }, clip: 1, snapshotEvery: every });
    const times: number[] = [];
    for (let t = 1; t <= snapshots * every + 1; t++) {
      const t0 = now();
      await model.trainStep(input, { ids: targets });
      times.push(now() - t0);
    }
    // times[t − 1] is step t; snapshots at t = every, 2·every, …
    const near = (t: number): boolean => t % every === 0 || t % every === 1;
    const plain = times.filter((_, i) => !near(i + 1));
    const pairs = Array.from({ length: snapshots }, (_, k) => times[(k + 1) * every - 1] + times[(k + 1) * every]);
    const stepMs = summarize(plain).median;
    const pairMs = summarize(pairs).median;
    return { config: c.name, every, stepMs, pairMs, overhead: (pairMs - 2 * stepMs) / every / stepMs, snapshots, steps: times.length };
  } finally {
    model.dispose();
  }
}
