// The CPU reference network: forward over layers and time, head, losses, and BPTT, in float64.
// It is the oracle for every GPU kernel, so it is written for obviousness, not speed.
//
// Layouts (row-major):
//   hs[k]  [T+1, B, H]  layer k's h_t at slot t+1, h0 at slot 0 (time-major, as on the GPU)
//   cs[k]  [T+1, B, H]  LSTM cell state, same slots
//   a[k]   [T, B, G·H]  W_ih x_t + b_ih          r[k] [T, B, G·H]  W_hh h_{t-1} + b_hh
//   logits [B, T, O]    head output (batch_first, as PyTorch returns it)
// The tutorial model is an identity-activation RNN with W_ih = i2h.weight[:, :I],
// W_hh = i2h.weight[:, I:], no b_hh, and a head that reads cat(x_t, h_{t-1}) rather than h_t.
import { gateCount, parameterSpecs, sizeOf, type ModelConfig } from '../model/config.js';
import type { LossKind, SeqInput, SeqTargets } from '../model/batch.js';
import { cellBackward, cellForward } from './cells.js';

export interface Layer {
  Wih: Float64Array; // [G·H, I_k]
  Whh: Float64Array; // [G·H, H]
  bih: Float64Array; // [G·H]
  bhh: Float64Array; // [G·H] (zeros for the tutorial model)
}
/** The network in the engine's own layout; gradients use the same structure. */
export interface Net {
  layers: Layer[];
  fcW: Float64Array; // [O, H]
  fcb: Float64Array; // [O]
  fcWx: Float64Array | null; // [O, I] tutorial only: the head also reads x_t
}

export type ParamMap = Map<string, ArrayLike<number>>;

/** Splits columns [c0, c1) out of a row-major [rows, cols] matrix. */
function cols(m: ArrayLike<number>, rows: number, ncols: number, c0: number, c1: number): Float64Array {
  const out = new Float64Array(rows * (c1 - c0));
  for (let i = 0; i < rows; i++) for (let j = c0; j < c1; j++) out[i * (c1 - c0) + j - c0] = m[i * ncols + j];
  return out;
}
function catCols(a: Float64Array, b: Float64Array, rows: number, ca: number, cb: number): Float64Array {
  const out = new Float64Array(rows * (ca + cb));
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < ca; j++) out[i * (ca + cb) + j] = a[i * ca + j];
    for (let j = 0; j < cb; j++) out[i * (ca + cb) + ca + j] = b[i * cb + j];
  }
  return out;
}

export function netFromParams(cfg: ModelConfig, p: ParamMap): Net {
  const get = (n: string): Float64Array => Float64Array.from(p.get(n)!);
  const { inputSize: I, hiddenSize: H, outputSize: O } = cfg;
  if (cfg.cell === 'tutorial') {
    const w = get('i2h.weight');
    const wo = get('i2o.weight');
    return {
      layers: [{ Wih: cols(w, H, I + H, 0, I), Whh: cols(w, H, I + H, I, I + H), bih: get('i2h.bias'), bhh: new Float64Array(H) }],
      fcW: cols(wo, O, I + H, I, I + H),
      fcb: get('i2o.bias'),
      fcWx: cols(wo, O, I + H, 0, I),
    };
  }
  const layers: Layer[] = [];
  for (let k = 0; k < cfg.numLayers; k++) {
    layers.push({
      Wih: get(`rnn.weight_ih_l${k}`),
      Whh: get(`rnn.weight_hh_l${k}`),
      bih: get(`rnn.bias_ih_l${k}`),
      bhh: get(`rnn.bias_hh_l${k}`),
    });
  }
  return { layers, fcW: get('fc.weight'), fcb: get('fc.bias'), fcWx: null };
}

/** Inverse of netFromParams: PyTorch names, in state_dict order. */
export function netToParams(cfg: ModelConfig, n: Net): Map<string, Float64Array> {
  const out = new Map<string, Float64Array>();
  const { inputSize: I, hiddenSize: H, outputSize: O } = cfg;
  if (cfg.cell === 'tutorial') {
    const l = n.layers[0];
    out.set('i2h.weight', catCols(l.Wih, l.Whh, H, I, H));
    out.set('i2h.bias', l.bih);
    out.set('i2o.weight', catCols(n.fcWx!, n.fcW, O, I, H));
    out.set('i2o.bias', n.fcb);
    return out;
  }
  n.layers.forEach((l, k) => {
    out.set(`rnn.weight_ih_l${k}`, l.Wih);
    out.set(`rnn.weight_hh_l${k}`, l.Whh);
    out.set(`rnn.bias_ih_l${k}`, l.bih);
    out.set(`rnn.bias_hh_l${k}`, l.bhh);
  });
  out.set('fc.weight', n.fcW);
  out.set('fc.bias', n.fcb);
  return out;
}

export function zeroNetLike(cfg: ModelConfig): Net {
  const zeros = new Map(parameterSpecs(cfg).map((s) => [s.name, new Float64Array(sizeOf(s.shape))]));
  return netFromParams(cfg, zeros);
}

export interface Trace {
  B: number;
  T: number;
  hs: Float64Array[];
  cs: (Float64Array | null)[];
  a: Float64Array[];
  r: Float64Array[];
  logits: Float64Array;
}

/** Layer 0's input at (t, b): adds W x_t (a column gather for token ids) into out. */
function addInputProjection(
  cfg: ModelConfig,
  W: Float64Array,
  rows: number,
  input: SeqInput,
  t: number,
  b: number,
  out: Float64Array,
): void {
  const I = cfg.inputSize;
  if (input.ids) {
    const id = input.ids[b * input.steps + t];
    for (let i = 0; i < rows; i++) out[i] += W[i * I + id];
    return;
  }
  const off = (b * input.steps + t) * I;
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let j = 0; j < I; j++) s += W[i * I + j] * input.x![off + j];
    out[i] += s;
  }
}

/** out += W v (W [rows, n]). */
function addMatVec(W: Float64Array, rows: number, n: number, v: Float64Array, vOff: number, out: Float64Array): void {
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += W[i * n + j] * v[vOff + j];
    out[i] += s;
  }
}

/** h0, c0: [L, B, H] (zeros when omitted). */
export function forward(cfg: ModelConfig, net: Net, input: SeqInput, h0?: ArrayLike<number>, c0?: ArrayLike<number>): Trace {
  const { batch: B, steps: T } = input;
  const { hiddenSize: H, outputSize: O, numLayers: L } = cfg;
  const G = gateCount(cfg.cell);
  const lstm = cfg.cell === 'lstm';
  const tr: Trace = { B, T, hs: [], cs: [], a: [], r: [], logits: new Float64Array(B * T * O) };
  for (let k = 0; k < L; k++) {
    const l = net.layers[k];
    const Ik = k === 0 ? cfg.inputSize : H;
    const hs = new Float64Array((T + 1) * B * H);
    const cs = lstm ? new Float64Array((T + 1) * B * H) : null;
    if (h0) for (let i = 0; i < B * H; i++) hs[i] = h0[k * B * H + i];
    if (cs && c0) for (let i = 0; i < B * H; i++) cs[i] = c0[k * B * H + i];
    const A = new Float64Array(T * B * G * H);
    const R = new Float64Array(T * B * G * H);
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) {
        const a = new Float64Array(l.bih);
        if (k === 0) addInputProjection(cfg, l.Wih, G * H, input, t, b, a);
        else addMatVec(l.Wih, G * H, Ik, tr.hs[k - 1], ((t + 1) * B + b) * H, a);
        const r = new Float64Array(l.bhh);
        addMatVec(l.Whh, G * H, H, hs, (t * B + b) * H, r);
        const hPrev = hs.subarray((t * B + b) * H, (t * B + b + 1) * H);
        const cPrev = cs ? cs.subarray((t * B + b) * H, (t * B + b + 1) * H) : null;
        const s = cellForward(cfg.cell, cfg.nonlinearity, H, a, r, hPrev, cPrev);
        hs.set(s.h, ((t + 1) * B + b) * H);
        if (cs) cs.set(s.c!, ((t + 1) * B + b) * H);
        A.set(a, (t * B + b) * G * H);
        R.set(r, (t * B + b) * G * H);
      }
    }
    tr.hs.push(hs);
    tr.cs.push(cs);
    tr.a.push(A);
    tr.r.push(R);
  }
  // Head: logits[b, t] = fcW h + fcb (+ fcWx x_t); h is h_t, or h_{t-1} for the tutorial model.
  const top = tr.hs[L - 1];
  const lag = net.fcWx ? 0 : 1;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const y = new Float64Array(net.fcb);
      addMatVec(net.fcW, O, H, top, ((t + lag) * B + b) * H, y);
      if (net.fcWx) addInputProjection(cfg, net.fcWx, O, input, t, b, y);
      tr.logits.set(y, (b * T + t) * O);
    }
  }
  return tr;
}

/** Row-wise log-softmax of [rows, n]. */
export function logSoftmax(z: Float64Array, n: number): Float64Array {
  const out = new Float64Array(z.length);
  for (let r = 0; r < z.length / n; r++) {
    let m = -Infinity;
    for (let j = 0; j < n; j++) m = Math.max(m, z[r * n + j]);
    let s = 0;
    for (let j = 0; j < n; j++) s += Math.exp(z[r * n + j] - m);
    const lse = m + Math.log(s);
    for (let j = 0; j < n; j++) out[r * n + j] = z[r * n + j] - lse;
  }
  return out;
}

/** Loss and d loss / d logits ([B, T, O]). */
export function lossAndGrad(
  kind: LossKind,
  logits: Float64Array,
  B: number,
  T: number,
  O: number,
  targets: SeqTargets,
): { loss: number; dlogits: Float64Array } {
  const d = new Float64Array(logits.length);
  if (kind === 'mse') {
    const y = targets.y!;
    const n = B * T * O;
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const e = logits[i] - y[i];
      loss += e * e;
      d[i] = (2 * e) / n;
    }
    return { loss: loss / n, dlogits: d };
  }
  const lp = logSoftmax(logits, O);
  let loss = 0;
  const rows: { row: number; target: number }[] = [];
  if (kind === 'nll') for (let i = 0; i < B * T; i++) rows.push({ row: i, target: targets.ids![i] });
  else for (let b = 0; b < B; b++) rows.push({ row: b * T + T - 1, target: targets.ids![b] });
  for (const { row, target } of rows) {
    loss -= lp[row * O + target];
    // d(−logp[target])/dz = softmax(z) − onehot(target), averaged over the counted rows
    for (let j = 0; j < O; j++) d[row * O + j] = (Math.exp(lp[row * O + j]) - (j === target ? 1 : 0)) / rows.length;
  }
  return { loss: loss / rows.length, dlogits: d };
}

export interface Grads {
  net: Net;
  dh0: Float64Array; // [L, B, H]
  dc0: Float64Array | null;
}

/** Backpropagation through time over every layer and step. */
export function backward(cfg: ModelConfig, net: Net, input: SeqInput, tr: Trace, dlogits: Float64Array): Grads {
  const { B, T } = tr;
  const { hiddenSize: H, outputSize: O, numLayers: L, inputSize: I } = cfg;
  const G = gateCount(cfg.cell);
  const g = zeroNetLike(cfg);
  const dh0 = new Float64Array(L * B * H);
  const dc0 = cfg.cell === 'lstm' ? new Float64Array(L * B * H) : null;
  // dH[T+1, B, H]: gradient arriving at each top-layer slot from the head.
  let dH = new Float64Array((T + 1) * B * H);
  const lag = net.fcWx ? 0 : 1;
  const top = tr.hs[L - 1];
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const dy = dlogits.subarray((b * T + t) * O, (b * T + t + 1) * O);
      const slot = ((t + lag) * B + b) * H;
      for (let o = 0; o < O; o++) {
        if (dy[o] === 0) continue;
        g.fcb[o] += dy[o];
        for (let j = 0; j < H; j++) {
          g.fcW[o * H + j] += dy[o] * top[slot + j];
          dH[slot + j] += net.fcW[o * H + j] * dy[o];
        }
        if (g.fcWx) {
          if (input.ids) g.fcWx[o * I + input.ids[b * T + t]] += dy[o];
          else for (let j = 0; j < I; j++) g.fcWx[o * I + j] += dy[o] * input.x![(b * T + t) * I + j];
        }
      }
    }
  }
  for (let k = L - 1; k >= 0; k--) {
    const l = net.layers[k];
    const gl = g.layers[k];
    const Ik = k === 0 ? I : H;
    const hs = tr.hs[k];
    const cs = tr.cs[k];
    const dBelow = new Float64Array((T + 1) * B * H); // into layer k−1's slots
    for (let b = 0; b < B; b++) {
      let dhNext: Float64Array = new Float64Array(H);
      let dcNext: Float64Array | null = cs ? new Float64Array(H) : null;
      for (let t = T - 1; t >= 0; t--) {
        const slot = ((t + 1) * B + b) * H;
        const prev = (t * B + b) * H;
        const dh = new Float64Array(H);
        for (let j = 0; j < H; j++) dh[j] = dH[slot + j] + dhNext[j];
        const off = (t * B + b) * G * H;
        const a = tr.a[k].subarray(off, off + G * H);
        const r = tr.r[k].subarray(off, off + G * H);
        const sg = cellBackward(
          cfg.cell, cfg.nonlinearity, H, a, r,
          hs.subarray(prev, prev + H), cs ? cs.subarray(prev, prev + H) : null, dh, dcNext,
        );
        // W_ih, b_ih from da; W_hh, b_hh from dr; dh_{t-1} = direct + W_hhᵀ dr; dx = W_ihᵀ da
        for (let i = 0; i < G * H; i++) {
          const da = sg.da[i];
          const dr = sg.dr[i];
          gl.bih[i] += da;
          gl.bhh[i] += dr;
          if (k === 0 && input.ids) {
            gl.Wih[i * I + input.ids[b * T + t]] += da;
          } else if (k === 0) {
            for (let j = 0; j < I; j++) gl.Wih[i * I + j] += da * input.x![(b * T + t) * I + j];
          } else {
            const below = tr.hs[k - 1];
            for (let j = 0; j < Ik; j++) {
              gl.Wih[i * Ik + j] += da * below[slot + j];
              dBelow[slot + j] += l.Wih[i * Ik + j] * da;
            }
          }
          for (let j = 0; j < H; j++) {
            gl.Whh[i * H + j] += dr * hs[prev + j];
            sg.dhPrev[j] += l.Whh[i * H + j] * dr;
          }
        }
        // Slot 0 of dH holds what the tutorial head sends to h0.
        if (t === 0) for (let j = 0; j < H; j++) sg.dhPrev[j] += dH[b * H + j];
        dhNext = sg.dhPrev;
        dcNext = sg.dcPrev;
      }
      dh0.set(dhNext, (k * B + b) * H);
      if (dc0) dc0.set(dcNext!, (k * B + b) * H);
    }
    dH = dBelow;
  }
  return { net: g, dh0, dc0 };
}
