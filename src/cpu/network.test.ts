// Central-difference gradient checks of the float64 reference network: every parameter element,
// and h0 / c0, of small random models, for every cell, depth, input kind and loss.
//   fd_i = (L(θ + ε e_i) − L(θ − ε e_i)) / 2ε,   err = max_i |fd_i − g_i| / max_i |g_i|  (normwise)
// plus two forward checks against formulas written out by hand.
import { describe, it, expect } from 'vitest';
import { normalizeConfig, parameterSpecs, sizeOf, stateLayers, type CellKind, type ModelConfig, type ModelConfigInput, type Nonlinearity } from '../model/config.js';
import { dropoutMasks } from '../model/dropout.js';
import type { LossKind, SeqInput, SeqTargets } from '../model/batch.js';
import { Rng } from '../model/init.js';
import { backward, forward, lossAndGrad, netFromParams, netToParams } from './network.js';

const EPS = 1e-6;
const TOL = 1e-6;
const B = 2;
const T = 3;

interface Problem {
  cfg: ModelConfig;
  params: Map<string, Float64Array>;
  input: SeqInput;
  targets: SeqTargets;
  loss: LossKind;
  h0: Float64Array; // [L, B, H]
  c0: Float64Array | undefined; // [L, B, H], LSTM only
}

const uniform = (rng: Rng, n: number, bound: number): Float64Array =>
  Float64Array.from({ length: n }, () => rng.uniform(-bound, bound));

function makeProblem(
  cell: CellKind,
  act: Nonlinearity,
  L: number,
  inputKind: 'ids' | 'x',
  loss: LossKind,
  seed: number,
): Problem {
  const rng = new Rng(seed);
  const H = 3 + rng.int(3); // 3..5
  const I = 3 + rng.int(2); // 3..4
  const O = 3 + rng.int(2); // 3..4
  const cfg = normalizeConfig({ cell, nonlinearity: act, inputSize: I, hiddenSize: H, numLayers: L, outputSize: O });
  const params = new Map(parameterSpecs(cfg).map((s) => [s.name, uniform(rng, sizeOf(s.shape), 0.8)]));
  if (act === 'relu') {
    // Shift b_ih up so that most units are alive and gradients reach every parameter; some
    // pre-activations stay negative, so both branches of relu are exercised (checked below).
    for (let k = 0; k < L; k++) params.get(`rnn.bias_ih_l${k}`)!.forEach((v, i, a) => (a[i] = v + 0.5));
  }
  const input: SeqInput =
    inputKind === 'ids'
      ? { batch: B, steps: T, ids: Int32Array.from({ length: B * T }, () => rng.int(I)) }
      : { batch: B, steps: T, x: uniform(rng, B * T * I, 1) };
  const targets: SeqTargets =
    loss === 'mse'
      ? { y: uniform(rng, B * T * O, 1) }
      : { ids: Int32Array.from({ length: loss === 'nll' ? B * T : B }, () => rng.int(O)) };
  const h0 = uniform(rng, L * B * H, 0.8);
  const c0 = cell === 'lstm' ? uniform(rng, L * B * H, 1) : undefined;
  return { cfg, params, input, targets, loss, h0, c0 };
}

function lossOf(p: Problem): number {
  const tr = forward(p.cfg, netFromParams(p.cfg, p.params), p.input, p.h0, p.c0);
  return lossAndGrad(p.loss, tr.logits, p.input, p.cfg.outputSize, p.targets).loss;
}

/** Central difference of the loss w.r.t. every element of `v` (perturbed in place, then restored). */
function numericGrad(p: Problem, v: Float64Array): Float64Array {
  const out = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const keep = v[i];
    v[i] = keep + EPS;
    const up = lossOf(p);
    v[i] = keep - EPS;
    const down = lossOf(p);
    v[i] = keep;
    out[i] = (up - down) / (2 * EPS);
  }
  return out;
}

/** max|fd − g| / max|g|, and max|g| so a test can insist the gradient is not all zeros. */
function compare(fd: Float64Array, g: ArrayLike<number>): { err: number; scale: number } {
  expect(g.length).toBe(fd.length);
  let num = 0;
  let scale = 0;
  for (let i = 0; i < fd.length; i++) {
    num = Math.max(num, Math.abs(fd[i] - g[i]));
    scale = Math.max(scale, Math.abs(g[i]));
  }
  return { err: num / scale, scale };
}

function checkAllGradients(p: Problem): void {
  const net = netFromParams(p.cfg, p.params);
  const tr = forward(p.cfg, net, p.input, p.h0, p.c0);
  const { dlogits } = lossAndGrad(p.loss, tr.logits, p.input, p.cfg.outputSize, p.targets);
  const g = backward(p.cfg, net, p.input, tr, dlogits);
  const grads = netToParams(p.cfg, g.net);

  if (p.cfg.cell === 'rnn' && p.cfg.nonlinearity === 'relu') {
    // relu is not differentiable at 0: every pre-activation must sit well away from it, on both sides.
    let minAbs = Infinity;
    let pos = 0;
    let neg = 0;
    for (let k = 0; k < tr.a.length; k++) {
      for (let i = 0; i < tr.a[k].length; i++) {
        const pre = tr.a[k][i] + tr.r[k][i];
        minAbs = Math.min(minAbs, Math.abs(pre));
        if (pre > 0) pos++;
        else neg++;
      }
    }
    expect(minAbs).toBeGreaterThan(1e-3);
    expect(pos).toBeGreaterThan(0);
    expect(neg).toBeGreaterThan(0);
  }

  const names = parameterSpecs(p.cfg).map((s) => s.name);
  expect([...grads.keys()]).toEqual(names);
  for (const name of names) {
    const { err, scale } = compare(numericGrad(p, p.params.get(name)!), grads.get(name)!);
    expect(scale, `${name}: gradient is all zeros`).toBeGreaterThan(1e-6);
    expect(err, `${name}: normwise relative error`).toBeLessThanOrEqual(TOL);
  }
  const dh0 = compare(numericGrad(p, p.h0), g.dh0);
  expect(dh0.scale, 'dh0 is all zeros').toBeGreaterThan(1e-6);
  expect(dh0.err, 'dh0: normwise relative error').toBeLessThanOrEqual(TOL);
  if (p.c0) {
    const dc0 = compare(numericGrad(p, p.c0), g.dc0!);
    expect(dc0.scale, 'dc0 is all zeros').toBeGreaterThan(1e-6);
    expect(dc0.err, 'dc0: normwise relative error').toBeLessThanOrEqual(TOL);
  } else {
    expect(g.dc0).toBeNull();
  }
}

const MODELS: { label: string; cell: CellKind; act: Nonlinearity; layers: number[] }[] = [
  { label: 'rnn tanh', cell: 'rnn', act: 'tanh', layers: [1, 2] },
  { label: 'rnn relu', cell: 'rnn', act: 'relu', layers: [1, 2] },
  { label: 'lstm', cell: 'lstm', act: 'tanh', layers: [1, 2] },
  { label: 'gru', cell: 'gru', act: 'tanh', layers: [1, 2] },
  { label: 'tutorial', cell: 'tutorial', act: 'tanh', layers: [1] },
];
const LOSSES: LossKind[] = ['nll', 'nll_last', 'mse'];
const INPUTS = ['ids', 'x'] as const;

describe('backward matches central differences for every parameter element, h0 and c0', () => {
  let seed = 1000;
  for (const m of MODELS) {
    for (const L of m.layers) {
      for (const inputKind of INPUTS) {
        for (const loss of LOSSES) {
          const s = seed++;
          it(`gives correct gradients for a ${L}-layer ${m.label} model with ${inputKind === 'ids' ? 'token-id' : 'float'} inputs and ${loss} loss`, () => {
            checkAllGradients(makeProblem(m.cell, m.act, L, inputKind, loss, s));
          });
        }
      }
    }
  }
});

describe('forward follows the written-out cell formulas', () => {
  it('computes one step of a 1-layer tanh RNN as h = tanh(W_ih x + b_ih + W_hh h0 + b_hh) and logits = W_fc h + b_fc', () => {
    // I = 2, H = 2, O = 2, B = 1, T = 1
    const cfg = normalizeConfig({ cell: 'rnn', inputSize: 2, hiddenSize: 2, outputSize: 2 });
    const Wih = [0.5, -0.3, 0.2, 0.8];
    const Whh = [0.1, 0.4, -0.6, 0.25];
    const bih = [0.05, -0.1];
    const bhh = [-0.2, 0.3];
    const fcW = [0.7, -0.5, 0.3, 0.9];
    const fcb = [0.01, -0.02];
    const x = [1.5, -0.5];
    const h0 = [0.3, -0.7];
    const params = new Map<string, ArrayLike<number>>([
      ['rnn.weight_ih_l0', Wih],
      ['rnn.weight_hh_l0', Whh],
      ['rnn.bias_ih_l0', bih],
      ['rnn.bias_hh_l0', bhh],
      ['fc.weight', fcW],
      ['fc.bias', fcb],
    ]);
    const tr = forward(cfg, netFromParams(cfg, params), { batch: 1, steps: 1, x: Float64Array.from(x) }, h0);
    const h = [
      Math.tanh(0.5 * 1.5 + -0.3 * -0.5 + 0.05 + 0.1 * 0.3 + 0.4 * -0.7 + -0.2),
      Math.tanh(0.2 * 1.5 + 0.8 * -0.5 + -0.1 + -0.6 * 0.3 + 0.25 * -0.7 + 0.3),
    ];
    const logits = [0.7 * h[0] + -0.5 * h[1] + 0.01, 0.3 * h[0] + 0.9 * h[1] - 0.02];
    const got = tr.Y[0].subarray(0, 2); // layer 0's output at t = 0
    for (let j = 0; j < 2; j++) {
      expect(got[j]).toBeCloseTo(h[j], 14);
      expect(tr.logits[j]).toBeCloseTo(logits[j], 14);
    }
    expect(Array.from(tr.S[0].subarray(0, 2))).toEqual(h0); // slot 0 keeps h0
  });

  it("applies GRU's reset gate to W_hn h + b_hn, bias included, as PyTorch does", () => {
    const H = 2;
    const I = 2;
    const rng = new Rng(7);
    const cfg = normalizeConfig({ cell: 'gru', inputSize: I, hiddenSize: H, outputSize: 2 });
    const params = new Map(parameterSpecs(cfg).map((s) => [s.name, uniform(rng, sizeOf(s.shape), 0.8)]));
    const bhh = params.get('rnn.bias_hh_l0')!;
    bhh[2 * H] = 0.9; // b_hn, large enough to matter
    bhh[2 * H + 1] = -0.7;
    const Wih = params.get('rnn.weight_ih_l0')!;
    const Whh = params.get('rnn.weight_hh_l0')!;
    const bih = params.get('rnn.bias_ih_l0')!;
    const x = uniform(rng, I, 1);
    const h0 = uniform(rng, H, 0.8);
    const tr = forward(cfg, netFromParams(cfg, params), { batch: 1, steps: 1, x }, h0);

    const sig = (v: number): number => 1 / (1 + Math.exp(-v));
    const dot = (W: Float64Array, row: number, v: ArrayLike<number>): number =>
      Array.from(v).reduce((s, vj, j) => s + W[row * v.length + j] * vj, 0);
    let worstWrong = 0;
    for (let j = 0; j < H; j++) {
      const r = sig(dot(Wih, j, x) + bih[j] + dot(Whh, j, h0) + bhh[j]);
      const z = sig(dot(Wih, H + j, x) + bih[H + j] + dot(Whh, H + j, h0) + bhh[H + j]);
      const n = Math.tanh(dot(Wih, 2 * H + j, x) + bih[2 * H + j] + r * (dot(Whh, 2 * H + j, h0) + bhh[2 * H + j]));
      const hRight = (1 - z) * n + z * h0[j];
      // The common mistake: r multiplies only W_hn h, and b_hn is added outside.
      const nWrong = Math.tanh(dot(Wih, 2 * H + j, x) + bih[2 * H + j] + r * dot(Whh, 2 * H + j, h0) + bhh[2 * H + j]);
      const hWrong = (1 - z) * nWrong + z * h0[j];
      const got = tr.Y[0][j];
      expect(got).toBeCloseTo(hRight, 14);
      worstWrong = Math.max(worstWrong, Math.abs(got - hWrong));
    }
    // The check above can tell the two formulas apart on this data.
    expect(worstWrong).toBeGreaterThan(1e-3);
  });
});

// The models of real PyTorch code: embeddings (tied or not), bidirectional stacks, no biases, no
// head, variable lengths, dropout with fixed masks. The same central differences.
interface Variant {
  label: string;
  cfg: ModelConfigInput;
  lengths?: number[];
  loss: LossKind;
  dropout?: boolean;
}
const T2 = 4;
const VARIANTS: Variant[] = [
  { label: 'an embedding GRU (E ≠ H) with nll', cfg: { cell: 'gru', inputSize: 5, embeddingDim: 3, hiddenSize: 4, numLayers: 2, outputSize: 5 }, loss: 'nll' },
  { label: 'a tied embedding LSTM', cfg: { cell: 'lstm', inputSize: 5, embeddingDim: 4, hiddenSize: 4, numLayers: 1, outputSize: 5, tied: true }, loss: 'nll' },
  { label: 'a tied bidirectional GRU (E = 2H)', cfg: { cell: 'gru', inputSize: 5, embeddingDim: 6, hiddenSize: 3, bidirectional: true, outputSize: 5, tied: true }, loss: 'nll' },
  { label: 'a 2-layer bidirectional LSTM with lengths', cfg: { cell: 'lstm', inputSize: 4, hiddenSize: 3, numLayers: 2, bidirectional: true, outputSize: 3 }, lengths: [4, 2], loss: 'nll' },
  { label: 'a bidirectional tanh RNN with lengths and nll_last', cfg: { cell: 'rnn', inputSize: 4, hiddenSize: 3, bidirectional: true, outputSize: 3 }, lengths: [3, 1], loss: 'nll_last' },
  { label: 'the tutorial model with lengths and nll_last', cfg: { cell: 'tutorial', inputSize: 4, hiddenSize: 3, outputSize: 3 }, lengths: [4, 2], loss: 'nll_last' },
  { label: 'a GRU without biases', cfg: { cell: 'gru', inputSize: 4, hiddenSize: 4, numLayers: 2, bias: false, outputSize: 4 }, loss: 'nll' },
  { label: 'an LSTM without a head, MSE on its states, with lengths', cfg: { cell: 'lstm', inputSize: 3, hiddenSize: 3, head: false }, lengths: [2, 4], loss: 'mse' },
  { label: 'a 3-layer embedding RNN with every dropout (fixed masks)', cfg: { cell: 'rnn', inputSize: 5, embeddingDim: 3, hiddenSize: 4, numLayers: 3, outputSize: 5, dropout: 0.3, inputDropout: 0.2, outputDropout: 0.4 }, loss: 'nll', dropout: true },
  { label: 'a bidirectional GRU with lengths and dropout (fixed masks)', cfg: { cell: 'gru', inputSize: 4, hiddenSize: 3, numLayers: 2, bidirectional: true, outputSize: 3, dropout: 0.5, outputDropout: 0.5 }, lengths: [1, 4], loss: 'nll', dropout: true },
];

describe('backward matches central differences on embedding, tied, bidirectional, bias-free, head-less, variable-length and dropout models', () => {
  VARIANTS.forEach((v, n) => {
    it(`gives correct gradients for ${v.label}`, () => {
      const rng = new Rng(2000 + n);
      const cfg = normalizeConfig(v.cfg);
      const params = new Map(parameterSpecs(cfg).map((s) => [s.name, uniform(rng, sizeOf(s.shape), 0.8)]));
      const ids = !cfg.embeddingDim && n % 2 === 1;
      const input: SeqInput = cfg.embeddingDim || ids
        ? { batch: B, steps: T2, ids: Int32Array.from({ length: B * T2 }, () => rng.int(cfg.inputSize)) }
        : { batch: B, steps: T2, x: uniform(rng, B * T2 * cfg.inputSize, 1) };
      if (v.lengths) input.lengths = Int32Array.from(v.lengths);
      const O = cfg.outputSize;
      const targets: SeqTargets = v.loss === 'mse' ? { y: uniform(rng, B * T2 * O, 1) } : { ids: Int32Array.from({ length: v.loss === 'nll' ? B * T2 : B }, () => rng.int(O)) };
      const SL = stateLayers(cfg);
      const h0 = uniform(rng, SL * B * cfg.hiddenSize, 0.8);
      const c0 = cfg.cell === 'lstm' ? uniform(rng, SL * B * cfg.hiddenSize, 1) : undefined;
      const masks = v.dropout ? dropoutMasks(cfg, B, T2, new Rng(n)) : undefined;
      const lossOf2 = (): number => {
        const tr = forward(cfg, netFromParams(cfg, params), input, h0, c0, masks);
        return lossAndGrad(v.loss, tr.logits, input, O, targets).loss;
      };
      const fd = (a: Float64Array): Float64Array => {
        const out = new Float64Array(a.length);
        for (let i = 0; i < a.length; i++) {
          const keep = a[i];
          a[i] = keep + EPS;
          const up = lossOf2();
          a[i] = keep - EPS;
          const down = lossOf2();
          a[i] = keep;
          out[i] = (up - down) / (2 * EPS);
        }
        return out;
      };
      const net = netFromParams(cfg, params);
      const tr = forward(cfg, net, input, h0, c0, masks);
      const g = backward(cfg, net, input, tr, lossAndGrad(v.loss, tr.logits, input, O, targets).dlogits, masks);
      const grads = netToParams(cfg, g.net);
      expect([...grads.keys()]).toEqual(parameterSpecs(cfg).map((s) => s.name));
      for (const [name, a] of params) {
        const { err, scale } = compare(fd(a), grads.get(name)!);
        expect(scale, `${name}: gradient is all zeros`).toBeGreaterThan(1e-6);
        expect(err, `${name}: normwise relative error`).toBeLessThanOrEqual(TOL);
      }
      const dh0 = compare(fd(h0), g.dh0);
      expect(dh0.err, 'dh0').toBeLessThanOrEqual(TOL);
      if (c0) expect(compare(fd(c0), g.dc0!).err, 'dc0').toBeLessThanOrEqual(TOL);
      if (v.lengths) {
        // past a row's length: zero outputs, and h_n is the state at the last real step
        const D = cfg.bidirectional ? 2 : 1;
        const H = cfg.hiddenSize;
        const top = tr.Y[cfg.numLayers - 1];
        for (let b = 0; b < B; b++) {
          for (let t = v.lengths[b]; t < T2; t++) for (let j = 0; j < D * H; j++) expect(top[(b * T2 + t) * D * H + j]).toBe(0);
          const last = (b * T2 + v.lengths[b] - 1) * D * H;
          expect(Array.from(tr.hN.subarray(((cfg.numLayers - 1) * D * B + b) * H, ((cfg.numLayers - 1) * D * B + b + 1) * H))).toEqual(Array.from(top.subarray(last, last + H)));
          if (D === 2) {
            // the reverse direction ends at t = 0
            expect(Array.from(tr.hN.subarray(((cfg.numLayers * D - 1) * B + b) * H, ((cfg.numLayers * D - 1) * B + b + 1) * H))).toEqual(Array.from(top.subarray(b * T2 * D * H + H, b * T2 * D * H + 2 * H)));
          }
        }
      }
    });
  });

  it('gives a padded batch the outputs, states and loss of its rows run one by one at their own lengths', () => {
    const rng = new Rng(77);
    const cfg = normalizeConfig({ cell: 'gru', inputSize: 5, embeddingDim: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, outputSize: 5 });
    const net = netFromParams(cfg, new Map(parameterSpecs(cfg).map((s) => [s.name, uniform(rng, sizeOf(s.shape), 0.8)])));
    const lengths = [5, 2, 3];
    const ids = Int32Array.from({ length: 15 }, () => rng.int(5));
    const targets = Int32Array.from({ length: 15 }, () => rng.int(5));
    const padded = forward(cfg, net, { batch: 3, steps: 5, ids, lengths: Int32Array.from(lengths) });
    let lossSum = 0;
    lengths.forEach((len, b) => {
      const one = { batch: 1, steps: len, ids: ids.slice(b * 5, b * 5 + len) };
      const tr = forward(cfg, net, one);
      expect(Array.from(padded.logits.subarray(b * 25, b * 25 + len * 5))).toEqual(Array.from(tr.logits));
      for (let u = 0; u < 4; u++) expect(Array.from(padded.hN.subarray((u * 3 + b) * 4, (u * 3 + b + 1) * 4))).toEqual(Array.from(tr.hN.subarray(u * 4, u * 4 + 4)));
      lossSum += len * lossAndGrad('nll', tr.logits, one, 5, { ids: targets.slice(b * 5, b * 5 + len) }).loss;
    });
    const loss = lossAndGrad('nll', padded.logits, { batch: 3, steps: 5, ids, lengths: Int32Array.from(lengths) }, 5, { ids: targets }).loss;
    expect(loss).toBeCloseTo(lossSum / 10, 12);
  });
});
