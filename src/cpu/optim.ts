// Optimizers and gradient clipping with PyTorch 1.13 semantics, in float64, in place.
//   clip_grad_norm_: total = ‖(‖g_1‖₂, …, ‖g_n‖₂)‖₂; coef = max_norm / (total + 1e-6); g ← coef·g if coef < 1
//   SGD:  b ← μ b + g (b = g on the first step); p ← p − lr·b   (plain p − lr·g when μ = 0)
//   Adam: m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; p ← p − (lr/(1−β₁ᵗ)) · m / (√v/√(1−β₂ᵗ) + eps)
import type { NormalizedOptimizer } from '../train/options.js';

/** Returns the total norm before clipping and the coefficient applied (1 when none). */
export function clipGradNorm(grads: Float64Array[], maxNorm: number): { norm: number; coef: number } {
  let sq = 0;
  for (const g of grads) {
    let s = 0;
    for (let i = 0; i < g.length; i++) s += g[i] * g[i];
    sq += s; // = Σ‖g_i‖², identical to the norm of the per-tensor norms
  }
  const norm = Math.sqrt(sq);
  const coef = maxNorm / (norm + 1e-6);
  if (coef < 1) for (const g of grads) for (let i = 0; i < g.length; i++) g[i] *= coef;
  return { norm, coef: Math.min(coef, 1) };
}

export function gradNorm(grads: Float64Array[]): number {
  let sq = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) sq += g[i] * g[i];
  return Math.sqrt(sq);
}

export class CpuOptimizer {
  private step = 0;
  private readonly m: Float64Array[];
  private readonly v: Float64Array[];

  /** Hyper-parameters; may change between steps (a new learning rate keeps the moments). */
  constructor(public spec: NormalizedOptimizer, sizes: number[]) {
    this.m = sizes.map((n) => new Float64Array(n));
    this.v = sizes.map((n) => new Float64Array(n));
  }

  get steps(): number {
    return this.step;
  }

  /** Updates params in place from grads (same order and sizes as the constructor's). */
  update(params: Float64Array[], grads: Float64Array[]): void {
    this.step++;
    const { lr, momentum, beta1, beta2, eps } = this.spec;
    params.forEach((p, k) => {
      const g = grads[k];
      const m = this.m[k];
      const v = this.v[k];
      if (this.spec.type === 'sgd') {
        for (let i = 0; i < p.length; i++) {
          if (momentum === 0) {
            p[i] -= lr * g[i];
          } else {
            m[i] = this.step === 1 ? g[i] : momentum * m[i] + g[i];
            p[i] -= lr * m[i];
          }
        }
        return;
      }
      const bc1 = 1 - beta1 ** this.step;
      const bc2 = 1 - beta2 ** this.step;
      const stepSize = lr / bc1;
      for (let i = 0; i < p.length; i++) {
        m[i] = beta1 * m[i] + (1 - beta1) * g[i];
        v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
        p[i] -= (stepSize * m[i]) / (Math.sqrt(v[i]) / Math.sqrt(bc2) + eps);
      }
    });
  }

  /** Optimizer state (moments and step count), for moving a model between backends. */
  state(): { step: number; m: Float64Array[]; v: Float64Array[] } {
    return { step: this.step, m: this.m, v: this.v };
  }

  loadState(s: { step: number; m: ArrayLike<number>[]; v: ArrayLike<number>[] }): void {
    this.step = s.step;
    s.m.forEach((a, k) => this.m[k].set(a));
    s.v.forEach((a, k) => this.v[k].set(a));
  }
}
