// The model API on the CPU backend: typed, actionable errors that change nothing; safetensors
// round trips; carried state; training that learns; generation; dispose.
import { describe, it, expect } from 'vitest';
import {
  ConfigError,
  DisposedError,
  NonFiniteError,
  RnnShapeError,
  SafetensorsError,
  TokenRangeError,
} from '../errors.js';
import type { CellKind } from './config.js';
import type { ForwardResult } from './backend.js';
import type { SeqInput } from './batch.js';
import { Rng } from './init.js';
import { RnnModel } from './model.js';
import { writeSafetensors } from './safetensors.js';

type ErrorClass = new (...args: never[]) => Error;

async function expectError(call: () => unknown, cls: ErrorClass, message: RegExp): Promise<Error> {
  let caught: unknown;
  try {
    await call();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(cls);
  expect((caught as Error).message).toMatch(message);
  return caught as Error;
}

const uniform = (rng: Rng, n: number, bound = 1): Float64Array =>
  Float64Array.from({ length: n }, () => rng.uniform(-bound, bound));

/** Everything a rejected call must leave alone: forward outputs on a fixed input, and the parameters. */
async function snapshot(m: RnnModel, input: SeqInput): Promise<{ f: ForwardResult; params: Map<string, Float64Array> }> {
  return { f: await m.forward(input), params: await m.getParameters() };
}

describe('RnnModel rejects bad calls with typed errors and loses nothing', () => {
  // float-input model: I = 3, H = 5, O = 2; batch 2, 3 steps
  const I = 3;
  const H = 5;
  const O = 2;
  const B = 2;
  const T = 3;
  const rng = new Rng(11);
  const input: SeqInput = { batch: B, steps: T, x: uniform(rng, B * T * I) };
  const floatModel = (): Promise<RnnModel> =>
    RnnModel.create({ backend: 'cpu', cell: 'gru', inputSize: I, hiddenSize: H, outputSize: O, seed: 3 });

  it('rejects inputs, targets and states of the wrong size, non-finite values and bad training options', async () => {
    const m = await floatModel();
    const before = await snapshot(m, input);
    expect(Math.max(...before.f.logits.map(Math.abs))).toBeGreaterThan(0);
    const unchanged = async (): Promise<void> => expect(await snapshot(m, input)).toEqual(before);

    // wrong feature count
    await expectError(
      () => m.forward({ batch: B, steps: T, x: uniform(rng, B * T * 4) }),
      RnnShapeError,
      /input has 4 features, model expects 3 \(inputSize\)/,
    );
    await unchanged();
    // NaN and Infinity in x
    const bad = uniform(rng, B * T * I);
    bad[7] = NaN;
    await expectError(() => m.forward({ batch: B, steps: T, x: bad }), NonFiniteError, /input x holds NaN at flat index 7/);
    await unchanged();
    bad[7] = -Infinity;
    await expectError(() => m.gradients({ batch: B, steps: T, x: bad }, { ids: new Int32Array(B * T) }, { loss: 'nll' }), NonFiniteError, /-Infinity/);
    await unchanged();
    // target count: nll wants B·T ids, nll_last B, mse B·T·O values
    await expectError(
      () => m.gradients(input, { ids: new Int32Array(B * T - 1) }, { loss: 'nll' }),
      RnnShapeError,
      /target ids has 5 ids, expected 6/,
    );
    await expectError(
      () => m.gradients(input, { ids: new Int32Array(B * T) }, { loss: 'nll_last' }),
      RnnShapeError,
      /target ids has 6 ids, expected 2/,
    );
    await expectError(
      () => m.gradients(input, { y: new Float64Array(B * T * O + 1) }, { loss: 'mse' }),
      RnnShapeError,
      /targets\.y has 13 values, expected 2×3×2 = 12/,
    );
    await expectError(() => m.gradients(input, { ids: Int32Array.of(0, O) }, { loss: 'nll_last' }), TokenRangeError, /out of range \[0, 2\) \(outputSize\)/);
    await unchanged();
    // h0 shape [L, B, H] = [1, 2, 5]; c0 only for LSTM
    await expectError(
      () => m.forward(input, { state: { h: uniform(rng, B * H - 1) } }),
      RnnShapeError,
      /h0 has 9 values, expected \[1, 2, 5\]/,
    );
    await expectError(
      () => m.forward(input, { state: { h: uniform(rng, B * H), c: uniform(rng, B * H) } }),
      RnnShapeError,
      /only an LSTM has a cell state/,
    );
    await unchanged();
    // training: not configured, then bad options
    await expectError(() => m.trainStep(input, { ids: new Int32Array(B * T) }), ConfigError, /configureTraining/);
    await expectError(() => m.configureTraining({ loss: 'nll', optimizer: { type: 'sgd', lr: -0.1 } }), ConfigError, /optimizer\.lr/);
    await expectError(() => m.configureTraining({ loss: 'nll', optimizer: { type: 'adam', lr: NaN } }), ConfigError, /optimizer\.lr.*NaN/);
    await expectError(
      () => m.configureTraining({ loss: 'nll', optimizer: { type: 'adam', lr: 0.01, betas: [0.9, 1] } }),
      ConfigError,
      /betas\[1\]/,
    );
    await expectError(() => m.trainStep(input, { ids: new Int32Array(B * T) }), ConfigError, /configureTraining/);
    await unchanged();
  });

  it('rejects a misspelt or ill-typed option by name instead of ignoring it, and keeps the training it had', async () => {
    const m = await floatModel();
    const targets = { ids: Int32Array.from({ length: B * T }, (_, i) => i % O) };
    m.configureTraining({ loss: 'nll', optimizer: { type: 'adam', lr: 0.01 }, clip: 1 });
    const before = await snapshot(m, input);
    const typos: [string, () => unknown, RegExp][] = [
      ['configureTraining', () => m.configureTraining({ loss: 'nll', optimizer: { type: 'adam', lr: 0.01 }, clipNorm: 1 } as never), /training options has no field 'clipNorm'/],
      ['optimizer', () => m.configureTraining({ loss: 'nll', optimizer: { type: 'sgd', lr: 0.1, betas: [0.9, 0.99] } as never }), /sgd optimizer has no field 'betas'/],
      ['updateTraining', () => m.updateTraining({ learningRate: 0.1 } as never), /updateTraining has no field 'learningRate'.*lr, clip/],
      ['forward', () => m.forward(input, { initialState: 'carry' } as never), /forward options has no field 'initialState'/],
      ['evaluate', () => m.evaluate(input, targets, { loss: 'nll', reduction: 'sum' } as never), /evaluate options has no field 'reduction'/],
      ['generate', () => m.generate({ prime: [0], length: 3, top_k: 2 } as never), /generate options has no field 'top_k'/],
      ['create', () => RnnModel.create({ backend: 'cpu', cell: 'gru', inputSize: I, hiddenSize: H, num_layers: 2 } as never), /RnnModel.create options has no field 'num_layers'/],
      ['fromSafetensors', async () => RnnModel.fromSafetensors(await m.saveSafetensors(), { backend: 'cpu', bidirectional: true } as never), /fromSafetensors options has no field 'bidirectional'/],
      ['names', () => RnnModel.create({ backend: 'cpu', inputSize: I, hiddenSize: H, names: { lstm: 'encoder' } } as never), /names has no field 'lstm'.*embedding, rnn, head/],
      ['kernels', () => RnnModel.create({ backend: 'cpu', inputSize: I, hiddenSize: H, kernels: 'fast' } as never), /kernels must be one of 'auto', 'gpu'/],
      ['gpu', () => RnnModel.create({ backend: 'webgpu', inputSize: I, hiddenSize: H, gpu: {} } as never), /gpu must be a GPU object/],
      // a hint is checked even where the file's own metadata leaves it unused: the caller's error, not the file's
      ['hint', async () => RnnModel.fromSafetensors(await m.saveSafetensors(), { backend: 'cpu', dropout: 2 }), /^dropout must be a probability in \[0, 1\), got 2/],
    ];
    for (const [, call, message] of typos) await expectError(call, ConfigError, message);
    // the training configured before the typos is the one in force: Adam at lr 0.01 with clipping
    expect(await snapshot(m, input)).toEqual(before);
    const step = await m.trainStep(input, targets);
    expect(step.gradNorm).toBeGreaterThan(0);
    expect(m.stats().optimizerStep).toBe(1);
  });

  it('rejects token ids outside the vocabulary', async () => {
    const m = await RnnModel.create({ backend: 'cpu', cell: 'lstm', inputSize: 4, hiddenSize: 5, seed: 1 });
    const ok: SeqInput = { batch: 1, steps: 3, ids: Int32Array.of(0, 3, 2) };
    const before = await snapshot(m, ok);
    await expectError(() => m.forward({ batch: 1, steps: 3, ids: Int32Array.of(0, 4, 2) }), TokenRangeError, /input ids\[1\] = 4 is out of range \[0, 4\)/);
    await expectError(() => m.forward({ batch: 1, steps: 3, ids: Int32Array.of(-1, 0, 2) }), TokenRangeError, /= -1/);
    await expectError(() => m.generate({ prime: [5], length: 3 }), TokenRangeError, /prime\[0\] = 5/);
    expect(await snapshot(m, ok)).toEqual(before);
  });

  it('rejects parameter sets with a missing, extra, wrongly shaped or non-finite tensor', async () => {
    const m = await floatModel();
    const before = await snapshot(m, input);
    const good = await m.getParameters();
    const without = new Map(good);
    without.delete('rnn.bias_hh_l0');
    const e1 = await expectError(() => m.setParameters(without), SafetensorsError, /'rnn\.bias_hh_l0' \[15\] is missing/);
    expect((e1 as SafetensorsError).reason).toBe('missing');
    const extra = new Map(good).set('rnn.weight_ih_l1', new Float64Array(15 * H));
    const e2 = await expectError(() => m.setParameters(extra), SafetensorsError, /unexpected parameters.*rnn\.weight_ih_l1/);
    expect((e2 as SafetensorsError).reason).toBe('unexpected');
    const short = new Map(good).set('fc.weight', new Float64Array(O * H - 1));
    await expectError(() => m.setParameters(short), RnnShapeError, /'fc\.weight' has 9 values, model expects \[2, 5\]/);
    const nan = new Map(good).set('fc.bias', Float64Array.of(0.1, NaN));
    await expectError(() => m.setParameters(nan), NonFiniteError, /'fc\.bias' holds NaN at flat index 1/);
    await expectError(
      () => RnnModel.create({ backend: 'cpu', cell: 'gru', inputSize: I, hiddenSize: H, outputSize: O, parameters: without }),
      SafetensorsError,
      /missing/,
    );
    // Same element count, transposed shape: only the file's shape can tell.
    const transposed = new Map(
      [...good].map(([n, v]) => [n, { shape: n === 'fc.weight' ? [H, O] : shapeOf(n), data: v }] as const),
    );
    await expectError(
      () => m.loadSafetensors(writeSafetensors(transposed)),
      RnnShapeError,
      /'fc\.weight' has shape \[5, 2\], model expects \[2, 5\]/,
    );
    expect(await snapshot(m, input)).toEqual(before);

    function shapeOf(n: string): number[] {
      const shapes: Record<string, number[]> = {
        'rnn.weight_ih_l0': [3 * H, I],
        'rnn.weight_hh_l0': [3 * H, H],
        'rnn.bias_ih_l0': [3 * H],
        'rnn.bias_hh_l0': [3 * H],
        'fc.bias': [O],
      };
      return shapes[n];
    }
  });
});

describe('RnnModel parameters, state and training', () => {
  const V = 4;
  const tokenModel = (cell: CellKind, seed: number, numLayers = 1): Promise<RnnModel> =>
    RnnModel.create({ backend: 'cpu', cell, inputSize: V, hiddenSize: 8, numLayers, seed });

  for (const cell of ['rnn', 'lstm', 'gru', 'tutorial'] as const) {
    it(`round-trips a ${cell} model through safetensors into a model with another seed`, async () => {
      const layers = cell === 'tutorial' ? 1 : 2;
      const a = await tokenModel(cell, 1, layers);
      const b = await tokenModel(cell, 2, layers);
      const input: SeqInput = { batch: 2, steps: 4, ids: Int32Array.of(0, 1, 2, 3, 3, 2, 1, 0) };
      const fa = await a.forward(input);
      expect(Array.from((await b.forward(input)).logits)).not.toEqual(Array.from(fa.logits));
      b.loadSafetensors(await a.saveSafetensors());
      const fb = await b.forward(input);
      expect(fb.logits).toEqual(fa.logits);
      expect(fb.hSeq).toEqual(fa.hSeq);
      expect(fb.hN).toEqual(fa.hN);
      expect(await b.getParameters()).toEqual(await a.getParameters());
    });
  }

  for (const cell of ['rnn', 'lstm', 'gru'] as const) {
    it(`continues a 2-layer ${cell} across two halves with state 'carry' exactly as over the whole sequence`, async () => {
      const m = await tokenModel(cell, 5, 2);
      const rng = new Rng(21);
      const B = 2;
      const T = 6;
      const h = T / 2;
      const ids = Int32Array.from({ length: B * T }, () => rng.int(V));
      const half = (t0: number): Int32Array => Int32Array.from({ length: B * h }, (_, i) => ids[Math.floor(i / h) * T + t0 + (i % h)]);
      const whole = await m.forward({ batch: B, steps: T, ids });
      m.resetState();
      const first = await m.forward({ batch: B, steps: h, ids: half(0) }, { state: 'carry' });
      const second = await m.forward({ batch: B, steps: h, ids: half(h) }, { state: 'carry' });
      expect(second.hN).toEqual(whole.hN);
      if (cell === 'lstm') expect(second.cN).toEqual(whole.cN);
      else expect(second.cN).toBeNull();
      // logits [B, T, O]: the halves are the two column blocks of the whole
      for (let b = 0; b < B; b++) {
        for (let t = 0; t < T; t++) {
          const part = t < h ? first : second;
          for (let o = 0; o < V; o++) {
            expect(part.logits[(b * h + (t % h)) * V + o]).toBe(whole.logits[(b * T + t) * V + o]);
          }
        }
      }
      // the second half really depends on the carried state
      const fromZeros = await m.forward({ batch: B, steps: h, ids: half(h) });
      expect(Array.from(fromZeros.hN)).not.toEqual(Array.from(whole.hN));
    });
  }

  it('reports the state the last call ended in as lastState', async () => {
    const m = await tokenModel('lstm', 8, 2);
    expect(await m.lastState()).toBeNull();
    const rng = new Rng(3);
    const input: SeqInput = { batch: 3, steps: 4, ids: Int32Array.from({ length: 12 }, () => rng.int(V)) };
    const f = await m.forward(input, { state: { h: uniform(rng, 2 * 3 * 8), c: uniform(rng, 2 * 3 * 8) } });
    const s = await m.lastState();
    expect(s!.h).toEqual(f.hN);
    expect(s!.c).toEqual(f.cN);
    expect(s!.h.length).toBe(2 * 3 * 8);
    m.resetState();
    expect(await m.lastState()).toBeNull();
  });

  it("hands out lastState as a copy, so changing it does not change what 'carry' continues from", async () => {
    const m = await tokenModel('lstm', 8);
    const input: SeqInput = { batch: 1, steps: 3, ids: Int32Array.of(1, 3, 0) };
    await m.forward(input);
    const expected = await m.forward(input, { state: 'carry' });
    await m.forward(input);
    const s = await m.lastState();
    s!.h.fill(0);
    s!.c!.fill(0);
    const got = await m.forward(input, { state: 'carry' });
    expect(got.hN).toEqual(expected.hN);
    expect(got.cN).toEqual(expected.cN);
  });

  for (const cell of ['rnn', 'lstm', 'gru'] as const) {
    for (const optimizer of [{ type: 'sgd', lr: 1 } as const, { type: 'adam', lr: 0.05 } as const]) {
      it(`halves the loss of a ${cell} on a repeating token pattern within 100 ${optimizer.type} steps`, async () => {
        const m = await tokenModel(cell, 9);
        // 0 → 1 → 2 → 3 → 0 …, two rows at different phases; targets are the next tokens
        const B = 2;
        const T = 8;
        const phase = [0, 2];
        const ids = Int32Array.from({ length: B * T }, (_, i) => (phase[Math.floor(i / T)] + (i % T)) % V);
        const targets = Int32Array.from(ids, (v) => (v + 1) % V);
        m.configureTraining({ loss: 'nll', optimizer, clip: 5 });
        const losses: number[] = [];
        for (let i = 0; i < 100; i++) losses.push((await m.trainStep({ batch: B, steps: T, ids }, { ids: targets })).loss);
        expect(losses[0]).toBeGreaterThan(0.5);
        expect(losses[99]).toBeLessThan(0.5 * losses[0]);
        // the learned rule shows in greedy generation
        expect(Array.from(await m.generate({ prime: [0], length: 6, temperature: 0 }))).toEqual([1, 2, 3, 0, 1, 2]);
      });
    }
  }

  it('generates `length` in-range ids, deterministically at temperature 0 and for a fixed seed', async () => {
    const m = await tokenModel('gru', 4);
    const a = await m.generate({ prime: [1, 2], length: 12, temperature: 0, seed: 1 });
    const b = await m.generate({ prime: [1, 2], length: 12, temperature: 0, seed: 99 });
    expect(a).toBeInstanceOf(Int32Array);
    expect(a.length).toBe(12);
    expect(Array.from(b)).toEqual(Array.from(a));
    const s1 = await m.generate({ prime: [1, 2], length: 40, temperature: 1, seed: 7 });
    const s2 = await m.generate({ prime: [1, 2], length: 40, temperature: 1, seed: 7 });
    expect(Array.from(s2)).toEqual(Array.from(s1));
    for (const v of [...a, ...s1]) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(V);
    }
    expect(new Set(s1).size).toBeGreaterThan(1); // sampling at temperature 1 is not stuck on one token
  });

  it('throws DisposedError from every call after dispose', async () => {
    const m = await tokenModel('rnn', 1);
    const input: SeqInput = { batch: 1, steps: 2, ids: Int32Array.of(0, 1) };
    const params = await m.getParameters();
    m.configureTraining({ loss: 'nll', optimizer: { type: 'sgd', lr: 0.1 } });
    m.dispose();
    m.dispose(); // twice is harmless
    const calls: (() => unknown)[] = [
      () => m.forward(input),
      () => m.gradients(input, { ids: Int32Array.of(1, 2) }, { loss: 'nll' }),
      () => m.trainStep(input, { ids: Int32Array.of(1, 2) }),
      () => m.generate({ prime: [0], length: 2 }),
      () => m.getParameters(),
      () => m.setParameters(params),
      () => m.saveSafetensors(),
      () => m.lastState(),
      () => m.configureTraining({ loss: 'nll', optimizer: { type: 'sgd', lr: 0.1 } }),
    ];
    for (const call of calls) await expectError(call, DisposedError, /disposed/);
  });
});
