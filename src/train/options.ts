// Training options, shared by both backends. Semantics are PyTorch's (torch.optim.SGD / Adam,
// torch.nn.utils.clip_grad_norm_).
import { ConfigError, checkKeys, show } from '../errors.js';
import type { LossKind } from '../model/batch.js';

export type OptimizerSpec =
  | { type: 'sgd'; lr: number; momentum?: number }
  | { type: 'adam'; lr: number; betas?: [number, number]; eps?: number };

export interface TrainOptions {
  loss: LossKind;
  optimizer: OptimizerSpec;
  /** clip_grad_norm_ max_norm; null or undefined: no clipping. */
  clip?: number | null;
  /**
   * A step whose loss or gradient norm is NaN or ±Infinity changes nothing (parameters, optimizer
   * moments, step count); 'skip' (default) resolves it with `skipped: true`, 'throw' rejects with
   * NonFiniteError.
   */
  nonFinite?: 'skip' | 'throw';
  /**
   * WebGPU: training steps between CPU snapshots of the parameters and optimizer state, which
   * model.recover() restores after a lost device (default 50; 0: none).
   */
  snapshotEvery?: number;
}

export interface NormalizedOptimizer {
  type: 'sgd' | 'adam';
  lr: number;
  momentum: number;
  beta1: number;
  beta2: number;
  eps: number;
}

export interface NormalizedTrainOptions {
  loss: LossKind;
  optimizer: NormalizedOptimizer;
  clip: number | null;
  nonFinite: 'skip' | 'throw';
  snapshotEvery: number;
}

function finitePositive(name: string, v: number, allowZero = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
    throw new ConfigError(`${name} must be a finite ${allowZero ? 'non-negative' : 'positive'} number, got ${show(v)}`);
  }
  return v;
}

export function normalizeOptimizer(o: OptimizerSpec): NormalizedOptimizer {
  if (typeof o !== 'object' || o === null) throw new ConfigError(`optimizer must be an object { type: 'sgd' | 'adam', lr, … }, got ${show(o)}`);
  if (o.type !== 'sgd' && o.type !== 'adam') throw new ConfigError(`optimizer.type must be 'sgd' or 'adam', got ${show((o as { type?: unknown }).type)}`);
  checkKeys(`the ${o.type} optimizer`, o, o.type === 'sgd' ? ['type', 'lr', 'momentum'] : ['type', 'lr', 'betas', 'eps']);
  const lr = finitePositive('optimizer.lr', o.lr, true);
  if (o.type === 'sgd') {
    const momentum = finitePositive('optimizer.momentum', o.momentum ?? 0, true);
    if (momentum >= 1) throw new ConfigError(`optimizer.momentum must be < 1, got ${momentum}`);
    return { type: 'sgd', lr, momentum, beta1: 0, beta2: 0, eps: 0 };
  }
  const betas: unknown = o.betas ?? [0.9, 0.999];
  if (!Array.isArray(betas) || betas.length !== 2) throw new ConfigError(`optimizer.betas must be an array of two numbers in [0, 1), got ${show(betas)}`);
  for (const [i, b] of betas.entries()) {
    if (typeof b !== 'number' || !(b >= 0 && b < 1)) throw new ConfigError(`optimizer.betas[${i}] must be in [0, 1), got ${show(b)}`);
  }
  const [beta1, beta2] = betas as [number, number];
  return { type: 'adam', lr, momentum: 0, beta1, beta2, eps: finitePositive('optimizer.eps', o.eps ?? 1e-8) };
}

/** Training steps between the GPU backend's CPU snapshots by default (TrainOptions.snapshotEvery). */
export const DEFAULT_SNAPSHOT_EVERY = 50;

export function normalizeTrainOptions(t: TrainOptions): NormalizedTrainOptions {
  if (typeof t !== 'object' || t === null) throw new ConfigError(`training options must be an object { loss, optimizer, clip? }, got ${show(t)}`);
  checkKeys('training options', t, ['loss', 'optimizer', 'clip', 'nonFinite', 'snapshotEvery']);
  if (typeof t.loss !== 'string' || !['nll', 'nll_last', 'mse'].includes(t.loss)) {
    throw new ConfigError(`loss must be 'nll', 'nll_last' or 'mse', got ${show(t.loss)}`);
  }
  const clip = t.clip ?? null;
  if (clip !== null) finitePositive('clip', clip);
  const nonFinite = t.nonFinite ?? 'skip';
  if (nonFinite !== 'skip' && nonFinite !== 'throw') throw new ConfigError(`nonFinite must be 'skip' or 'throw', got ${show(nonFinite)}`);
  const snapshotEvery = t.snapshotEvery ?? DEFAULT_SNAPSHOT_EVERY;
  if (!Number.isInteger(snapshotEvery) || snapshotEvery < 0) throw new ConfigError(`snapshotEvery must be a non-negative integer, got ${show(snapshotEvery)}`);
  return { loss: t.loss, optimizer: normalizeOptimizer(t.optimizer), clip, nonFinite, snapshotEvery };
}
