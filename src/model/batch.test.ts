// Boundary validation of inputs, targets and states: good ones pass, each bad kind gets its own
// error class and a message naming the offending quantity.
import { describe, it, expect } from 'vitest';
import { ConfigError, NonFiniteError, RnnShapeError, TokenRangeError } from '../errors.js';
import { normalizeConfig } from './config.js';
import { validateInput, validateState, validateTargets, type LossKind, type SeqInput } from './batch.js';
import { Rng } from './init.js';

type ErrorClass = new (...args: never[]) => Error;

function expectThrow(call: () => void, cls: ErrorClass, message: RegExp): void {
  let caught: unknown;
  try {
    call();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(cls);
  expect((caught as Error).message).toMatch(message);
}

const rng = new Rng(5);
const floats = (n: number): Float64Array => Float64Array.from({ length: n }, () => rng.uniform(-1, 1));
const ids = (n: number, limit: number): Int32Array => Int32Array.from({ length: n }, () => rng.int(limit));

// I = 5 (vocabulary), H = 4, O = 3, 2 layers; batch 2, 3 steps
const cfg = normalizeConfig({ cell: 'lstm', inputSize: 5, hiddenSize: 4, numLayers: 2, outputSize: 3 });
const gru = normalizeConfig({ cell: 'gru', inputSize: 5, hiddenSize: 4, numLayers: 2, outputSize: 3 });
const B = 2;
const T = 3;
const tokenInput: SeqInput = { batch: B, steps: T, ids: ids(B * T, 5) };
const floatInput: SeqInput = { batch: B, steps: T, x: floats(B * T * 5) };

describe('validateInput', () => {
  it('accepts token ids [B, T] and floats [B, T, I]', () => {
    expect(() => validateInput(cfg, tokenInput)).not.toThrow();
    expect(() => validateInput(cfg, floatInput)).not.toThrow();
    expect(() => validateInput(cfg, { batch: 1, steps: 1, ids: Int32Array.of(4) })).not.toThrow();
    expect(() => validateInput(cfg, { batch: 1, steps: 1, x: new Float32Array(floats(5)) })).not.toThrow();
  });

  it('rejects a bad batch or step count', () => {
    expectThrow(() => validateInput(cfg, { ...tokenInput, batch: 0 }), RnnShapeError, /batch must be a positive integer, got 0/);
    expectThrow(() => validateInput(cfg, { ...tokenInput, steps: 1.5 }), RnnShapeError, /steps must be a positive integer, got 1\.5/);
  });

  it('rejects an input with both or neither of ids and x', () => {
    expectThrow(() => validateInput(cfg, { batch: B, steps: T }), RnnShapeError, /exactly one of ids/);
    expectThrow(() => validateInput(cfg, { ...tokenInput, x: floatInput.x }), RnnShapeError, /exactly one of ids/);
  });

  it('rejects the wrong number of ids or features', () => {
    expectThrow(() => validateInput(cfg, { batch: B, steps: T, ids: ids(B * T + 1, 5) }), RnnShapeError, /input ids has 7 ids, expected 6/);
    expectThrow(() => validateInput(cfg, { batch: B, steps: T, x: floats(B * T * 4) }), RnnShapeError, /4 features, model expects 5 \(inputSize\)/);
    expectThrow(() => validateInput(cfg, { batch: B, steps: T, x: floats(B * T * 5 + 1) }), RnnShapeError, /31 values, model expects 5/);
  });

  it('rejects token ids outside [0, inputSize)', () => {
    const high = Int32Array.from(tokenInput.ids!);
    high[4] = 5;
    expectThrow(() => validateInput(cfg, { batch: B, steps: T, ids: high }), TokenRangeError, /input ids\[4\] = 5 is out of range \[0, 5\)/);
    const low = Int32Array.from(tokenInput.ids!);
    low[0] = -1;
    expectThrow(() => validateInput(cfg, { batch: B, steps: T, ids: low }), TokenRangeError, /input ids\[0\] = -1/);
  });

  it('rejects NaN and infinities in x', () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const x = Float64Array.from(floatInput.x!);
      x[11] = bad;
      expectThrow(() => validateInput(cfg, { batch: B, steps: T, x }), NonFiniteError, new RegExp(`input x holds ${bad} at flat index 11`));
    }
  });
});

describe('validateTargets', () => {
  it('accepts B·T ids for nll, B ids for nll_last and B·T·O values for mse', () => {
    expect(() => validateTargets(cfg, 'nll', tokenInput, { ids: ids(B * T, 3) })).not.toThrow();
    expect(() => validateTargets(cfg, 'nll_last', tokenInput, { ids: ids(B, 3) })).not.toThrow();
    expect(() => validateTargets(cfg, 'mse', floatInput, { y: floats(B * T * 3) })).not.toThrow();
  });

  it('rejects targets of the wrong kind or count', () => {
    expectThrow(() => validateTargets(cfg, 'nll', tokenInput, { y: floats(B * T * 3) }), RnnShapeError, /nll loss needs targets\.ids/);
    expectThrow(() => validateTargets(cfg, 'mse', tokenInput, { ids: ids(B * T, 3) }), RnnShapeError, /mse loss needs targets\.y/);
    expectThrow(() => validateTargets(cfg, 'nll', tokenInput, { ids: ids(B, 3) }), RnnShapeError, /target ids has 2 ids, expected 6/);
    expectThrow(() => validateTargets(cfg, 'nll_last', tokenInput, { ids: ids(B * T, 3) }), RnnShapeError, /target ids has 6 ids, expected 2/);
    expectThrow(() => validateTargets(cfg, 'mse', tokenInput, { y: floats(B * T * 5) }), RnnShapeError, /targets\.y has 30 values, expected 2×3×3 = 18/);
  });

  it('rejects class ids outside [0, outputSize) and non-finite regression targets', () => {
    expectThrow(() => validateTargets(cfg, 'nll_last', tokenInput, { ids: Int32Array.of(0, 3) }), TokenRangeError, /target ids\[1\] = 3 is out of range \[0, 3\) \(outputSize\)/);
    const y = floats(B * T * 3);
    y[17] = NaN;
    expectThrow(() => validateTargets(cfg, 'mse', tokenInput, { y }), NonFiniteError, /targets y holds NaN at flat index 17/);
  });

  it('rejects an unknown loss', () => {
    expectThrow(() => validateTargets(cfg, 'ce' as LossKind, tokenInput, { ids: ids(B * T, 3) }), ConfigError, /unknown loss 'ce'/);
  });
});

describe('validateState', () => {
  const n = 2 * B * 4; // [L, B, H]

  it('accepts h [L, B, H], with or without c for an LSTM', () => {
    expect(() => validateState(cfg, B, { h: floats(n), c: floats(n) })).not.toThrow();
    expect(() => validateState(cfg, B, { h: new Float32Array(floats(n)) })).not.toThrow();
    expect(() => validateState(gru, B, { h: floats(n) })).not.toThrow();
  });

  it('rejects h or c of the wrong size, naming the expected shape', () => {
    expectThrow(() => validateState(cfg, B, { h: floats(n - 1) }), RnnShapeError, /h0 has 15 values, expected \[2, 2, 4\] \(numLayers, batch, hiddenSize\)/);
    expectThrow(() => validateState(cfg, 3, { h: floats(n) }), RnnShapeError, /expected \[2, 3, 4\]/);
    expectThrow(() => validateState(cfg, B, { h: floats(n), c: floats(n + 4) }), RnnShapeError, /c0 has 20 values/);
  });

  it('rejects a cell state for a model without one', () => {
    expectThrow(() => validateState(gru, B, { h: floats(n), c: floats(n) }), RnnShapeError, /only an LSTM has a cell state \(cell is 'gru'\)/);
  });

  it('rejects non-finite values in h or c', () => {
    const h = floats(n);
    h[3] = Infinity;
    expectThrow(() => validateState(cfg, B, { h }), NonFiniteError, /h0 holds Infinity at flat index 3/);
    const c = floats(n);
    c[9] = NaN;
    expectThrow(() => validateState(cfg, B, { h: floats(n), c }), NonFiniteError, /c0 holds NaN at flat index 9/);
  });
});
