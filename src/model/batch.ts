// Inputs, targets and states as the API takes them, and their validation (done once, here).
// Layouts are PyTorch's batch_first: inputs [B, T] token ids or [B, T, I] floats; states [L, B, H].
import { NonFiniteError, RnnShapeError, TokenRangeError, ConfigError } from '../errors.js';
import type { ModelConfig } from './config.js';

export type Floats = Float32Array | Float64Array;

/** A batch of sequences: token ids [B, T] (one-hot inputs, never materialised) or floats [B, T, I]. */
export interface SeqInput {
  batch: number;
  steps: number;
  ids?: Int32Array;
  x?: Floats;
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

/** Recurrent state: h [L, B, H] and, for LSTM, c [L, B, H]. */
export interface RecurrentState {
  h: Floats;
  c?: Floats;
}

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

export function validateInput(cfg: ModelConfig, input: SeqInput): void {
  const { batch: B, steps: T } = input;
  if (!Number.isInteger(B) || B < 1) throw new RnnShapeError(`batch must be a positive integer, got ${B}`);
  if (!Number.isInteger(T) || T < 1) throw new RnnShapeError(`steps must be a positive integer, got ${T}`);
  if ((input.ids === undefined) === (input.x === undefined)) {
    throw new RnnShapeError('input needs exactly one of ids (token ids [B, T]) or x (floats [B, T, I])');
  }
  if (input.ids) {
    checkIds('input ids', input.ids, B * T, cfg.inputSize, 'inputSize, the vocabulary');
  } else {
    const x = input.x!;
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
  const { batch: B, steps: T } = input;
  if (loss === 'mse') {
    if (!t.y) throw new RnnShapeError('mse loss needs targets.y [B, T, outputSize]');
    if (t.y.length !== B * T * cfg.outputSize) {
      throw new RnnShapeError(
        `targets.y has ${t.y.length} values, expected ${B}×${T}×${cfg.outputSize} = ${B * T * cfg.outputSize} [B, T, outputSize]`,
      );
    }
    checkFinite('targets y', t.y);
    return;
  }
  if (loss !== 'nll' && loss !== 'nll_last') throw new ConfigError(`unknown loss '${String(loss)}'`);
  if (!t.ids) throw new RnnShapeError(`${loss} loss needs targets.ids (class ids)`);
  checkIds('target ids', t.ids, loss === 'nll' ? B * T : B, cfg.outputSize, 'outputSize');
}

export function validateState(cfg: ModelConfig, batch: number, s: RecurrentState): void {
  const n = cfg.numLayers * batch * cfg.hiddenSize;
  const shape = `[${cfg.numLayers}, ${batch}, ${cfg.hiddenSize}] (numLayers, batch, hiddenSize)`;
  if (s.h.length !== n) throw new RnnShapeError(`h0 has ${s.h.length} values, expected ${shape}`);
  checkFinite('h0', s.h);
  if (cfg.cell === 'lstm') {
    if (s.c && s.c.length !== n) throw new RnnShapeError(`c0 has ${s.c.length} values, expected ${shape}`);
    if (s.c) checkFinite('c0', s.c);
  } else if (s.c) {
    throw new RnnShapeError(`c0 given, but only an LSTM has a cell state (cell is '${cfg.cell}')`);
  }
}
