// Model description shared by both backends. Parameter names and layouts are PyTorch's
// state_dict: nn.RNN / nn.LSTM / nn.GRU (`rnn.*`) + nn.Linear head (`fc.*`), or the
// char-RNN tutorial's `RNN` module (`i2h.*`, `i2o.*`).
import { ConfigError } from '../errors.js';

/**
 * rnn:      h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)
 * lstm:     gates i,f,g,o stacked along dim 0 of W_ih / W_hh
 * gru:      gates r,z,n; n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
 * tutorial: h_t = i2h(cat(x_t, h_{t-1})) (no nonlinearity), y_t = log_softmax(i2o(cat(x_t, h_{t-1})))
 */
export type CellKind = 'rnn' | 'lstm' | 'gru' | 'tutorial';
export type Nonlinearity = 'tanh' | 'relu';

export interface ModelConfig {
  cell: CellKind;
  /** Only for cell 'rnn'. */
  nonlinearity: Nonlinearity;
  /** Features per time step; for token inputs this is the vocabulary size (one-hot width). */
  inputSize: number;
  hiddenSize: number;
  /** Stacked layers; the tutorial model has exactly one. */
  numLayers: number;
  /** Width of the head output (vocabulary or classes, or regression targets). */
  outputSize: number;
}

export interface ModelConfigInput {
  cell?: CellKind;
  nonlinearity?: Nonlinearity;
  inputSize: number;
  hiddenSize: number;
  numLayers?: number;
  outputSize?: number;
}

/** Number of gate blocks G stacked in W_ih / W_hh: [G·H, ·]. */
export function gateCount(cell: CellKind): number {
  return cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1;
}

function positiveInt(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new ConfigError(`${name} must be a positive integer, got ${String(v)}`);
  }
  return v;
}

/** Validates and fills defaults (cell 'rnn', tanh, 1 layer, outputSize = inputSize). */
export function normalizeConfig(c: ModelConfigInput): ModelConfig {
  const cell = c.cell ?? 'rnn';
  if (!['rnn', 'lstm', 'gru', 'tutorial'].includes(cell)) {
    throw new ConfigError(`cell must be 'rnn', 'lstm', 'gru' or 'tutorial', got '${String(cell)}'`);
  }
  const nonlinearity = c.nonlinearity ?? 'tanh';
  if (nonlinearity !== 'tanh' && nonlinearity !== 'relu') {
    throw new ConfigError(`nonlinearity must be 'tanh' or 'relu', got '${String(nonlinearity)}'`);
  }
  const inputSize = positiveInt('inputSize', c.inputSize);
  const cfg: ModelConfig = {
    cell,
    nonlinearity,
    inputSize,
    hiddenSize: positiveInt('hiddenSize', c.hiddenSize),
    numLayers: positiveInt('numLayers', c.numLayers ?? 1),
    outputSize: positiveInt('outputSize', c.outputSize ?? inputSize),
  };
  if (cell === 'tutorial' && cfg.numLayers !== 1) {
    throw new ConfigError(`the tutorial model has exactly 1 layer, got numLayers ${cfg.numLayers}`);
  }
  return cfg;
}

export interface ParamSpec {
  name: string;
  shape: number[];
}

/** Parameters in PyTorch state_dict order, with their shapes. */
export function parameterSpecs(cfg: ModelConfig): ParamSpec[] {
  const { inputSize: I, hiddenSize: H, outputSize: O } = cfg;
  if (cfg.cell === 'tutorial') {
    return [
      { name: 'i2h.weight', shape: [H, I + H] },
      { name: 'i2h.bias', shape: [H] },
      { name: 'i2o.weight', shape: [O, I + H] },
      { name: 'i2o.bias', shape: [O] },
    ];
  }
  const G = gateCount(cfg.cell);
  const specs: ParamSpec[] = [];
  for (let k = 0; k < cfg.numLayers; k++) {
    const Ik = k === 0 ? I : H;
    specs.push(
      { name: `rnn.weight_ih_l${k}`, shape: [G * H, Ik] },
      { name: `rnn.weight_hh_l${k}`, shape: [G * H, H] },
      { name: `rnn.bias_ih_l${k}`, shape: [G * H] },
      { name: `rnn.bias_hh_l${k}`, shape: [G * H] },
    );
  }
  specs.push({ name: 'fc.weight', shape: [O, H] }, { name: 'fc.bias', shape: [O] });
  return specs;
}

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** True when the model carries a cell state c (LSTM). */
export const hasCellState = (cfg: ModelConfig): boolean => cfg.cell === 'lstm';
