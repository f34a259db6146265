// One time step of each cell, forward and backward, for one batch row, in float64.
// Inputs are the two pre-activations PyTorch keeps apart (GRU needs them apart):
//   a = W_ih x_t + b_ih   [G·H]      r = W_hh h_{t-1} + b_hh   [G·H]
// Gate blocks are stacked in PyTorch's order: LSTM i,f,g,o; GRU r,z,n.
// The backward returns da, dr (d loss / d a, d r) and the direct parts of dh_{t-1}, dc_{t-1};
// the caller turns da, dr into weight gradients and the W_hhᵀ dr term.
import { gateCount, type CellKind, type Nonlinearity } from '../model/config.js';

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

/** LSTM gates at unit j: i, f, g, o = σ, σ, tanh, σ of a + r, blocks in PyTorch's order. */
function lstmGates(H: number, a: Float64Array, r: Float64Array, j: number): [number, number, number, number] {
  return [
    sigmoid(a[j] + r[j]),
    sigmoid(a[H + j] + r[H + j]),
    Math.tanh(a[2 * H + j] + r[2 * H + j]),
    sigmoid(a[3 * H + j] + r[3 * H + j]),
  ];
}

/** GRU gates at unit j: r, z = σ(a + r); n = tanh(a_n + r ⊙ r_n), r_n including b_hn. */
function gruGates(H: number, a: Float64Array, r: Float64Array, j: number): [number, number, number] {
  const rg = sigmoid(a[j] + r[j]);
  return [rg, sigmoid(a[H + j] + r[H + j]), Math.tanh(a[2 * H + j] + rg * r[2 * H + j])];
}

export interface StepOut {
  h: Float64Array; // [H]
  c: Float64Array | null; // [H], LSTM only
}

export function cellForward(
  cell: CellKind,
  act: Nonlinearity,
  H: number,
  a: Float64Array,
  r: Float64Array,
  hPrev: Float64Array,
  cPrev: Float64Array | null,
): StepOut {
  const h = new Float64Array(H);
  if (cell === 'rnn' || cell === 'tutorial') {
    // h_t = act(a + r); the tutorial model has no nonlinearity (identity).
    for (let j = 0; j < H; j++) {
      const p = a[j] + r[j];
      h[j] = cell === 'tutorial' ? p : act === 'tanh' ? Math.tanh(p) : Math.max(0, p);
    }
    return { h, c: null };
  }
  if (cell === 'lstm') {
    const c = new Float64Array(H);
    for (let j = 0; j < H; j++) {
      const [i, f, g, o] = lstmGates(H, a, r, j);
      c[j] = f * cPrev![j] + i * g; // c_t = f ⊙ c_{t-1} + i ⊙ g
      h[j] = o * Math.tanh(c[j]); //    h_t = o ⊙ tanh(c_t)
    }
    return { h, c };
  }
  // GRU: n = tanh(a_n + rg ⊙ r_n), r_n includes b_hn; h_t = (1 − z) ⊙ n + z ⊙ h_{t-1}
  for (let j = 0; j < H; j++) {
    const [, z, n] = gruGates(H, a, r, j);
    h[j] = (1 - z) * n + z * hPrev[j];
  }
  return { h, c: null };
}

export interface StepGrad {
  da: Float64Array; // [G·H] d loss / d (W_ih x + b_ih)
  dr: Float64Array; // [G·H] d loss / d (W_hh h + b_hh)
  dhPrev: Float64Array; // [H] direct part only (GRU's z ⊙ dh); W_hhᵀ dr is added by the caller
  dcPrev: Float64Array | null; // [H] LSTM
}

/** dh, dc: total gradients flowing into h_t, c_t (from the head, the layer above and step t+1). */
export function cellBackward(
  cell: CellKind,
  act: Nonlinearity,
  H: number,
  a: Float64Array,
  r: Float64Array,
  hPrev: Float64Array,
  cPrev: Float64Array | null,
  dh: Float64Array,
  dc: Float64Array | null,
): StepGrad {
  const G = gateCount(cell);
  const da = new Float64Array(G * H);
  const dhPrev = new Float64Array(H);
  if (cell === 'rnn' || cell === 'tutorial') {
    for (let j = 0; j < H; j++) {
      const p = a[j] + r[j];
      const d = cell === 'tutorial' ? 1 : act === 'tanh' ? 1 - Math.tanh(p) ** 2 : p > 0 ? 1 : 0;
      da[j] = dh[j] * d;
    }
    return { da, dr: da.slice(), dhPrev, dcPrev: null };
  }
  if (cell === 'lstm') {
    const dcPrev = new Float64Array(H);
    for (let j = 0; j < H; j++) {
      const [i, f, g, o] = lstmGates(H, a, r, j);
      const c = f * cPrev![j] + i * g;
      const tc = Math.tanh(c);
      const dct = dc![j] + dh[j] * o * (1 - tc * tc);
      da[j] = dct * g * i * (1 - i);
      da[H + j] = dct * cPrev![j] * f * (1 - f);
      da[2 * H + j] = dct * i * (1 - g * g);
      da[3 * H + j] = dh[j] * tc * o * (1 - o);
      dcPrev[j] = dct * f;
    }
    return { da, dr: da.slice(), dhPrev, dcPrev };
  }
  const dr = new Float64Array(G * H);
  for (let j = 0; j < H; j++) {
    const [rg, z, n] = gruGates(H, a, r, j);
    const dn = dh[j] * (1 - z) * (1 - n * n); // through tanh
    const dz = dh[j] * (hPrev[j] - n) * z * (1 - z);
    const drg = dn * r[2 * H + j] * rg * (1 - rg);
    da[j] = drg;
    dr[j] = drg;
    da[H + j] = dz;
    dr[H + j] = dz;
    da[2 * H + j] = dn;
    dr[2 * H + j] = dn * rg;
    dhPrev[j] = dh[j] * z;
  }
  return { da, dr, dhPrev, dcPrev: null };
}
