// Model description shared by both backends. Parameter names and layouts are PyTorch's
// state_dict, under the user's own module names:
//   [embedding]  <emb>.weight [V, E]                                  nn.Embedding(V, E)
//   recurrent    <rnn>.weight_ih_l<k>[_reverse] [G·H, I_k], weight_hh [G·H, H], bias_ih, bias_hh [G·H]
//   [head]       <head>.weight [O, D·H], <head>.bias [O]               nn.Linear(D·H, O)
// (D = 2 when bidirectional; I_0 = E, or the one-hot / float input width; I_k = D·H above),
// or the char-RNN tutorial's `RNN` module (`i2h.*`, `i2o.*`).
import { ConfigError, checkKeys, show } from '../errors.js';

/**
 * rnn:      h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)
 * lstm:     gates i,f,g,o stacked along dim 0 of W_ih / W_hh
 * gru:      gates r,z,n; n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
 * tutorial: h_t = i2h(cat(x_t, h_{t-1})) (no nonlinearity), y_t = log_softmax(i2o(cat(x_t, h_{t-1})))
 */
export type CellKind = 'rnn' | 'lstm' | 'gru' | 'tutorial';
export type Nonlinearity = 'tanh' | 'relu';

/** The user's module names: `<embedding>.weight`, `<rnn>.weight_ih_l0`, `<head>.weight`. */
export interface ModuleNames {
  embedding: string;
  rnn: string;
  head: string;
}

export interface ModelConfig {
  cell: CellKind;
  /** Only for cell 'rnn'. */
  nonlinearity: Nonlinearity;
  /**
   * Width of the token or feature input: the vocabulary for token ids (the one-hot width, or the
   * embedding's num_embeddings), or the features per step of float inputs.
   */
  inputSize: number;
  hiddenSize: number;
  /** Stacked layers; the tutorial model has exactly one. */
  numLayers: number;
  /** Width of the output: the head's out_features, or D·H without a head. */
  outputSize: number;
  /** nn.Embedding's embedding_dim; 0 = no embedding (one-hot ids or float inputs). */
  embeddingDim: number;
  /** nn.RNN's `bias`: false = no b_ih, b_hh. */
  bias: boolean;
  bidirectional: boolean;
  /** A Linear head; without one the outputs are the top layer's states [B, T, D·H]. */
  head: boolean;
  /** The head's weight is the embedding's (word_language_model's tie_weights). */
  tied: boolean;
  /** nn.RNN's dropout: on every layer's output but the last, in training only. */
  dropout: number;
  /** Dropout on the embedding's (or the float input's) output, in training only. */
  inputDropout: number;
  /** Dropout on the recurrent stack's output, before the head, in training only. */
  outputDropout: number;
  names: ModuleNames;
}

export interface ModelConfigInput {
  cell?: CellKind;
  nonlinearity?: Nonlinearity;
  inputSize: number;
  hiddenSize: number;
  numLayers?: number;
  outputSize?: number;
  embeddingDim?: number;
  bias?: boolean;
  bidirectional?: boolean;
  head?: boolean;
  tied?: boolean;
  dropout?: number;
  inputDropout?: number;
  outputDropout?: number;
  names?: Partial<ModuleNames>;
}

export const DEFAULT_NAMES: ModuleNames = { embedding: 'embedding', rnn: 'rnn', head: 'fc' };

/** Number of gate blocks G stacked in W_ih / W_hh: [G·H, ·]. */
export function gateCount(cell: CellKind): number {
  return cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1;
}

/** Directions D: 2 for a bidirectional stack. */
export const directions = (cfg: ModelConfig): number => (cfg.bidirectional ? 2 : 1);

/** Features layer k reads per step: the embedding, the raw input, or the layer below's D·H. */
export function layerInputSize(cfg: ModelConfig, k: number): number {
  if (k > 0) return directions(cfg) * cfg.hiddenSize;
  return cfg.embeddingDim > 0 ? cfg.embeddingDim : cfg.inputSize;
}

/** Every field of a model description (RnnModel.create rejects others). */
export const MODEL_CONFIG_KEYS = [
  'cell', 'nonlinearity', 'inputSize', 'hiddenSize', 'numLayers', 'outputSize', 'embeddingDim', 'bias',
  'bidirectional', 'head', 'tied', 'dropout', 'inputDropout', 'outputDropout', 'names',
] as const satisfies readonly (keyof ModelConfigInput)[];

/** Sizes past these are refused before anything is allocated (a typo's 1e9 would exhaust memory). */
export const MAX_SIZE = 1 << 24;
export const MAX_LAYERS = 256;
/** Parameters a model may have: 1 GiB of float32 (already past WebGPU's default buffer limits). */
export const MAX_PARAMETERS = 1 << 28;

function positiveInt(name: string, v: unknown, max = MAX_SIZE): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) {
    throw new ConfigError(`${name} must be an integer in [1, ${max}], got ${show(v)}`);
  }
  return v;
}

function probability(name: string, v: unknown): number {
  if (v === undefined) return 0;
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) throw new ConfigError(`${name} must be a probability in [0, 1), got ${show(v)}`);
  return v;
}

function flag(name: string, v: unknown, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new ConfigError(`${name} must be true or false, got ${show(v)}`);
  return v;
}

const MODULE_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$/;

/** `names` as given (some of embedding, rnn, head, each a module path or undefined), or undefined. */
export function checkNames(names: unknown): void {
  if (names === undefined) return;
  if (typeof names !== 'object' || names === null || Array.isArray(names)) {
    throw new ConfigError(`names must be an object { embedding?, rnn?, head? }, got ${show(names)}`);
  }
  checkKeys('names', names, Object.keys(DEFAULT_NAMES));
  for (const [k, v] of Object.entries(names)) {
    if (v !== undefined && (typeof v !== 'string' || !MODULE_NAME.test(v))) throw new ConfigError(`names.${k} must be a module path like 'encoder' or 'model.rnn', got ${show(v)}`);
  }
}

/** Validates and fills defaults (cell 'rnn', tanh, 1 layer, bias, a head with outputSize = inputSize). */
export function normalizeConfig(c: ModelConfigInput): ModelConfig {
  if (typeof c !== 'object' || c === null) throw new ConfigError(`a model description must be an object, got ${show(c)}`);
  const cell = c.cell ?? 'rnn';
  if (!['rnn', 'lstm', 'gru', 'tutorial'].includes(cell)) {
    throw new ConfigError(`cell must be 'rnn', 'lstm', 'gru' or 'tutorial', got ${show(cell)}`);
  }
  const nonlinearity = c.nonlinearity ?? 'tanh';
  if (nonlinearity !== 'tanh' && nonlinearity !== 'relu') {
    throw new ConfigError(`nonlinearity must be 'tanh' or 'relu', got ${show(nonlinearity)}`);
  }
  const inputSize = positiveInt('inputSize', c.inputSize);
  const hiddenSize = positiveInt('hiddenSize', c.hiddenSize);
  const bidirectional = flag('bidirectional', c.bidirectional, false);
  const head = flag('head', c.head, true);
  const D = bidirectional ? 2 : 1;
  const embeddingDim = c.embeddingDim === undefined || c.embeddingDim === 0 ? 0 : positiveInt('embeddingDim', c.embeddingDim);
  checkNames(c.names);
  const given = Object.entries(c.names ?? {}).filter(([, v]) => v !== undefined);
  const names: ModuleNames = { ...DEFAULT_NAMES, ...Object.fromEntries(given) };
  if (new Set([names.embedding, names.rnn, names.head]).size < 3) {
    throw new ConfigError(`names must differ: embedding '${names.embedding}', rnn '${names.rnn}', head '${names.head}'`);
  }
  let outputSize: number;
  if (head) outputSize = positiveInt('outputSize', c.outputSize ?? inputSize);
  else {
    outputSize = D * hiddenSize;
    if (c.outputSize !== undefined && c.outputSize !== outputSize) {
      throw new ConfigError(`without a head the outputs are the top layer's D·H = ${outputSize} states, got outputSize ${show(c.outputSize)}`);
    }
  }
  const cfg: ModelConfig = {
    cell,
    nonlinearity,
    inputSize,
    hiddenSize,
    numLayers: positiveInt('numLayers', c.numLayers ?? 1, MAX_LAYERS),
    outputSize,
    embeddingDim,
    bias: flag('bias', c.bias, true),
    bidirectional,
    head,
    tied: flag('tied', c.tied, false),
    dropout: probability('dropout', c.dropout),
    inputDropout: probability('inputDropout', c.inputDropout),
    outputDropout: probability('outputDropout', c.outputDropout),
    names,
  };
  if (cell === 'tutorial') {
    if (cfg.numLayers !== 1) throw new ConfigError(`the tutorial model has exactly 1 layer, got numLayers ${cfg.numLayers}`);
    const extras = (['embeddingDim', 'bidirectional', 'tied', 'dropout', 'inputDropout', 'outputDropout'] as const).filter((k) => cfg[k]);
    const renamed = JSON.stringify(names) !== JSON.stringify(DEFAULT_NAMES);
    if (extras.length || !cfg.bias || !cfg.head || renamed) {
      throw new ConfigError(`the tutorial model (i2h / i2o) is fixed: it takes no ${[...extras, ...(!cfg.bias ? ['bias: false'] : []), ...(!cfg.head ? ['head: false'] : []), ...(renamed ? ['names'] : [])].join(', ')}`);
    }
  }
  if (cfg.tied) {
    if (!embeddingDim) throw new ConfigError('tied weights need an embedding (embeddingDim) to share with the head');
    if (!head) throw new ConfigError('tied weights need a head to share the embedding with');
    if (embeddingDim !== D * hiddenSize || outputSize !== inputSize) {
      throw new ConfigError(
        `tying the head to the embedding needs embeddingDim (${embeddingDim}) = ${D > 1 ? '2 × ' : ''}hiddenSize (${D * hiddenSize}) ` +
          `and outputSize (${outputSize}) = the vocabulary (${inputSize})`,
      );
    }
  }
  if (cfg.dropout > 0 && cfg.numLayers === 1) {
    // PyTorch warns and ignores it; so do we, but say so by normalising it away
    cfg.dropout = 0;
  }
  const count = parameterSpecs(cfg).reduce((n, p) => n + sizeOf(p.shape), 0);
  if (count > MAX_PARAMETERS) {
    throw new ConfigError(`the model would have ${count.toLocaleString('en')} parameters, more than the ${MAX_PARAMETERS.toLocaleString('en')} webrnn takes`);
  }
  return cfg;
}

export interface ParamSpec {
  name: string;
  shape: number[];
}

/** `<rnn>.<kind>_l<k>[_reverse]`, PyTorch's name for a recurrent parameter. */
export function rnnName(cfg: ModelConfig, kind: 'weight_ih' | 'weight_hh' | 'bias_ih' | 'bias_hh', k: number, d: number): string {
  return `${cfg.names.rnn}.${kind}_l${k}${d ? '_reverse' : ''}`;
}
export const embeddingName = (cfg: ModelConfig): string => `${cfg.names.embedding}.weight`;
export const headWeightName = (cfg: ModelConfig): string => `${cfg.names.head}.weight`;
export const headBiasName = (cfg: ModelConfig): string => `${cfg.names.head}.bias`;

/**
 * The model's own parameters in PyTorch state_dict order, with their shapes: each once (a tied
 * head's weight is the embedding's, so it is not listed; stateDictSpecs adds its name back).
 */
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
  const D = directions(cfg);
  const specs: ParamSpec[] = [];
  if (cfg.embeddingDim) specs.push({ name: embeddingName(cfg), shape: [I, cfg.embeddingDim] });
  for (let k = 0; k < cfg.numLayers; k++) {
    for (let d = 0; d < D; d++) {
      specs.push({ name: rnnName(cfg, 'weight_ih', k, d), shape: [G * H, layerInputSize(cfg, k)] }, { name: rnnName(cfg, 'weight_hh', k, d), shape: [G * H, H] });
      if (cfg.bias) specs.push({ name: rnnName(cfg, 'bias_ih', k, d), shape: [G * H] }, { name: rnnName(cfg, 'bias_hh', k, d), shape: [G * H] });
    }
  }
  if (cfg.head) {
    if (!cfg.tied) specs.push({ name: headWeightName(cfg), shape: [O, D * H] });
    specs.push({ name: headBiasName(cfg), shape: [O] });
  }
  return specs;
}

/**
 * Every name PyTorch's state_dict has for this model, with `alias` set where a name is another's
 * tensor (the tied head's weight is the embedding's).
 */
export function stateDictSpecs(cfg: ModelConfig): (ParamSpec & { alias?: string })[] {
  const specs: (ParamSpec & { alias?: string })[] = parameterSpecs(cfg);
  if (cfg.tied) {
    const at = specs.findIndex((s) => s.name === headBiasName(cfg));
    specs.splice(at, 0, { name: headWeightName(cfg), shape: [cfg.outputSize, directions(cfg) * cfg.hiddenSize], alias: embeddingName(cfg) });
  }
  return specs;
}

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** True when the model carries a cell state c (LSTM). */
export const hasCellState = (cfg: ModelConfig): boolean => cfg.cell === 'lstm';

/** Layers × directions: the first dimension of h0 / hN, PyTorch's [L·D, B, H]. */
export const stateLayers = (cfg: ModelConfig): number => cfg.numLayers * directions(cfg);

/** Whether any dropout is active in training. */
export const hasDropout = (cfg: ModelConfig): boolean => cfg.dropout > 0 || cfg.inputDropout > 0 || cfg.outputDropout > 0;
