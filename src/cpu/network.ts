// The CPU reference network: embedding, forward over layers, directions and time, head, losses,
// and BPTT, in float64. It is the oracle for every GPU kernel, so it is written for obviousness,
// not speed: batch-first arrays, one row and one step at a time, every formula written out.
//
// Layouts (row-major, batch-first):
//   X[k]    [B, T, I_k]    layer k's input after dropout (layer 0: the embedding's rows, or x)
//   S[u]    [B, T+2, H]    unit u = k·D + d's state: time t at slot t+1; the forward direction's
//                          h0 at slot 0, the reverse direction's at slot len_b + 1
//   C[u]    [B, T+2, H]    LSTM cell state, same slots
//   a[u]    [B, T, G·H]    W_ih x_t + b_ih            r[u] [B, T, G·H]  W_hh h_prev + b_hh
//   Y[k]    [B, T, D·H]    layer k's output: both directions' h_t side by side, zero past a length
//   logits  [B, T, O]      head output (the top layer's Y after output dropout, without a head)
// With lengths (pack_padded_sequence), row b runs steps 0..len_b−1 only: the forward direction
// from h0 at t = 0, the reverse direction from h0 at t = len_b − 1 down to 0.
// The tutorial model is an identity-activation RNN with W_ih = i2h.weight[:, :I],
// W_hh = i2h.weight[:, I:], no b_hh, and a head that reads cat(x_t, h_{t-1}) rather than h_t.
import {
  directions, embeddingName, gateCount, headBiasName, headWeightName, layerInputSize, parameterSpecs, rnnName, sizeOf, stateLayers,
  type ModelConfig,
} from '../model/config.js';
import { lengthOf, isReal, type DropoutMasks, type LossKind, type SeqInput, type SeqTargets } from '../model/batch.js';
import { cellBackward, cellForward } from './cells.js';

export interface Unit {
  Wih: Float64Array; // [G·H, I_k]
  Whh: Float64Array; // [G·H, H]
  bih: Float64Array; // [G·H] (zeros without bias)
  bhh: Float64Array; // [G·H] (zeros without bias, and for the tutorial model)
}
/** The network in the engine's own layout; gradients use the same structure. */
export interface Net {
  embedding: Float64Array | null; // [V, E]
  units: Unit[]; // k·D + d
  /** [O, D·H]; for a tied model the very same array as `embedding`, so gradients add up. */
  fcW: Float64Array | null;
  fcb: Float64Array | null; // [O]
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
      embedding: null,
      units: [{ Wih: cols(w, H, I + H, 0, I), Whh: cols(w, H, I + H, I, I + H), bih: get('i2h.bias'), bhh: new Float64Array(H) }],
      fcW: cols(wo, O, I + H, I, I + H),
      fcb: get('i2o.bias'),
      fcWx: cols(wo, O, I + H, 0, I),
    };
  }
  const GH = gateCount(cfg.cell) * H;
  const units: Unit[] = [];
  for (let k = 0; k < cfg.numLayers; k++) {
    for (let d = 0; d < directions(cfg); d++) {
      units.push({
        Wih: get(rnnName(cfg, 'weight_ih', k, d)),
        Whh: get(rnnName(cfg, 'weight_hh', k, d)),
        bih: cfg.bias ? get(rnnName(cfg, 'bias_ih', k, d)) : new Float64Array(GH),
        bhh: cfg.bias ? get(rnnName(cfg, 'bias_hh', k, d)) : new Float64Array(GH),
      });
    }
  }
  const embedding = cfg.embeddingDim ? get(embeddingName(cfg)) : null;
  return {
    embedding,
    units,
    fcW: !cfg.head ? null : cfg.tied ? embedding : get(headWeightName(cfg)),
    fcb: cfg.head ? get(headBiasName(cfg)) : null,
    fcWx: null,
  };
}

/** Inverse of netFromParams: PyTorch names, in state_dict order, each parameter once. */
export function netToParams(cfg: ModelConfig, n: Net): Map<string, Float64Array> {
  const out = new Map<string, Float64Array>();
  const { inputSize: I, hiddenSize: H, outputSize: O } = cfg;
  if (cfg.cell === 'tutorial') {
    const l = n.units[0];
    out.set('i2h.weight', catCols(l.Wih, l.Whh, H, I, H));
    out.set('i2h.bias', l.bih);
    out.set('i2o.weight', catCols(n.fcWx!, n.fcW!, O, I, H));
    out.set('i2o.bias', n.fcb!);
    return out;
  }
  if (n.embedding) out.set(embeddingName(cfg), n.embedding);
  n.units.forEach((l, u) => {
    const k = Math.floor(u / directions(cfg));
    const d = u % directions(cfg);
    out.set(rnnName(cfg, 'weight_ih', k, d), l.Wih);
    out.set(rnnName(cfg, 'weight_hh', k, d), l.Whh);
    if (cfg.bias) {
      out.set(rnnName(cfg, 'bias_ih', k, d), l.bih);
      out.set(rnnName(cfg, 'bias_hh', k, d), l.bhh);
    }
  });
  if (cfg.head && !cfg.tied) out.set(headWeightName(cfg), n.fcW!);
  if (cfg.head) out.set(headBiasName(cfg), n.fcb!);
  return out;
}

export function zeroNetLike(cfg: ModelConfig): Net {
  const zeros = new Map(parameterSpecs(cfg).map((s) => [s.name, new Float64Array(sizeOf(s.shape))]));
  return netFromParams(cfg, zeros);
}

export interface Trace {
  B: number;
  T: number;
  X: (Float64Array | null)[]; // per layer; null for layer 0 of one-hot ids
  S: Float64Array[];
  C: (Float64Array | null)[];
  a: Float64Array[];
  r: Float64Array[];
  Y: Float64Array[];
  /** The head's input: the top layer's Y after output dropout. */
  Z: Float64Array;
  logits: Float64Array;
  hN: Float64Array; // [L·D, B, H]
  cN: Float64Array | null;
}

/** out += W v (W [rows, n], v from vOff). */
function addMatVec(W: Float64Array, rows: number, n: number, v: ArrayLike<number>, vOff: number, out: Float64Array): void {
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += W[i * n + j] * v[vOff + j];
    out[i] += s;
  }
}

/** Layer 0's input at (b, t) times W into out: a column gather for one-hot ids, else a product. */
function addInput0(W: Float64Array, rows: number, I0: number, input: SeqInput, X0: Float64Array | null, b: number, t: number, out: Float64Array): void {
  if (X0) return addMatVec(W, rows, I0, X0, (b * input.steps + t) * I0, out);
  const id = input.ids![b * input.steps + t];
  for (let i = 0; i < rows; i++) out[i] += W[i * I0 + id];
}

/** Slot of time t in S[u] and C[u] [B, T+2, H] for row b. */
export const slot = (T: number, b: number, t: number): number => b * (T + 2) + t + 1;

/** h0, c0: [L·D, B, H] (zeros when omitted); masks: training-mode dropout. */
export function forward(
  cfg: ModelConfig,
  net: Net,
  input: SeqInput,
  h0?: ArrayLike<number>,
  c0?: ArrayLike<number>,
  masks?: DropoutMasks,
): Trace {
  const { batch: B, steps: T } = input;
  const { hiddenSize: H, outputSize: O, numLayers: L } = cfg;
  const D = directions(cfg);
  const G = gateCount(cfg.cell);
  const lstm = cfg.cell === 'lstm';
  const tr: Trace = {
    B, T, X: [], S: [], C: [], a: [], r: [], Y: [], Z: new Float64Array(0), logits: new Float64Array(B * T * O),
    hN: new Float64Array(stateLayers(cfg) * B * H), cN: lstm ? new Float64Array(stateLayers(cfg) * B * H) : null,
  };
  // Layer 0's input: the embedding's rows, the floats, or (null) one-hot ids gathered per step.
  const I0 = layerInputSize(cfg, 0);
  let X: Float64Array | null = null;
  if (net.embedding) {
    X = new Float64Array(B * T * I0);
    for (let m = 0; m < B * T; m++) X.set(net.embedding.subarray(input.ids![m] * I0, (input.ids![m] + 1) * I0), m * I0);
  } else if (input.x) X = Float64Array.from(input.x);
  for (let k = 0; k < L; k++) {
    const Ik = layerInputSize(cfg, k);
    const mask = k === 0 ? masks?.input : masks?.layers[k];
    if (X && mask) for (let i = 0; i < X.length; i++) X[i] *= mask[i];
    tr.X.push(X);
    const Y = new Float64Array(B * T * D * H);
    for (let d = 0; d < D; d++) {
      const u = k * D + d;
      const l = net.units[u];
      const S = new Float64Array(B * (T + 2) * H);
      const Cs = lstm ? new Float64Array(B * (T + 2) * H) : null;
      const A = new Float64Array(B * T * G * H);
      const R = new Float64Array(B * T * G * H);
      for (let b = 0; b < B; b++) {
        const len = lengthOf(input, b);
        // the state before the first step this direction takes
        const start = slot(T, b, d === 0 ? -1 : len);
        if (h0) S.set(Array.prototype.slice.call(h0, (u * B + b) * H, (u * B + b + 1) * H), start * H);
        if (Cs && c0) Cs.set(Array.prototype.slice.call(c0, (u * B + b) * H, (u * B + b + 1) * H), start * H);
        for (let n = 0; n < len; n++) {
          const t = d === 0 ? n : len - 1 - n;
          const prev = slot(T, b, d === 0 ? t - 1 : t + 1) * H;
          const a = new Float64Array(l.bih);
          if (k === 0) addInput0(l.Wih, G * H, I0, input, X, b, t, a);
          else addMatVec(l.Wih, G * H, Ik, X!, (b * T + t) * Ik, a);
          const r = new Float64Array(l.bhh);
          addMatVec(l.Whh, G * H, H, S, prev, r);
          const s = cellForward(cfg.cell, cfg.nonlinearity, H, a, r, S.subarray(prev, prev + H), Cs ? Cs.subarray(prev, prev + H) : null);
          S.set(s.h, slot(T, b, t) * H);
          if (Cs) Cs.set(s.c!, slot(T, b, t) * H);
          A.set(a, (b * T + t) * G * H);
          R.set(r, (b * T + t) * G * H);
          Y.set(s.h, ((b * T + t) * D + d) * H);
        }
        // h_n: the state after the last step this direction took
        const last = slot(T, b, d === 0 ? len - 1 : 0) * H;
        tr.hN.set(S.subarray(last, last + H), (u * B + b) * H);
        if (Cs) tr.cN!.set(Cs.subarray(last, last + H), (u * B + b) * H);
      }
      tr.S.push(S);
      tr.C.push(Cs);
      tr.a.push(A);
      tr.r.push(R);
    }
    tr.Y.push(Y);
    X = Y.slice();
  }
  // Head: logits[b, t] = fcW z + fcb (+ fcWx x_t); z is Y_top[t] after output dropout, or h_{t-1}
  // for the tutorial model; without a head the logits are z itself.
  const DH = D * H;
  const Z = tr.Y[L - 1].slice();
  if (masks?.output) for (let i = 0; i < Z.length; i++) Z[i] *= masks.output[i];
  tr.Z = Z;
  if (!net.fcW) {
    tr.logits.set(Z);
    return tr;
  }
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const y = new Float64Array(net.fcb!);
      if (net.fcWx) {
        addMatVec(net.fcW, O, H, tr.S[0], slot(T, b, t - 1) * H, y);
        addInput0(net.fcWx, O, I0, input, tr.X[0], b, t, y);
      } else addMatVec(net.fcW, O, DH, Z, (b * T + t) * DH, y);
      // the tutorial model's outputs past a row's length are zero (PyTorch's tutorial has no packing)
      if (!net.fcWx || t < lengthOf(input, b)) tr.logits.set(y, (b * T + t) * O);
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

/**
 * Loss and d loss / d logits ([B, T, O]). With lengths only real positions count: 'nll' and 'mse'
 * average over them, 'nll_last' reads each row's last real step.
 */
export function lossAndGrad(
  kind: LossKind,
  logits: Float64Array,
  input: SeqInput,
  O: number,
  targets: SeqTargets,
): { loss: number; dlogits: Float64Array } {
  const { batch: B, steps: T } = input;
  const d = new Float64Array(logits.length);
  if (kind === 'mse') {
    const y = targets.y!;
    let n = 0;
    for (let b = 0; b < B; b++) n += lengthOf(input, b) * O;
    let loss = 0;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < lengthOf(input, b); t++) {
        for (let o = 0; o < O; o++) {
          const i = (b * T + t) * O + o;
          const e = logits[i] - y[i];
          loss += e * e;
          d[i] = (2 * e) / n;
        }
      }
    }
    return { loss: loss / n, dlogits: d };
  }
  const lp = logSoftmax(logits, O);
  let loss = 0;
  const rows: { row: number; target: number }[] = [];
  if (kind === 'nll') {
    for (let i = 0; i < B * T; i++) if (isReal(input, Math.floor(i / T), i % T)) rows.push({ row: i, target: targets.ids![i] });
  } else for (let b = 0; b < B; b++) rows.push({ row: b * T + lengthOf(input, b) - 1, target: targets.ids![b] });
  for (const { row, target } of rows) {
    loss -= lp[row * O + target];
    // d(−logp[target])/dz = softmax(z) − onehot(target), averaged over the counted rows
    for (let j = 0; j < O; j++) d[row * O + j] = (Math.exp(lp[row * O + j]) - (j === target ? 1 : 0)) / rows.length;
  }
  return { loss: loss / rows.length, dlogits: d };
}

export interface Grads {
  net: Net;
  dh0: Float64Array; // [L·D, B, H]
  dc0: Float64Array | null;
}

/** Backpropagation through the head, every layer and direction and every real step, and the embedding. */
export function backward(cfg: ModelConfig, net: Net, input: SeqInput, tr: Trace, dlogits: Float64Array, masks?: DropoutMasks): Grads {
  const { B, T } = tr;
  const { hiddenSize: H, outputSize: O, numLayers: L } = cfg;
  const D = directions(cfg);
  const DH = D * H;
  const G = gateCount(cfg.cell);
  const I0 = layerInputSize(cfg, 0);
  const g = zeroNetLike(cfg);
  const dh0 = new Float64Array(stateLayers(cfg) * B * H);
  const dc0 = cfg.cell === 'lstm' ? new Float64Array(stateLayers(cfg) * B * H) : null;
  // dY [B, T+1, D·H]: the gradient reaching layer k's output at time t in slot t+1; slot 0 holds
  // what the tutorial head, which reads h_{t-1}, sends to h0.
  let dY = new Float64Array(B * (T + 1) * DH);
  const lag = net.fcWx ? 0 : 1;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const dy = dlogits.subarray((b * T + t) * O, (b * T + t + 1) * O);
      const at = (b * (T + 1) + t + lag) * DH;
      if (!net.fcW) {
        for (let j = 0; j < DH; j++) dY[at + j] = dy[j] * (masks?.output ? masks.output[(b * T + t) * DH + j] : 1);
        continue;
      }
      // z: the head's input (h_{t-1} of the tutorial's single unit, or Z)
      const z = net.fcWx ? tr.S[0].subarray(slot(T, b, t - 1) * H, slot(T, b, t) * H) : tr.Z.subarray((b * T + t) * DH, (b * T + t + 1) * DH);
      for (let o = 0; o < O; o++) {
        if (dy[o] === 0) continue;
        g.fcb![o] += dy[o];
        for (let j = 0; j < DH; j++) {
          g.fcW![o * DH + j] += dy[o] * z[j];
          dY[at + j] += net.fcW[o * DH + j] * dy[o] * (masks?.output ? masks.output[(b * T + t) * DH + j] : 1);
        }
        if (g.fcWx) addInputGrad(g.fcWx, o, dy[o], I0, input, tr.X[0], b, t);
      }
    }
  }
  for (let k = L - 1; k >= 0; k--) {
    const Ik = layerInputSize(cfg, k);
    const X = tr.X[k];
    const dX = new Float64Array(B * T * Ik);
    for (let d = 0; d < D; d++) {
      const u = k * D + d;
      const l = net.units[u];
      const gl = g.units[u];
      const S = tr.S[u];
      const Cs = tr.C[u];
      for (let b = 0; b < B; b++) {
        const len = lengthOf(input, b);
        let dhNext: Float64Array = new Float64Array(H);
        let dcNext: Float64Array | null = Cs ? new Float64Array(H) : null;
        // the steps in the reverse of the order this direction took them
        for (let n = len - 1; n >= 0; n--) {
          const t = d === 0 ? n : len - 1 - n;
          const prev = slot(T, b, d === 0 ? t - 1 : t + 1) * H;
          const dh = new Float64Array(H);
          const at = (b * (T + 1) + t + 1) * DH + d * H;
          for (let j = 0; j < H; j++) dh[j] = dY[at + j] + dhNext[j];
          const off = (b * T + t) * G * H;
          const sg = cellBackward(
            cfg.cell, cfg.nonlinearity, H, tr.a[u].subarray(off, off + G * H), tr.r[u].subarray(off, off + G * H),
            S.subarray(prev, prev + H), Cs ? Cs.subarray(prev, prev + H) : null, dh, dcNext,
          );
          // W_ih, b_ih from da; W_hh, b_hh from dr; dh_prev = direct + W_hhᵀ dr; dx = W_ihᵀ da
          for (let i = 0; i < G * H; i++) {
            const da = sg.da[i];
            const dr = sg.dr[i];
            gl.bih[i] += da;
            gl.bhh[i] += dr;
            if (k === 0 && !X) gl.Wih[i * Ik + input.ids![b * T + t]] += da;
            else {
              for (let j = 0; j < Ik; j++) {
                gl.Wih[i * Ik + j] += da * X![(b * T + t) * Ik + j];
                dX[(b * T + t) * Ik + j] += l.Wih[i * Ik + j] * da;
              }
            }
            for (let j = 0; j < H; j++) {
              gl.Whh[i * H + j] += dr * S[prev + j];
              sg.dhPrev[j] += l.Whh[i * H + j] * dr;
            }
          }
          // Slot 0 of dY holds what the tutorial head sends to h0.
          if (n === 0 && d === 0) for (let j = 0; j < H; j++) sg.dhPrev[j] += dY[b * (T + 1) * DH + j];
          dhNext = sg.dhPrev;
          dcNext = sg.dcPrev;
        }
        dh0.set(dhNext, (u * B + b) * H);
        if (dc0) dc0.set(dcNext!, (u * B + b) * H);
      }
    }
    // through the dropout on this layer's input, into the layer below or the embedding
    const mask = k === 0 ? masks?.input : masks?.layers[k];
    if (mask) for (let i = 0; i < dX.length; i++) dX[i] *= mask[i];
    if (k > 0) {
      dY = new Float64Array(B * (T + 1) * DH);
      for (let b = 0; b < B; b++) dY.set(dX.subarray(b * T * DH, (b + 1) * T * DH), (b * (T + 1) + 1) * DH);
    } else if (g.embedding) {
      // d E[v] = Σ over the positions holding token v of d x (a tied head's share is in already)
      for (let m = 0; m < B * T; m++) {
        const v = input.ids![m];
        for (let j = 0; j < I0; j++) g.embedding[v * I0 + j] += dX[m * I0 + j];
      }
    }
  }
  return { net: g, dh0, dc0 };
}

/** d W[o, :] for layer 0's input at (b, t): a column for one-hot ids, else dy · x. */
function addInputGrad(W: Float64Array, o: number, dy: number, I0: number, input: SeqInput, X0: Float64Array | null, b: number, t: number): void {
  if (!X0) {
    W[o * I0 + input.ids![b * input.steps + t]] += dy;
    return;
  }
  for (let j = 0; j < I0; j++) W[o * I0 + j] += dy * X0[(b * input.steps + t) * I0 + j];
}
