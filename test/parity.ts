// GPU-vs-CPU parity on fresh random models and inputs, through the public API only, so the same
// check runs in Node (Dawn) and inside headless Chromium (e2e/engine.spec.ts imports this file).
// Every GPU buffer is poisoned with NaN first: an output element a kernel fails to write gives
// Infinity error. Errors are normwise relative (tools/compare.ts).
import { RnnModel, type CellKind, type LossKind, type OptimizerSpec, type SeqInput, type SeqTargets } from '../src/index.js';
import { Rng } from '../src/model/init.js';
import { relErr } from '../tools/compare.js';

export interface ParitySpec {
  cell: CellKind;
  nonlinearity?: 'tanh' | 'relu';
  inputSize: number;
  hiddenSize: number;
  numLayers?: number;
  outputSize: number;
  batch: number;
  steps: number;
  tokens: boolean;
  loss: LossKind;
  /** Nonzero random h0 (and c0). */
  randomState?: boolean;
  seed: number;
  /** Optimizer runs to compare after 1 and `trainSteps` steps. */
  optimizers?: { optimizer: OptimizerSpec; clip: number | null }[];
  trainSteps?: number;
  /** Kernel variants to force on the GPU side (default: the adapter's choice). */
  kernels?: 'gpu' | 'gpu-per-step' | 'cpu';
}

export interface ParityRow {
  quantity: string;
  err: number;
  tol: number;
}

export const TOL = { forward: 1e-4, loss: 1e-4, grad: 1e-3, params: 1e-3 };

export function randomBatch(s: ParitySpec, rng: Rng): { input: SeqInput; targets: SeqTargets } {
  const { batch: B, steps: T } = s;
  const input: SeqInput = s.tokens
    ? { batch: B, steps: T, ids: Int32Array.from({ length: B * T }, () => rng.int(s.inputSize)) }
    : { batch: B, steps: T, x: Float64Array.from({ length: B * T * s.inputSize }, () => Math.fround(rng.normal())) };
  const targets: SeqTargets =
    s.loss === 'mse'
      ? { y: Float64Array.from({ length: B * T * s.outputSize }, () => Math.fround(rng.normal())) }
      : { ids: Int32Array.from({ length: s.loss === 'nll' ? B * T : B }, () => rng.int(s.outputSize)) };
  return { input, targets };
}

export async function parity(gpu: GPU, s: ParitySpec): Promise<ParityRow[]> {
  const rng = new Rng(s.seed);
  const cfg = {
    cell: s.cell,
    nonlinearity: s.nonlinearity ?? 'tanh',
    inputSize: s.inputSize,
    hiddenSize: s.hiddenSize,
    numLayers: s.numLayers ?? 1,
    outputSize: s.outputSize,
    seed: s.seed,
  };
  const L = cfg.numLayers;
  const n = L * s.batch * s.hiddenSize;
  const state = s.randomState
    ? {
        h: Float64Array.from({ length: n }, () => Math.fround(0.5 * rng.normal())),
        c: s.cell === 'lstm' ? Float64Array.from({ length: n }, () => Math.fround(0.5 * rng.normal())) : undefined,
      }
    : undefined;
  const { input, targets } = randomBatch(s, rng);
  const rows: ParityRow[] = [];
  const add = (quantity: string, a: ArrayLike<number>, e: ArrayLike<number>, tol: number): void => {
    rows.push({ quantity, err: relErr(a, e), tol });
  };
  const make = async (): Promise<[RnnModel, RnnModel]> => [
    await RnnModel.create({ ...cfg, backend: 'webgpu', gpu, poisonBuffers: true, kernels: s.kernels ?? 'auto' }),
    await RnnModel.create({ ...cfg, backend: 'cpu' }),
  ];

  const [g, c] = await make();
  try {
    const fg = await g.forward(input, { state });
    const fc = await c.forward(input, { state });
    add('logits', fg.logits, fc.logits, TOL.forward);
    add('h_seq', fg.hSeq, fc.hSeq, TOL.forward);
    add('h_n', fg.hN, fc.hN, TOL.forward);
    if (fc.cSeq) add('c_seq', fg.cSeq!, fc.cSeq, TOL.forward);
    if (fc.cN) add('c_n', fg.cN!, fc.cN, TOL.forward);
    const pg = await g.predict(input, { state });
    add('predict logits', pg.logits, fc.logits, TOL.forward);
    add('predict h_n', pg.hN, fc.hN, TOL.forward);
    add('evaluate loss', [await g.evaluate(input, targets, { loss: s.loss, state })], [await c.evaluate(input, targets, { loss: s.loss, state })], TOL.loss);
    const gg = await g.gradients(input, targets, { loss: s.loss, state });
    const gc = await c.gradients(input, targets, { loss: s.loss, state });
    add('loss', [gg.loss], [gc.loss], TOL.loss);
    for (const [name, v] of gc.grads) add(`grad ${name}`, gg.grads.get(name)!, v, TOL.grad);
    add('grad h0', gg.dh0, gc.dh0, TOL.grad);
    if (gc.dc0) add('grad c0', gg.dc0!, gc.dc0, TOL.grad);
  } finally {
    g.dispose();
    c.dispose();
  }

  for (const run of s.optimizers ?? []) {
    const [g2, c2] = await make();
    try {
      for (const m of [g2, c2]) m.configureTraining({ loss: s.loss, optimizer: run.optimizer, clip: run.clip });
      const label = `${run.optimizer.type}${run.clip === null ? '' : ` clip ${run.clip}`}`;
      for (let step = 1; step <= (s.trainSteps ?? 5); step++) {
        const rg = await g2.trainStep(input, targets, { state });
        const rc = await c2.trainStep(input, targets, { state });
        add(`${label} step ${step} loss`, [rg.loss], [rc.loss], TOL.loss);
        add(`${label} step ${step} grad norm`, [rg.gradNorm], [rc.gradNorm], TOL.grad);
        if (step === 1 || step === (s.trainSteps ?? 5)) {
          const pg = await g2.getParameters();
          const pc = await c2.getParameters();
          for (const [name, v] of pc) add(`${label} step ${step} ${name}`, pg.get(name)!, v, TOL.params);
        }
      }
    } finally {
      g2.dispose();
      c2.dispose();
    }
  }
  return rows;
}

/** The failing rows, formatted; empty when everything is within tolerance. */
export function failures(rows: ParityRow[]): string[] {
  return rows.filter((r) => !(r.err <= r.tol)).map((r) => `${r.quantity}: ${r.err.toExponential(2)} > ${r.tol}`);
}
