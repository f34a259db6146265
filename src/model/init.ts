// Seeded parameter init with PyTorch's distributions (not its bit stream):
//   nn.RNN/LSTM/GRU: every parameter ~ U(−1/√H, 1/√H)
//   nn.Linear(in, out): weight and bias ~ U(−1/√in, 1/√in)
// The generator is splitmix32-seeded xoshiro128**: small, fast and reproducible on every platform.
import { parameterSpecs, sizeOf, type ModelConfig } from './config.js';

export class Rng {
  private s = new Uint32Array(4);

  constructor(seed: number) {
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      // splitmix32
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
  }

  /** Next 32 random bits. */
  nextU32(): number {
    const s = this.s;
    const result = Math.imul(((Math.imul(s[1], 5) << 7) | (Math.imul(s[1], 5) >>> 25)) >>> 0, 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = ((s[3] << 11) | (s[3] >>> 21)) >>> 0;
    return result;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

/** Fresh parameters, in state_dict order. */
export function initParameters(cfg: ModelConfig, seed: number): Map<string, Float64Array> {
  const rng = new Rng(seed);
  const out = new Map<string, Float64Array>();
  for (const { name, shape } of parameterSpecs(cfg)) {
    // Linear layers (fc, i2h, i2o) bound by fan-in; recurrent layers by 1/√H.
    const fanIn = name.startsWith('rnn.') ? cfg.hiddenSize : name.startsWith('fc.') ? cfg.hiddenSize : cfg.inputSize + cfg.hiddenSize;
    const bound = 1 / Math.sqrt(fanIn);
    const a = new Float64Array(sizeOf(shape));
    for (let i = 0; i < a.length; i++) a[i] = Math.fround(rng.uniform(-bound, bound));
    out.set(name, a);
  }
  return out;
}

/** PCG hash (O'Neill's RXS-M-XS), the same in WGSL (shaders/sample.wgsl). */
function pcg(v: number): number {
  const state = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  const word = Math.imul(((state >>> ((state >>> 28) + 4)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

/** Counter-based uniform in [0, 1) with 24 bits (exact in float32): sample n of stream `seed`. */
export function uniformAt(seed: number, n: number): number {
  return ((pcg((seed ^ pcg(n)) >>> 0) >>> 8) / 16777216);
}
