// Seeded init with PyTorch's distributions: U(−1/√H, 1/√H) for nn.RNN/LSTM/GRU, U(−1/√fan_in, 1/√fan_in)
// for nn.Linear (fc: fan_in = H; the tutorial's i2h / i2o: fan_in = I + H), stored as float32 values.
import { describe, it, expect } from 'vitest';
import { normalizeConfig, parameterSpecs, sizeOf, type ModelConfig, type ModelConfigInput } from './config.js';
import { initParameters, Rng } from './init.js';

const CONFIGS: ModelConfigInput[] = [
  { cell: 'rnn', inputSize: 10, hiddenSize: 64, outputSize: 12 },
  { cell: 'lstm', inputSize: 7, hiddenSize: 32, numLayers: 2, outputSize: 40 },
  { cell: 'gru', inputSize: 20, hiddenSize: 48, outputSize: 5 },
  { cell: 'tutorial', inputSize: 10, hiddenSize: 64, outputSize: 18 },
];

/** PyTorch's bound for a parameter of this model. */
function bound(cfg: ModelConfig, name: string): number {
  if (name.startsWith('rnn.')) return 1 / Math.sqrt(cfg.hiddenSize);
  if (name.startsWith('fc.')) return 1 / Math.sqrt(cfg.hiddenSize); // Linear(H, O)
  return 1 / Math.sqrt(cfg.inputSize + cfg.hiddenSize); // Linear(I + H, ·)
}

describe('initParameters', () => {
  for (const c of CONFIGS) {
    const cfg = normalizeConfig(c);
    const label = `${cfg.numLayers}-layer ${cfg.cell} (I ${cfg.inputSize}, H ${cfg.hiddenSize}, O ${cfg.outputSize})`;

    it(`gives a ${label} the same parameters for the same seed and different ones for another seed`, () => {
      const a = initParameters(cfg, 123);
      const b = initParameters(cfg, 123);
      const other = initParameters(cfg, 124);
      expect([...a.keys()]).toEqual(parameterSpecs(cfg).map((s) => s.name));
      expect(b).toEqual(a);
      for (const [name, v] of a) {
        const w = other.get(name)!;
        const same = v.filter((x, i) => x === w[i]).length;
        expect(same, `${name} barely changed with the seed`).toBeLessThan(Math.max(2, v.length / 100));
      }
    });

    it(`draws every parameter of a ${label} inside PyTorch's bound, covering the interval, as float32 values`, () => {
      const p = initParameters(cfg, 7);
      for (const { name, shape } of parameterSpecs(cfg)) {
        const v = p.get(name)!;
        const b = bound(cfg, name);
        expect(v.length).toBe(sizeOf(shape));
        let min = Infinity;
        let max = -Infinity;
        let sum = 0;
        let notF32 = 0;
        for (const x of v) {
          if (Math.fround(x) !== x) notF32++;
          min = Math.min(min, x);
          max = Math.max(max, x);
          sum += x;
        }
        expect(notF32, `${name} holds values that are not float32`).toBe(0);
        // Rounding to float32 may step past b by half an ulp, never more.
        expect(Math.max(-min, max), `${name} exceeds its bound ${b}`).toBeLessThanOrEqual(b * (1 + 2 ** -24));
        if (v.length >= 200) {
          // P(no draw beyond 0.8·b) = 0.9^n; beyond 0.95·b with n ≥ 1000: 0.975^n < 1e-10
          const reach = v.length >= 1000 ? 0.95 : 0.8;
          expect(min, `${name} does not reach down to −bound`).toBeLessThan(-reach * b);
          expect(max, `${name} does not reach up to +bound`).toBeGreaterThan(reach * b);
          expect(Math.abs(sum / v.length), `${name} is not centred`).toBeLessThan(0.1 * b);
        }
      }
    });
  }
});

describe('Rng', () => {
  it('repeats its stream for a seed and gives uniform values in [0, 1)', () => {
    const a = new Rng(99);
    const b = new Rng(99);
    const c = new Rng(100);
    const xs = Array.from({ length: 10000 }, () => a.next());
    expect(Array.from({ length: 10000 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 10 }, () => c.next())).not.toEqual(xs.slice(0, 10));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    // ten equal bins each hold 10% ± 1.5%
    const bins = new Array<number>(10).fill(0);
    for (const x of xs) bins[Math.floor(x * 10)]++;
    for (const n of bins) expect(Math.abs(n / xs.length - 0.1)).toBeLessThan(0.015);
  });
});
