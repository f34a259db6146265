// Optimizers and clipping against values worked out by hand from PyTorch 1.13's formulas.
import { describe, it, expect } from 'vitest';
import { normalizeOptimizer } from '../train/options.js';
import { clipGradNorm, CpuOptimizer, gradNorm } from './optim.js';

const f64 = (...v: number[]): Float64Array => Float64Array.from(v);

describe('SGD', () => {
  it('moves each parameter by −lr·g without momentum', () => {
    const opt = new CpuOptimizer(normalizeOptimizer({ type: 'sgd', lr: 0.1 }), [3, 1]);
    const p = [f64(1, -2, 0.5), f64(3)];
    opt.update(p, [f64(0.5, -1, 0.25), f64(-4)]);
    expect(Array.from(p[0])).toEqual([1 - 0.1 * 0.5, -2 + 0.1 * 1, 0.5 - 0.1 * 0.25]);
    expect(Array.from(p[1])).toEqual([3 + 0.1 * 4]);
    expect(opt.steps).toBe(1);
  });

  it('follows PyTorch momentum over three steps: b = g on the first step, then b = μb + g, p −= lr·b', () => {
    const opt = new CpuOptimizer(normalizeOptimizer({ type: 'sgd', lr: 0.1, momentum: 0.9 }), [2]);
    const p = [f64(1, -2)];
    const grads = [f64(0.5, 0), f64(-1, 0.3), f64(2, -0.1)];
    // element 0: b = 0.5, −0.55, 1.505 → p = 0.95, 1.005, 0.8545
    // element 1: b = 0, 0.3, 0.17     → p = −2, −2.03, −2.047
    const expected = [
      [0.95, -2],
      [1.005, -2.03],
      [0.8545, -2.047],
    ];
    grads.forEach((g, step) => {
      opt.update(p, [g]);
      expect(p[0][0]).toBeCloseTo(expected[step][0], 14);
      expect(p[0][1]).toBeCloseTo(expected[step][1], 14);
    });
  });
});

describe('Adam', () => {
  const spec = normalizeOptimizer({ type: 'adam', lr: 0.1 }); // betas (0.9, 0.999), eps 1e-8 by default

  it('takes a first step of lr·g / (|g| + eps), which is ≈ lr·sign(g)', () => {
    const opt = new CpuOptimizer(spec, [4]);
    const g = f64(0.5, -2e-3, 3, -1e-7);
    const p0 = [1, -0.5, 0.25, 2];
    const p = [f64(...p0)];
    opt.update(p, [g]);
    // m̂ = g and v̂ = g² after one step, so the update is lr·g / (|g| + eps).
    for (let i = 0; i < 4; i++) {
      const exact = p0[i] - (0.1 * g[i]) / (Math.abs(g[i]) + 1e-8);
      expect(p[0][i]).toBeCloseTo(exact, 15);
      expect(Math.abs(p[0][i] - (p0[i] - 0.1 * Math.sign(g[i])))).toBeLessThanOrEqual((0.1 * 1e-8) / Math.abs(g[i]) + 1e-15);
    }
    expect(p[0][0]).toBeCloseTo(0.9000000019999999600000008, 15);
  });

  it('matches a two-step calculation done by hand to 1e-12', () => {
    const opt = new CpuOptimizer(spec, [2]);
    const p = [f64(1, -0.5)];
    opt.update(p, [f64(0.5, -0.002)]);
    // step 1: m = 0.1g, v = 0.001g², bc1 = 0.1, bc2 = 0.001
    //   p = 1 − 0.1·0.5/(0.5 + 1e-8) = 0.90000000199999996…,  −0.5 + 0.1·0.002/(0.002 + 1e-8) = −0.40000049999750001…
    expect(p[0][0]).toBeCloseTo(0.90000000199999996, 12);
    expect(p[0][1]).toBeCloseTo(-0.40000049999750001, 12);
    opt.update(p, [f64(-0.25, 0.003)]);
    // step 2: bc1 = 0.19, bc2 = 0.001999
    //   element 0: m = 0.045 − 0.025 = 0.02, v = 0.00024975 + 0.0000625 = 0.00031225
    //     p = 0.900000002 − 0.1·(0.02/0.19)/(√(0.00031225/0.001999) + 1e-8) = 0.87336629870784616…
    //   element 1: m = −0.00018 + 0.0003 = 0.00012, v = 3.996e-9 + 9e-9 = 1.2996e-8
    //     p = −0.4000005 − 0.1·(0.00012/0.19)/(√(1.2996e-8/0.001999) + 1e-8) = −0.42477058446399687…
    expect(p[0][0]).toBeCloseTo(0.87336629870784616, 12);
    expect(p[0][1]).toBeCloseTo(-0.42477058446399687, 12);
    expect(opt.steps).toBe(2);
  });

  it('leaves parameters with an exactly-zero gradient exactly unchanged, step after step', () => {
    const opt = new CpuOptimizer(spec, [3, 2]);
    const p = [f64(0.123456789, -0.987654321, 0.5), f64(-0.25, 0.75)];
    for (let step = 0; step < 3; step++) {
      opt.update(p, [f64(0, 0.3 * (step + 1), 0), f64(0, 0)]);
      expect(p[0][0]).toBe(0.123456789);
      expect(p[0][2]).toBe(0.5);
      expect(Array.from(p[1])).toEqual([-0.25, 0.75]);
    }
    // the entry with a gradient did move, so the step really ran
    expect(p[0][1]).toBeLessThan(-0.987654321 - 0.29);
  });
});

describe('clipGradNorm', () => {
  it('measures the total norm over tensors as the norm of the per-tensor norms', () => {
    expect(gradNorm([f64(3), f64(4)])).toBe(5);
    const g = [f64(1, 2, 2), f64(0, 4, 0)]; // per-tensor norms 3 and 4
    expect(clipGradNorm(g, 100).norm).toBe(5);
  });

  it('scales [[3], [4]] by 1/(5 + 1e-6) when clipping to 1', () => {
    const g = [f64(3), f64(4)];
    const { norm, coef } = clipGradNorm(g, 1);
    expect(norm).toBe(5);
    expect(coef).toBe(1 / (5 + 1e-6));
    expect(g[0][0]).toBe(3 * (1 / (5 + 1e-6)));
    expect(g[1][0]).toBe(4 * (1 / (5 + 1e-6)));
    expect(Math.hypot(g[0][0], g[1][0])).toBeCloseTo(1, 6);
  });

  it('leaves the gradients untouched when max_norm is above the norm', () => {
    const g = [f64(3), f64(4)];
    const { norm, coef } = clipGradNorm(g, 10);
    expect(norm).toBe(5);
    expect(coef).toBe(1);
    expect([g[0][0], g[1][0]]).toEqual([3, 4]);
  });

  it('still scales by max_norm/(norm + 1e-6) when max_norm equals the norm, as PyTorch 1.13 does', () => {
    const g = [f64(3), f64(4)];
    const { coef } = clipGradNorm(g, 5);
    expect(coef).toBe(5 / (5 + 1e-6));
    expect(coef).toBeLessThan(1);
    expect(g[1][0]).toBe(4 * (5 / (5 + 1e-6)));
  });
});
