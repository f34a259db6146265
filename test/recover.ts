// A training run interrupted by a lost device and recovered, beside the same run uninterrupted;
// browser-safe (the Node test and the Chromium e2e test both run it).
import { RnnModel, DeviceLostError } from '../src/index.js';

export interface RecoveryRun {
  /** Losses of the uninterrupted run, steps 1..total. */
  reference: number[];
  /** Losses of the interrupted run: steps 1..lostAfter, then from the snapshot's step on. */
  before: number[];
  after: number[];
  /** What the first call after the loss rejected with, and getParameters too. */
  lostError: { name: string; reason: string; snapshotStep: number | null; message: string };
  paramsError: string;
  recoveredStep: number;
  statsSnapshot: number | null;
}

/** Trains a small LSTM char model for `total` steps, snapshots every `every`, destroys its device after step `lostAfter`. */
export async function recoveryRun(gpu: GPU, opts: { total: number; every: number; lostAfter: number }): Promise<RecoveryRun> {
  const V = 11;
  const B = 3;
  const T = 5;
  const batch = (s: number): { ids: Int32Array; y: Int32Array } => {
    const all = Int32Array.from({ length: B * (T + 1) }, (_, i) => (i * 7 + s * 3 + (i % 4)) % V);
    const ids = new Int32Array(B * T);
    const y = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      ids.set(all.subarray(b * (T + 1), b * (T + 1) + T), b * T);
      y.set(all.subarray(b * (T + 1) + 1, (b + 1) * (T + 1)), b * T);
    }
    return { ids, y };
  };
  const make = async (): Promise<RnnModel> => {
    const m = await RnnModel.create({ cell: 'lstm', inputSize: V, hiddenSize: 12, outputSize: V, backend: 'webgpu', gpu, seed: 3 });
    m.configureTraining({ loss: 'nll', optimizer: { type: 'adam', lr: 0.02 }, clip: 1, snapshotEvery: opts.every });
    return m;
  };
  const step = async (m: RnnModel, s: number): Promise<number> => {
    const { ids, y } = batch(s);
    return (await m.trainStep({ batch: B, steps: T, ids }, { ids: y })).loss;
  };

  const ref = await make();
  const reference: number[] = [];
  for (let s = 1; s <= opts.total; s++) reference.push(await step(ref, s));
  ref.dispose();

  const m = await make();
  const before: number[] = [];
  for (let s = 1; s <= opts.lostAfter; s++) before.push(await step(m, s));
  // let the last snapshot's asynchronous copy land, then lose the device as a driver reset would
  await new Promise((r) => setTimeout(r, 100));
  const statsSnapshot = m.stats().snapshotStep;
  m.gpuDevice!.destroy();
  const lost = await step(m, opts.lostAfter + 1).then(() => null, (e: unknown) => e);
  if (!(lost instanceof DeviceLostError)) throw new Error(`expected DeviceLostError, got ${String(lost)}`);
  const paramsError = await m.getParameters().then(() => 'resolved', (e: unknown) => (e as Error).name);
  const { step: recoveredStep } = await m.recover();
  const after: number[] = [];
  for (let s = recoveredStep + 1; s <= opts.total; s++) after.push(await step(m, s));
  m.dispose();
  return {
    reference,
    before,
    after,
    lostError: { name: lost.name, reason: lost.reason, snapshotStep: lost.snapshotStep, message: lost.message },
    paramsError,
    recoveredStep,
    statsSnapshot,
  };
}
