// A small char-level training run through the public API, used by the browser e2e tests:
// next-character NLL on a short repeating text, random windows, Adam with clipping.
import { RnnModel, type CellKind } from '../src/index.js';
import { Rng } from '../src/model/init.js';

export const TEXT =
  'the quick brown fox jumps over the lazy dog. a stitch in time saves nine. ' +
  'all that glitters is not gold. the early bird catches the worm. ';

export interface TextRun {
  backend: string;
  deviceName: string;
  losses: number[];
}

export async function trainText(opts: {
  gpu?: GPU;
  cell: CellKind;
  numLayers: number;
  hiddenSize: number;
  steps: number;
  batch?: number;
  seqLen?: number;
  lr?: number;
}): Promise<TextRun> {
  const chars = [...new Set(TEXT)].sort();
  const ids = Int32Array.from(TEXT, (ch) => chars.indexOf(ch));
  const V = chars.length;
  const B = opts.batch ?? 8;
  const T = opts.seqLen ?? 16;
  const model = await RnnModel.create({
    cell: opts.cell,
    inputSize: V,
    hiddenSize: opts.hiddenSize,
    numLayers: opts.numLayers,
    backend: 'webgpu',
    gpu: opts.gpu,
    seed: 1,
  });
  model.configureTraining({ loss: 'nll', optimizer: { type: 'adam', lr: opts.lr ?? 0.01 }, clip: 1 });
  const rng = new Rng(7);
  const losses: number[] = [];
  const pending: Promise<{ loss: number }>[] = [];
  for (let s = 0; s < opts.steps; s++) {
    const x = new Int32Array(B * T);
    const y = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      const start = rng.int(ids.length - T - 1);
      x.set(ids.subarray(start, start + T), b * T);
      y.set(ids.subarray(start + 1, start + T + 1), b * T);
    }
    // steps are queued without waiting: each is one submit, the losses arrive later
    pending.push(model.trainStep({ batch: B, steps: T, ids: x }, { ids: y }));
    if (pending.length >= 10) for (const p of pending.splice(0)) losses.push((await p).loss);
  }
  for (const p of pending) losses.push((await p).loss);
  const run = { backend: model.backend, deviceName: model.deviceName, losses };
  model.dispose();
  return run;
}

/** Mean of the first and last k losses. */
export function firstLast(losses: number[], k = 10): [number, number] {
  const mean = (a: number[]): number => a.reduce((s, v) => s + v, 0) / a.length;
  return [mean(losses.slice(0, k)), mean(losses.slice(-k))];
}
