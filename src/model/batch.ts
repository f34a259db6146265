// Inputs, targets and states as the API takes them, and their validation (done once, here).
// Layouts are PyTorch's batch_first: inputs [B, T] token ids or [B, T, I] floats; states [L, B, H].
import { NonFiniteError, RnnShapeError, TokenRangeError, ConfigError, checkKeys, show } from '../errors.js';
import { stateLayers, type ModelConfig } from './config.js';

export type Floats = Float32Array | Float64Array;

/** A batch of sequences: token ids [B, T] (one-hot inputs, never materialised) or floats [B, T, I]. */
export interface SeqInput {
  batch: number;
  steps: number;
  ids?: Int32Array;
  x?: Floats;
  /**
   * Real length of each row [B] (1 ≤ length ≤ steps), padded at the end: pack_padded_sequence's
   * semantics (a row's recurrence stops at its length, outputs past it are zero, losses count real
   * positions only). Omitted: every row is `steps` long.
   */
  lengths?: Int32Array;
}

/**
 * nll:      log-softmax + NLL, mean over all B·T positions (next-token / per-step classes)
 * nll_last: log-softmax + NLL on the last step only, mean over B (sequence classification)
 * mse:      mean over all B·T·O elements of (y_pred − y)²
 */
export type LossKind = 'nll' | 'nll_last' | 'mse';

/** ids [B, T] for nll, [B] for nll_last; y [B, T, O] for mse. */
export interface SeqTargets {
  ids?: Int32Array;
  y?: Floats;
}

/**
 * Dropout masks, batch-first, each element 0 or 1/(1 − p) (inverted dropout), or null where no
 * dropout applies: on layer 0's input [B, T, I_0] (the embedding's rows or the floats), on layer
 * k's input [B, T, D·H] (k ≥ 1, nn.RNN's `dropout`), on the stack's output [B, T, D·H].
 */
export interface DropoutMasks {
  input: Float64Array | null;
  layers: (Float64Array | null)[];
  output: Float64Array | null;
}

/** Recurrent state: h [L, B, H] and, for LSTM, c [L, B, H]. */
export interface RecurrentState {
  h: Floats;
  c?: Floats;
}


/** Whether row b's step t is real (inside its length). */
export const isReal = (input: SeqInput, b: number, t: number): boolean => !input.lengths || t < input.lengths[b];

/** The row's real length. */
export const lengthOf = (input: SeqInput, b: number): number => (input.lengths ? input.lengths[b] : input.steps);

function checkFinite(what: string, a: ArrayLike<number>): void {
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i])) throw new NonFiniteError(`${what} holds ${a[i]} at flat index ${i}`);
  }
}

function checkIds(what: string, ids: Int32Array, n: number, limit: number, limitName: string): void {
  if (ids.length !== n) throw new RnnShapeError(`${what} has ${ids.length} ids, expected ${n}`);
  for (let i = 0; i < n; i++) {
    const v = ids[i];
    if (v < 0 || v >= limit) {
      throw new TokenRangeError(`${what}[${i}] = ${v} is out of range [0, ${limit}) (${limitName})`);
    }
  }
}

/** Throws unless `v` is a plain object (not null, not an array), with only the `known` fields if given. */
export function checkObject(what: string, v: unknown, shape: string, known?: readonly string[]): void {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new RnnShapeError(`${what} must be an object ${shape}, got ${show(v)}`);
  if (known) checkKeys(what, v, known);
}

export function validateInput(cfg: ModelConfig, input: SeqInput): void {
  checkObject('input', input, '{ batch, steps, ids | x, lengths? }');
  const { batch: B, steps: T } = input;
  if (!Number.isInteger(B) || B < 1) throw new RnnShapeError(`batch must be a positive integer, got ${show(B)}`);
  if (!Number.isInteger(T) || T < 1) throw new RnnShapeError(`steps must be a positive integer, got ${show(T)}`);
  if ((input.ids === undefined) === (input.x === undefined)) {
    throw new RnnShapeError('input needs exactly one of ids (token ids [B, T]) or x (floats [B, T, I])');
  }
  if (input.lengths !== undefined) {
    const len = input.lengths;
    if (!(len instanceof Int32Array)) throw new RnnShapeError(`lengths must be an Int32Array [batch], got ${show(len)}`);
    if (len.length !== B) throw new RnnShapeError(`lengths has ${len.length} entries, expected one per row (batch ${B})`);
    for (let b = 0; b < B; b++) {
      if (len[b] < 1 || len[b] > T) throw new RnnShapeError(`lengths[${b}] = ${len[b]} is out of range [1, ${T}] (steps)`);
    }
  }
  if (input.ids) {
    if (!(input.ids instanceof Int32Array)) throw new RnnShapeError(`input ids must be an Int32Array [B·T], got ${show(input.ids)}`);
    checkIds('input ids', input.ids, B * T, cfg.inputSize, 'inputSize, the vocabulary');
  } else {
    if (cfg.embeddingDim) throw new RnnShapeError(`this model embeds token ids (${cfg.names.embedding}): give input.ids, not x`);
    const x = input.x!;
    if (!(x instanceof Float32Array || x instanceof Float64Array)) throw new RnnShapeError(`input x must be a Float32Array or Float64Array [B·T·I], got ${show(x)}`);
    if (x.length !== B * T * cfg.inputSize) {
      const per = x.length / (B * T);
      const detail = Number.isInteger(per) ? `${per} features` : `${x.length} values`;
      throw new RnnShapeError(
        `input has ${detail}, model expects ${cfg.inputSize} (inputSize) × batch ${B} × steps ${T}`,
      );
    }
    checkFinite('input x', x);
  }
}

export function validateTargets(cfg: ModelConfig, loss: LossKind, input: SeqInput, t: SeqTargets): void {
  checkObject('targets', t, '{ ids } or { y }');
  const { batch: B, steps: T } = input;
  if (loss === 'mse') {
    if (!t.y) throw new RnnShapeError('mse loss needs targets.y [B, T, outputSize]');
    if (!(t.y instanceof Float32Array || t.y instanceof Float64Array)) throw new RnnShapeError(`targets.y must be a Float32Array or Float64Array, got ${show(t.y)}`);
  if (t.y.length !== B * T * cfg.outputSize) {
      throw new RnnShapeError(
        `targets.y has ${t.y.length} values, expected ${B}×${T}×${cfg.outputSize} = ${B * T * cfg.outputSize} [B, T, outputSize]`,
      );
    }
    checkFinite('targets y', t.y);
    return;
  }
  if (loss !== 'nll' && loss !== 'nll_last') throw new ConfigError(`unknown loss ${show(loss)}`);
  if (!t.ids) throw new RnnShapeError(`${loss} loss needs targets.ids (class ids)`);
  if (!(t.ids instanceof Int32Array)) throw new RnnShapeError(`target ids must be an Int32Array, got ${show(t.ids)}`);
  const n = loss === 'nll' ? B * T : B;
  if (t.ids.length !== n) throw new RnnShapeError(`target ids has ${t.ids.length} ids, expected ${n} (${loss === 'nll' ? '[B, T]' : '[B]'})`);
  // past a row's length the targets are padding: ignored, whatever they hold
  for (let i = 0; i < n; i++) {
    if (loss === 'nll' && !isReal(input, Math.floor(i / T), i % T)) continue;
    const v = t.ids[i];
    if (v < 0 || v >= cfg.outputSize) throw new TokenRangeError(`target ids[${i}] = ${v} is out of range [0, ${cfg.outputSize}) (outputSize)`);
  }
}

export function validateState(cfg: ModelConfig, batch: number, s: RecurrentState): void {
  const isFloats = (a: unknown): boolean => a instanceof Float32Array || a instanceof Float64Array;
  if (!isFloats(s.h)) throw new RnnShapeError(`h0 must be a Float32Array or Float64Array, got ${show(s.h)}`);
  if (s.c !== undefined && !isFloats(s.c)) throw new RnnShapeError(`c0 must be a Float32Array or Float64Array, got ${show(s.c)}`);
  const n = stateLayers(cfg) * batch * cfg.hiddenSize;
  const shape = cfg.bidirectional
    ? `[${stateLayers(cfg)}, ${batch}, ${cfg.hiddenSize}] (numLayers × 2 directions, batch, hiddenSize)`
    : `[${cfg.numLayers}, ${batch}, ${cfg.hiddenSize}] (numLayers, batch, hiddenSize)`;
  if (s.h.length !== n) throw new RnnShapeError(`h0 has ${s.h.length} values, expected ${shape}`);
  checkFinite('h0', s.h);
  if (cfg.cell === 'lstm') {
    if (s.c && s.c.length !== n) throw new RnnShapeError(`c0 has ${s.c.length} values, expected ${shape}`);
    if (s.c) checkFinite('c0', s.c);
  } else if (s.c) {
    throw new RnnShapeError(`c0 given, but only an LSTM has a cell state (cell is '${cfg.cell}')`);
  }
}
