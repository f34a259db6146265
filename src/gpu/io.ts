// What crosses the CPU–GPU boundary around a call: inputs and targets uploaded time-major (from
// PyTorch's batch_first), the general plan's routes and masks and the loss rows' weights, the
// recurrent state carried between calls, and the outputs read back batch-first.
import { hasCellState, layerInputSize } from '../model/config.js';
import type { DropoutMasks, RecurrentState, SeqInput, SeqTargets } from '../model/batch.js';
import type { ForwardResult, PredictResult, StateSource } from '../model/backend.js';
import { readBack } from './buffers.js';
import type { Engine, Plan } from './engine.js';
import type { Workspace } from './workspace.js';

export async function read(e: Engine, buf: GPUBuffer, floats: number, offset = 0): Promise<Float32Array> {
  return readBack(e.device, e.owner, buf, offset * 4, floats * 4);
}

/**
 * Inputs and targets, time-major; returns the ids as uploaded (null for floats). The rows grouped
 * by token go up for the CPU adapters' column gradients and for an embedding's scatter-add.
 */
export function upload(e: Engine, ws: Workspace, input: SeqInput, targets?: SeqTargets): Uint32Array<ArrayBuffer> | null {
  const q = e.device.queue;
  const { B, T } = ws;
  const { inputSize: I, outputSize: O } = e.cfg;
  let ids: Uint32Array<ArrayBuffer> | null = null;
  if (input.ids) {
    ids = timeMajor(new Uint32Array(B * T), input.ids, B, T, 1);
    q.writeBuffer(ws.ids, 0, ids);
    if (e.choice.family === 'cpu' || e.lay.embedding >= 0) {
      if (ws.idsByToken === e.unused) ws.idsByToken = e.owner.storage('input rows by token', I + 1 + B * T);
      q.writeBuffer(ws.idsByToken, 0, rowsByToken(ids, I));
    }
  } else q.writeBuffer(ws.x, 0, timeMajor(new Float32Array(B * T * I), input.x!, B, T, I));
  // nll_last targets are one per sequence [B]: no time axis to move
  if (targets?.ids && ws.targetIds === e.unused) ws.targetIds = e.owner.storage('target ids', B * T);
  if (targets?.y && ws.targetY === e.unused) ws.targetY = e.owner.storage('target y', B * T * O);
  if (targets?.ids) {
    const perStep = targets.ids.length === B * T;
    q.writeBuffer(ws.targetIds, 0, perStep ? timeMajor(new Uint32Array(B * T), targets.ids, B, T, 1) : Uint32Array.from(targets.ids));
  }
  if (targets?.y) q.writeBuffer(ws.targetY, 0, timeMajor(new Float32Array(B * T * O), targets.y, B, T, O));
  return ids;
}

/**
 * The general plan's per-call data: each row's reversal and the reversed ids (D = 2, from the
 * time-major `ids` upload() wrote), and the masks (dropout ⊙ lengths, time-major).
 */
export function uploadRoutes(e: Engine, ws: Workspace, input: SeqInput, ids: Uint32Array<ArrayBuffer> | null, masks: DropoutMasks | null): void {
  const g = ws.general!;
  const q = e.device.queue;
  const { B, T } = ws;
  const M = B * T;
  const { hiddenSize: H, numLayers: L, inputSize: V } = e.cfg;
  const DH = e.directions * H;
  const len = (b: number): number => (input.lengths ? input.lengths[b] : T);
  if (e.directions === 2) {
    const rev = new Uint32Array(M);
    for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) rev[t * B + b] = t < len(b) ? (len(b) - 1 - t) * B + b : t * B + b;
    q.writeBuffer(g.reversal, 0, rev);
    if (ids) {
      const idsRev = rev.map((i) => ids[i]);
      q.writeBuffer(g.idsRev, 0, idsRev);
      if (e.choice.family === 'cpu') {
        if (g.idsByTokenRev === e.unused) g.idsByTokenRev = e.owner.storage('input rows by token, reversed', V + 1 + M);
        q.writeBuffer(g.idsByTokenRev, 0, rowsByToken(idsRev, V));
      }
    }
  }
  if (g.masked) {
    for (let k = 1; k <= L; k++) {
      const drop = k < L ? masks?.layers[k] : masks?.output;
      const m = new Float32Array(M * DH);
      for (let b = 0; b < B; b++) {
        for (let t = 0; t < len(b); t++) {
          for (let j = 0; j < DH; j++) m[(t * B + b) * DH + j] = drop ? drop[(b * T + t) * DH + j] : 1;
        }
      }
      q.writeBuffer(g.layerMask[k], 0, m);
    }
  }
  if (g.inputMask) {
    const I0 = layerInputSize(e.cfg, 0);
    q.writeBuffer(g.inputDropout, 0, timeMajor(new Float32Array(M * I0), masks!.input!, B, T, I0));
  }
}

/**
 * With lengths, the loss rows' weights (1 / real rows, 0 past a length; nll_last: 1 / B at each
 * row's last real step, with its target put there) and the targets per row.
 */
export function uploadLossWeights(e: Engine, ws: Workspace, input: SeqInput, targets: SeqTargets): void {
  const q = e.device.queue;
  const { B, T } = ws;
  const M = B * T;
  const O = e.cfg.outputSize;
  const len = (b: number): number => input.lengths![b];
  if (ws.lossWeights === e.unused) ws.lossWeights = e.owner.storage('loss weights', M);
  const w = new Float32Array(M);
  let real = 0;
  for (let b = 0; b < B; b++) real += len(b);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < len(b); t++) {
      if (targets.y) w[t * B + b] = 1 / (real * O);
      else if (targets.ids!.length === M) w[t * B + b] = 1 / real;
      else if (t === len(b) - 1) w[t * B + b] = 1 / B;
    }
  }
  q.writeBuffer(ws.lossWeights, 0, w);
  if (targets.ids) {
    // per row, 0 past a length (padding targets may hold anything)
    const y = new Uint32Array(M);
    for (let b = 0; b < B; b++) {
      if (targets.ids.length === M) for (let t = 0; t < len(b); t++) y[t * B + b] = targets.ids[b * T + t];
      else y[(len(b) - 1) * B + b] = targets.ids[b];
    }
    q.writeBuffer(ws.targetIds, 0, y);
  }
}

/** The state the last call ended in: h [L·D, B, H], c [L·D, B, H], on the GPU. */
export class CarriedState {
  h: GPUBuffer | null = null;
  c: GPUBuffer | null = null;
  batch = 0;
  /** Whether h (c) hold a call's final state (false before any call, after a reset or a failed step). */
  valid = false;

  constructor(private readonly e: Engine) {}

  private ensure(B: number): void {
    if (this.h && this.batch === B) return;
    for (const b of [this.h, this.c]) if (b) this.e.owner.release(b);
    const n = this.e.units * B * this.e.cfg.hiddenSize;
    this.h = this.e.owner.storage('state h', n);
    this.c = hasCellState(this.e.cfg) ? this.e.owner.storage('state c', n) : null;
    this.batch = B;
    this.valid = false;
  }

  /**
   * Writes h0 (c0) into slot 0 of every unit, and records copying h_n (c_n) out afterwards: slot T,
   * or with lengths each row's slot len_b (the state after its last real step, in either
   * direction, since a reverse unit keeps its states in the order it took its steps).
   */
  ops(ws: Workspace, state: StateSource, lengths?: Int32Array): { before: Plan; after: Plan } {
    const e = this.e;
    this.ensure(ws.B);
    const { B, T } = ws;
    const H = e.cfg.hiddenSize;
    const bytes = B * H * 4;
    const before: Plan = [];
    const after: Plan = [];
    const lstm = hasCellState(e.cfg);
    const h = this.h!;
    const c = this.c;
    if (state.kind === 'given') {
      e.device.queue.writeBuffer(h, 0, Float32Array.from(state.state.h));
      if (c) e.device.queue.writeBuffer(c, 0, state.state.c ? Float32Array.from(state.state.c) : new Float32Array(e.units * B * H));
    } else if (state.kind === 'zeros' || !this.valid) {
      before.push({ kind: 'clear', buffer: h });
      if (c) before.push({ kind: 'clear', buffer: c });
    }
    const row = H * 4;
    const out = (src: GPUBuffer, dst: GPUBuffer, k: number): void => {
      if (!lengths) {
        after.push({ kind: 'copy', src, srcOff: T * bytes, dst, dstOff: k * bytes, bytes });
        return;
      }
      for (let b = 0; b < B; b++) after.push({ kind: 'copy', src, srcOff: lengths[b] * bytes + b * row, dst, dstOff: k * bytes + b * row, bytes: row });
    };
    for (let k = 0; k < e.units; k++) {
      before.push({ kind: 'copy', src: h, srcOff: k * bytes, dst: ws.h[k], dstOff: 0, bytes });
      out(ws.h[k], h, k);
      if (lstm && c) {
        before.push({ kind: 'copy', src: c, srcOff: k * bytes, dst: ws.c[k], dstOff: 0, bytes });
        out(ws.c[k], c, k);
      }
    }
    this.valid = true;
    return { before, after };
  }

  async read(): Promise<RecurrentState | null> {
    if (!this.h || !this.valid) return null;
    const n = this.e.units * this.batch * this.e.cfg.hiddenSize;
    const h = Float64Array.from(await read(this.e, this.h, n));
    const c = this.c ? Float64Array.from(await read(this.e, this.c, n)) : undefined;
    return { h, c };
  }
}

/**
 * The head's output (batch-first) and the state the call ended in. The tutorial model's outputs
 * past a row's length are zero (its states there ran on padding).
 */
export async function readOutputs(e: Engine, ws: Workspace, state: CarriedState, lengths?: Int32Array): Promise<PredictResult> {
  const { B, T } = ws;
  const { outputSize: O, hiddenSize: H } = e.cfg;
  const n = e.units * B * H;
  const logits = batchFirst(new Float64Array(B * T * O), await read(e, ws.logits, B * T * O), B, T, O);
  if (lengths && e.cfg.cell === 'tutorial') for (let b = 0; b < B; b++) logits.fill(0, (b * T + lengths[b]) * O, (b + 1) * T * O);
  const hN = Float64Array.from(await read(e, state.h!, n));
  const cN = state.c ? Float64Array.from(await read(e, state.c, n)) : null;
  return { logits, hN, cN };
}

/** Every layer's states [L, B, T, D·H], batch-first, in time order, zero past a row's length. */
export async function readForward(e: Engine, ws: Workspace, state: CarriedState, lengths?: Int32Array): Promise<ForwardResult> {
  const { B, T } = ws;
  const { hiddenSize: H, numLayers: L } = e.cfg;
  const D = e.directions;
  const seq = async (bufs: GPUBuffer[]): Promise<Float64Array> => {
    const out = new Float64Array(L * B * T * D * H);
    for (let u = 0; u < e.units; u++) {
      const k = Math.floor(u / D);
      const d = u % D;
      const s = await read(e, bufs[u], (T + 1) * B * H);
      for (let b = 0; b < B; b++) {
        const len = lengths ? lengths[b] : T;
        for (let t = 0; t < len; t++) {
          const slot = (d ? len - 1 - t : t) + 1; // a reverse unit's states are in its step order
          out.set(s.subarray((slot * B + b) * H, (slot * B + b + 1) * H), (((k * B + b) * T + t) * D + d) * H);
        }
      }
    }
    return out;
  };
  return {
    ...(await readOutputs(e, ws, state, lengths)),
    hSeq: await seq(ws.h),
    cSeq: hasCellState(e.cfg) ? await seq(ws.c) : null,
  };
}

/** [B, T, F] (PyTorch's batch_first) → [T, B, F] into out. */
function timeMajor<A extends Float32Array | Uint32Array>(out: A, src: ArrayLike<number>, B: number, T: number, F: number): A {
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) for (let f = 0; f < F; f++) out[(t * B + b) * F + f] = src[(b * T + t) * F + f];
  return out;
}

/** [T, B, F] → [B, T, F] into out. */
function batchFirst(out: Float64Array, src: ArrayLike<number>, B: number, T: number, F: number): Float64Array {
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) for (let f = 0; f < F; f++) out[(b * T + t) * F + f] = src[(t * B + b) * F + f];
  return out;
}

/**
 * Token ids grouped by token (a counting sort), for colgrad.wgsl's tokens_csr and route.wgsl's
 * scatter_csr: words v, v + 1 bound token v's run of row indices m, which follow from word V + 1
 * in increasing m.
 */
function rowsByToken(ids: Uint32Array, V: number): Uint32Array<ArrayBuffer> {
  const out = new Uint32Array(V + 1 + ids.length);
  for (const v of ids) out[v + 1]++;
  for (let v = 0; v < V; v++) out[v + 1] += out[v];
  const next = out.slice(0, V);
  for (let m = 0; m < ids.length; m++) out[V + 1 + next[ids[m]]++] = m;
  return out;
}
