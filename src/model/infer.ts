// Reads a model description off a PyTorch state_dict's names and shapes, as load_state_dict
// would need it: which tensors are the embedding, the recurrent stack and the head, under the
// user's own module names.
//
//   recurrent  <rnn>.weight_ih_l<k>[_reverse], weight_hh_l<k>[_reverse] [G·H, ·], bias_* if bias:
//              G = rows / H gives the cell (1 RNN, 3 GRU, 4 LSTM); `_reverse` = bidirectional
//   embedding  a module with only a 2-D `weight` [V, E] whose E is layer 0's input width
//   head       a module with `weight` [O, D·H] and `bias` [O]; its weight absent, or bit-identical
//              to the embedding's (V = O, E = D·H), means tied (safetensors' save_model keeps one
//              of two shared names)
// Anything left over is an error that lists it, as load_state_dict(strict=True) reports
// unexpected keys. Where a file is ambiguous, `names` (and `tied`) say which module is which.
import { ConfigError, RnnShapeError, SafetensorsError, show } from '../errors.js';
import { checkNames, normalizeConfig, type ModelConfig, type ModelConfigInput, type ModuleNames } from './config.js';

interface Tensor {
  shape: number[];
  data: ArrayLike<number>;
}

/** What a caller may state about a file: the module names, tying, and what no state_dict holds. */
export interface InferHints {
  names?: Partial<ModuleNames>;
  tied?: boolean;
  nonlinearity?: 'tanh' | 'relu';
  dropout?: number;
  inputDropout?: number;
  outputDropout?: number;
}

/**
 * The hints themselves, checked before any file is read: a bad hint is the caller's error (a
 * ConfigError naming it), not the file's, and is refused even where the file's own metadata would
 * make it unused.
 */
export function checkHints(h: InferHints): void {
  if (h.tied !== undefined && typeof h.tied !== 'boolean') throw new ConfigError(`tied must be true or false, got ${show(h.tied)}`);
  checkNames(h.names);
  // the others are fields of a model description: the same checks, on a stand-in model
  const { nonlinearity, dropout, inputDropout, outputDropout } = h;
  normalizeConfig({ inputSize: 1, hiddenSize: 1, numLayers: 2, nonlinearity, dropout, inputDropout, outputDropout });
}

const RNN_KEY = /^(.+)\.(weight_ih|weight_hh|bias_ih|bias_hh)_l(\d+)(_reverse)?$/;

const listed = (keys: Iterable<string>): string => [...keys].map((k) => `'${k}'`).join(', ');

const identical = (a: ArrayLike<number>, b: ArrayLike<number>): boolean => {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
};

export function inferConfig(tensors: Map<string, Tensor>, hints: InferHints = {}): ModelConfig {
  const keys = [...tensors.keys()];
  const shape = (n: string): number[] => tensors.get(n)!.shape;
  const extra = {
    nonlinearity: hints.nonlinearity,
    dropout: hints.dropout,
    inputDropout: hints.inputDropout,
    outputDropout: hints.outputDropout,
  };
  if (tensors.has('i2h.weight') && tensors.has('i2o.weight') && !hints.names) {
    const [H, IH] = shape('i2h.weight');
    const O = tensors.has('i2o.bias') ? shape('i2o.bias')[0] : shape('i2o.weight')[0];
    return normalizeConfig({ cell: 'tutorial', inputSize: IH - H, hiddenSize: H, outputSize: O });
  }

  // The recurrent stack: one module prefix whose names follow nn.RNN's pattern.
  const prefixes = new Set(keys.map((k) => RNN_KEY.exec(k)?.[1]).filter((p): p is string => !!p));
  let rnn = hints.names?.rnn;
  if (rnn === undefined) {
    if (prefixes.size === 0) {
      throw new SafetensorsError('missing', `no recurrent layer found: no key like '<module>.weight_hh_l0' among ${listed(keys)}`);
    }
    if (prefixes.size > 1) {
      throw new SafetensorsError('unexpected', `several recurrent modules (${listed(prefixes)}): say which with names: { rnn: '…' }`);
    }
    rnn = [...prefixes][0];
  }
  const hh0 = tensors.get(`${rnn}.weight_hh_l0`);
  const ih0 = tensors.get(`${rnn}.weight_ih_l0`);
  if (!hh0 || !ih0) {
    throw new SafetensorsError('missing', `'${rnn}.weight_ih_l0' and '${rnn}.weight_hh_l0' are needed for the recurrent module '${rnn}'`);
  }
  if (hh0.shape.length !== 2 || ih0.shape.length !== 2) throw new RnnShapeError(`'${rnn}.weight_hh_l0' and '${rnn}.weight_ih_l0' must be 2-D, got [${hh0.shape}] and [${ih0.shape}]`);
  const [GH, H] = hh0.shape;
  const G = GH / H;
  const cell = G === 1 ? 'rnn' : G === 3 ? 'gru' : G === 4 ? 'lstm' : null;
  if (!cell) throw new RnnShapeError(`${rnn}.weight_hh_l0 is [${GH}, ${H}]: ${GH}/${H} is not 1 (RNN), 3 (GRU) or 4 (LSTM) gates`);
  let numLayers = 0;
  while (tensors.has(`${rnn}.weight_ih_l${numLayers}`)) numLayers++;
  const bidirectional = tensors.has(`${rnn}.weight_ih_l0_reverse`);
  const bias = tensors.has(`${rnn}.bias_ih_l0`);
  const D = bidirectional ? 2 : 1;
  const I0 = ih0.shape[1];
  const placed = new Set(keys.filter((k) => k.startsWith(`${rnn}.`) && RNN_KEY.exec(k)?.[1] === rnn));

  // The other modules: `<prefix>.weight` (+ `.bias`).
  const others = new Map<string, { weight?: Tensor; bias?: Tensor }>();
  for (const k of keys) {
    if (placed.has(k)) continue;
    const m = /^(.+)\.(weight|bias)$/.exec(k);
    if (!m) continue;
    const o = others.get(m[1]) ?? {};
    o[m[2] as 'weight' | 'bias'] = tensors.get(k)!;
    others.set(m[1], o);
  }
  let head = hints.names?.head;
  if (head === undefined) {
    const heads = [...others].filter(([, o]) => o.bias?.shape.length === 1 && (!o.weight || (o.weight.shape.length === 2 && o.weight.shape[1] === D * H && o.weight.shape[0] === o.bias.shape[0])));
    if (heads.length > 1) throw new SafetensorsError('unexpected', `several modules could be the head (${listed(heads.map(([p]) => p))}): say which with names: { head: '…' }`);
    head = heads[0]?.[0];
  }
  let embedding = hints.names?.embedding;
  if (embedding === undefined) {
    const embs = [...others].filter(([p, o]) => p !== head && !o.bias && o.weight?.shape.length === 2 && o.weight.shape[1] === I0);
    if (embs.length > 1) throw new SafetensorsError('unexpected', `several modules could be the embedding (${listed(embs.map(([p]) => p))}): say which with names: { embedding: '…' }`);
    embedding = embs[0]?.[0];
  }
  const headMod = head !== undefined ? others.get(head) : undefined;
  const embMod = embedding !== undefined ? others.get(embedding) : undefined;
  if (head !== undefined && !headMod?.bias) throw new SafetensorsError('missing', `the head '${head}' needs '${head}.bias' (have: ${listed(keys)})`);
  if (embedding !== undefined && !embMod?.weight && !hints.tied) throw new SafetensorsError('missing', `the embedding '${embedding}' needs '${embedding}.weight' (have: ${listed(keys)})`);
  // Tied: the head's weight is missing and the embedding is there, or the two are bit-identical,
  // or the caller says so (then whichever of the two names the file kept is the shared tensor).
  let tied = hints.tied ?? false;
  if (hints.tied === undefined && headMod && embMod?.weight) {
    tied = !headMod.weight || identical(headMod.weight.data, embMod.weight.data);
  }
  const V = embMod?.weight?.shape[0] ?? (tied ? headMod?.weight?.shape[0] : undefined);
  const E = embMod?.weight?.shape[1] ?? (tied ? I0 : 0);
  if (embedding !== undefined && V === undefined) throw new SafetensorsError('missing', `the embedding '${embedding}' has no weight in the file (have: ${listed(keys)})`);
  if (embMod?.weight) placed.add(`${embedding}.weight`);
  if (headMod) {
    placed.add(`${head}.bias`);
    if (headMod.weight) placed.add(`${head}.weight`);
  }
  const left = keys.filter((k) => !placed.has(k));
  if (left.length) {
    throw new SafetensorsError(
      'unexpected',
      `unexpected keys (not part of the recurrent module '${rnn}'${embedding !== undefined ? `, the embedding '${embedding}'` : ''}${head !== undefined ? `, the head '${head}'` : ''}): ${listed(left)}`,
    );
  }
  const input: ModelConfigInput = {
    cell,
    ...extra,
    inputSize: embedding !== undefined ? V! : I0,
    hiddenSize: H,
    numLayers,
    embeddingDim: embedding !== undefined ? E : 0,
    bias,
    bidirectional,
    head: head !== undefined,
    outputSize: headMod ? headMod.bias!.shape[0] : undefined,
    tied,
    names: { ...(embedding !== undefined ? { embedding } : {}), rnn, ...(head !== undefined ? { head } : {}) },
  };
  return normalizeConfig(input);
}
