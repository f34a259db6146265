// GPU-vs-CPU parity on fresh random models and inputs, through the public API only, so the same
// check runs in Node (Dawn) and inside headless Chromium (e2e/engine.spec.ts imports this file).
// Every GPU buffer is poisoned with NaN first: an output element a kernel fails to write gives
// Infinity error. Errors are normwise relative (tools/compare.ts).
import { RnnModel, normalizeConfig, type CellKind, type LossKind, type ModelConfigInput, type OptimizerSpec, type SeqInput, type SeqTargets } from '../src/index.js';
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
  /** The rest of the model's description: embedding, bias, bidirectional, head, tied, dropout, names. */
  model?: Partial<ModelConfigInput>;
  /** Each row's length (variable-length batches). */
  lengths?: number[];
  /** Kernel variants to force on the GPU side (default: the adapter's choice). */
  kernels?: 'gpu' | 'gpu-per-step' | 'cpu' | 'cpu-team' | 'cpu-team-per-step';
}

const ADAM_CLIP = { optimizer: { type: 'adam' as const, lr: 0.01 }, clip: 0.5 };
const SGD = { optimizer: { type: 'sgd' as const, lr: 0.1, momentum: 0.9 }, clip: null };

/** The classic plan's parity cases, which every kernel family runs (src/gpu/backend.test.ts). */
export const CLASSIC_CASES: [string, ParitySpec][] = [
  ['an Elman tanh RNN with token inputs and H not a multiple of 64', { cell: 'rnn', inputSize: 11, hiddenSize: 67, outputSize: 11, batch: 3, steps: 5, tokens: true, loss: 'nll', seed: 1, optimizers: [ADAM_CLIP, SGD] }],
  ['a relu RNN with float inputs and MSE', { cell: 'rnn', nonlinearity: 'relu', inputSize: 4, hiddenSize: 9, outputSize: 3, batch: 2, steps: 6, tokens: false, loss: 'mse', seed: 2, randomState: true, optimizers: [ADAM_CLIP, SGD] }],
  ['a tanh RNN at batch 1', { cell: 'rnn', inputSize: 7, hiddenSize: 13, outputSize: 7, batch: 1, steps: 8, tokens: true, loss: 'nll', seed: 3, optimizers: [ADAM_CLIP] }],
  ['a tanh RNN over a single step', { cell: 'rnn', inputSize: 6, hiddenSize: 10, outputSize: 6, batch: 4, steps: 1, tokens: true, loss: 'nll', seed: 4, randomState: true, optimizers: [ADAM_CLIP] }],
  ['a 2-layer tanh RNN with nonzero h0', { cell: 'rnn', inputSize: 5, hiddenSize: 12, numLayers: 2, outputSize: 5, batch: 2, steps: 4, tokens: true, loss: 'nll', seed: 5, randomState: true, optimizers: [ADAM_CLIP] }],
  ['the tutorial model (i2h/i2o on cat(x, h)) with a last-step loss', { cell: 'tutorial', inputSize: 10, hiddenSize: 20, outputSize: 6, batch: 3, steps: 5, tokens: true, loss: 'nll_last', seed: 6, optimizers: [ADAM_CLIP, SGD] }],
  ['the tutorial model with float inputs', { cell: 'tutorial', inputSize: 4, hiddenSize: 8, outputSize: 3, batch: 2, steps: 4, tokens: false, loss: 'nll_last', seed: 7, randomState: true }],
  ['an LSTM with nonzero h0 and c0', { cell: 'lstm', inputSize: 7, hiddenSize: 11, outputSize: 7, batch: 2, steps: 5, tokens: true, loss: 'nll', seed: 8, randomState: true, optimizers: [ADAM_CLIP] }],
  ['a 3-layer LSTM at odd sizes', { cell: 'lstm', inputSize: 5, hiddenSize: 9, numLayers: 3, outputSize: 5, batch: 3, steps: 4, tokens: true, loss: 'nll', seed: 9, randomState: true, optimizers: [ADAM_CLIP] }],
  ['an LSTM at batch 1 over one step with float inputs', { cell: 'lstm', inputSize: 3, hiddenSize: 6, outputSize: 2, batch: 1, steps: 1, tokens: false, loss: 'mse', seed: 10, randomState: true, optimizers: [ADAM_CLIP] }],
  ['a GRU with nonzero h0', { cell: 'gru', inputSize: 7, hiddenSize: 11, outputSize: 7, batch: 2, steps: 5, tokens: true, loss: 'nll', seed: 11, randomState: true, optimizers: [ADAM_CLIP, SGD] }],
  ['a 3-layer GRU at odd sizes', { cell: 'gru', inputSize: 6, hiddenSize: 7, numLayers: 3, outputSize: 6, batch: 3, steps: 4, tokens: true, loss: 'nll', seed: 12, randomState: true, optimizers: [ADAM_CLIP] }],
  ['a GRU with more hidden units than a workgroup has invocations', { cell: 'gru', inputSize: 5, hiddenSize: 260, outputSize: 5, batch: 2, steps: 2, tokens: true, loss: 'nll', seed: 14, randomState: true, optimizers: [ADAM_CLIP], trainSteps: 2 }],
  ['an LSTM whose one-dispatch recurrence splits each unit four ways (H 64, B 5)', { cell: 'lstm', inputSize: 6, hiddenSize: 64, outputSize: 6, batch: 5, steps: 4, tokens: true, loss: 'nll', seed: 15, randomState: true, optimizers: [ADAM_CLIP], trainSteps: 2 }],
  ['an RNN spanning several 8-row, 32-unit team tiles with ragged edges (B 17, H 70)', { cell: 'rnn', inputSize: 9, hiddenSize: 70, outputSize: 9, batch: 17, steps: 3, tokens: true, loss: 'nll', seed: 16, randomState: true, optimizers: [ADAM_CLIP], trainSteps: 2 }],
  ['a GRU at batch 1 over one step', { cell: 'gru', inputSize: 5, hiddenSize: 8, outputSize: 5, batch: 1, steps: 1, tokens: true, loss: 'nll', seed: 13, optimizers: [ADAM_CLIP] }],
  // 640 rows and a 70-token vocabulary: with the 'gpu' kernels the column reductions split their
  // rows into chunks (and the vocabulary into two), and the 8.7K-float gradient norm into two slices
  ['a GRU over 640 rows with a 70-token vocabulary', { cell: 'gru', inputSize: 70, hiddenSize: 24, outputSize: 70, batch: 16, steps: 40, tokens: true, loss: 'nll', seed: 15, randomState: true, optimizers: [ADAM_CLIP, SGD] }],
  // the same split for an LSTM, whose b_hh gradient is b_ih's sum written twice (dR is dA)
  ['an LSTM over 640 rows', { cell: 'lstm', inputSize: 13, hiddenSize: 16, outputSize: 13, batch: 16, steps: 40, tokens: true, loss: 'nll', seed: 17, randomState: true, optimizers: [ADAM_CLIP] }],
  // 1,100 rows: with the 'gpu' kernels every weight gradient (W_ih of both layers from float
  // inputs, W_hh, fc.weight) is a split-K GEMM of two slices, 560 and 540 rows
  ['a 2-layer RNN over 1,100 rows with float inputs and MSE', { cell: 'rnn', inputSize: 5, hiddenSize: 20, numLayers: 2, outputSize: 4, batch: 55, steps: 20, tokens: false, loss: 'mse', seed: 18, randomState: true, optimizers: [ADAM_CLIP], trainSteps: 2 }],
];

/** The general plan's (src/gpu/general.ts: routes between layers), every kernel family too (src/gpu/general.test.ts). */
export const GENERAL_CASES: [string, ParitySpec][] = [
  // the models of real PyTorch code
  ['an embedding LSTM with a tied head (word_language_model)', { cell: 'lstm', inputSize: 13, hiddenSize: 8, numLayers: 2, outputSize: 13, batch: 3, steps: 5, tokens: true, loss: 'nll', seed: 31, randomState: true, model: { embeddingDim: 8, tied: true }, optimizers: [ADAM_CLIP], trainSteps: 2 }],
  ['an embedding GRU whose embedding is narrower than its states', { cell: 'gru', inputSize: 11, hiddenSize: 9, numLayers: 2, outputSize: 11, batch: 2, steps: 4, tokens: true, loss: 'nll', seed: 32, model: { embeddingDim: 5 }, optimizers: [SGD], trainSteps: 2 }],
  ['a 2-layer bidirectional LSTM with lengths over token ids', { cell: 'lstm', inputSize: 7, hiddenSize: 6, numLayers: 2, outputSize: 4, batch: 3, steps: 5, tokens: true, loss: 'nll', seed: 33, randomState: true, lengths: [5, 2, 4], model: { bidirectional: true }, optimizers: [ADAM_CLIP], trainSteps: 2 }],
  ['a bidirectional embedding GRU with lengths and a last-step loss', { cell: 'gru', inputSize: 9, hiddenSize: 5, outputSize: 3, batch: 3, steps: 6, tokens: true, loss: 'nll_last', seed: 34, lengths: [3, 6, 1], model: { bidirectional: true, embeddingDim: 4 }, optimizers: [ADAM_CLIP], trainSteps: 2 }],
  ['an RNN over names of different lengths (the names tutorial, CharRNN)', { cell: 'rnn', inputSize: 12, hiddenSize: 10, outputSize: 5, batch: 4, steps: 6, tokens: true, loss: 'nll_last', seed: 35, lengths: [6, 1, 3, 4], model: { names: { head: 'h2o' } }, optimizers: [ADAM_CLIP], trainSteps: 2 }],
  ['the tutorial model over names of different lengths', { cell: 'tutorial', inputSize: 9, hiddenSize: 8, outputSize: 4, batch: 3, steps: 5, tokens: true, loss: 'nll_last', seed: 41, lengths: [5, 2, 1], optimizers: [ADAM_CLIP], trainSteps: 2 }],
  ['a 2-layer GRU without biases over float inputs', { cell: 'gru', inputSize: 4, hiddenSize: 7, numLayers: 2, outputSize: 3, batch: 2, steps: 4, tokens: false, loss: 'nll', seed: 36, randomState: true, model: { bias: false }, optimizers: [ADAM_CLIP], trainSteps: 2 }],
  ['a relu RNN without a head, MSE on its states, with lengths', { cell: 'rnn', nonlinearity: 'relu', inputSize: 3, hiddenSize: 4, outputSize: 8, batch: 2, steps: 5, tokens: false, loss: 'mse', seed: 37, lengths: [2, 5], model: { head: false, bidirectional: true }, optimizers: [ADAM_CLIP], trainSteps: 2 }],
  ['a 3-layer embedding LSTM with dropout everywhere (the same masks on both backends)', { cell: 'lstm', inputSize: 10, hiddenSize: 6, numLayers: 3, outputSize: 10, batch: 3, steps: 4, tokens: true, loss: 'nll', seed: 38, model: { embeddingDim: 6, tied: true, dropout: 0.3, inputDropout: 0.2, outputDropout: 0.4 }, optimizers: [ADAM_CLIP], trainSteps: 2 }],
  ['a bidirectional RNN with float inputs, lengths and dropout', { cell: 'rnn', inputSize: 5, hiddenSize: 6, numLayers: 2, outputSize: 4, batch: 3, steps: 4, tokens: false, loss: 'mse', seed: 39, lengths: [4, 1, 3], model: { bidirectional: true, dropout: 0.5, inputDropout: 0.25, outputDropout: 0.5 }, optimizers: [SGD], trainSteps: 2 }],
];

/** Every parity case (`npm run bench -- --parity` runs them on a real GPU). */
export const PARITY_CASES: [string, ParitySpec][] = [...CLASSIC_CASES, ...GENERAL_CASES];

export interface ParityRow {
  quantity: string;
  err: number;
  tol: number;
}

export const TOL = { forward: 1e-4, loss: 1e-4, grad: 1e-3, params: 1e-3 };

export function randomBatch(s: ParitySpec, rng: Rng): { input: SeqInput; targets: SeqTargets } {
  const { batch: B, steps: T } = s;
  const input: SeqInput = s.tokens || s.model?.embeddingDim
    ? { batch: B, steps: T, ids: Int32Array.from({ length: B * T }, () => rng.int(s.inputSize)) }
    : { batch: B, steps: T, x: Float64Array.from({ length: B * T * s.inputSize }, () => Math.fround(rng.normal())) };
  const targets: SeqTargets =
    s.loss === 'mse'
      ? { y: Float64Array.from({ length: B * T * s.outputSize }, () => Math.fround(rng.normal())) }
      : { ids: Int32Array.from({ length: s.loss === 'nll' ? B * T : B }, () => rng.int(s.outputSize)) };
  if (s.lengths) input.lengths = Int32Array.from(s.lengths);
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
    ...s.model,
  };
  const L = cfg.numLayers * (s.model?.bidirectional ? 2 : 1);
  const n = L * s.batch * s.hiddenSize;
  normalizeConfig(cfg); // a bad case fails here, not as a parity row
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
