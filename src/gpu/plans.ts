// The step scheduler: which kernels a call runs, in what order, recorded once per workspace as a
// Plan and encoded into one command buffer per call. The classic plan is the one-direction stack
// with a head whose layers read each other's states in place (char-LMs, the tutorial model); the
// general plan (general.ts) routes rows between layers for everything else.
import { layerInputSize } from '../model/config.js';
import type { Dispatch, Engine, Plan } from './engine.js';
import type { Workspace } from './workspace.js';
import { gemm, type ViewA } from './kernels/gemm.js';
import { headOp, projectionOp } from './kernels/linear.js';
import { backOp, fusesTokens, stepOp, teamSequenceOp } from './kernels/step.js';
import { sequenceOp, transposeOp } from './kernels/sequence.js';
import { colBias, colPartials, colTokens } from './kernels/colgrad.js';
import { generalBackwardPlan, generalForwardPlan } from './general.js';

/** Unit u's recurrence: in one dispatch (the GPU or team form) or one dispatch per step. */
export function recurrence(e: Engine, ws: Workspace, u: number, plan: Plan): void {
  const p = e.choice.sequence(ws.B);
  if (p) plan.push(transposeOp(e, u), sequenceOp(e, ws, u, 'forward', p));
  else if (e.choice.teamSequence(ws.B)) plan.push(teamSequenceOp(e, ws, u, 'forward'));
  else for (let t = 0; t < ws.T; t++) plan.push(stepOp(e, ws, u, t));
}

/** Unit u's BPTT, the same forms, and d h0 (d c0) into its carry buffer. */
export function bptt(e: Engine, ws: Workspace, u: number, plan: Plan): void {
  const p = e.choice.sequence(ws.B);
  if (p) plan.push(sequenceOp(e, ws, u, 'backward', p));
  else if (e.choice.teamSequence(ws.B)) plan.push(teamSequenceOp(e, ws, u, 'backward'));
  else {
    for (let t = ws.T - 1; t >= 0; t--) plan.push(backOp(e, ws, u, t, false));
    plan.push(backOp(e, ws, u, 0, true));
  }
}

/** The forward over a workspace's T steps: layer by layer, then the head (logits). */
export function forwardPlan(e: Engine, ws: Workspace): Plan {
  if (ws.general) return generalForwardPlan(e, ws);
  const { hiddenSize: H, inputSize: I, outputSize: O, numLayers: L } = e.cfg;
  const { B, T } = ws;
  const M = T * B;
  const GH = e.gates * H;
  const lay = e.lay;
  const plan: Plan = [];
  for (let k = 0; k < L; k++) {
    const l = lay.units[k];
    if (k === 0 && ws.tokens) {
      // the column gather (the team kernels' step gathers W_ih's columns itself)
      if (!fusesTokens(e, ws, k)) plan.push(projectionOp(e, ws, 0, T, T));
    } else {
      // preact_k [M, G·H] = X [M, I_k] · W_ihᵀ + b_ih; X = x, or the layer below's h_1..h_T
      const X: ViewA = k === 0 ? [ws.x, 0, I, 1] : [ws.h[k - 1], B * H, H, 1];
      plan.push(...gemm(e, M, GH, layerInputSize(e.cfg, k), X, [e.params, l.wih, 1, l.wihLd], [ws.preact[k], 0, GH], l.bih));
    }
    recurrence(e, ws, k, plan);
  }
  if (lay.headWx >= 0) plan.push(headOp(e, ws, T, T));
  else plan.push(...gemm(e, M, O, H, [ws.h[L - 1], B * H, H, 1], [e.params, lay.headW, 1, lay.headLd], [ws.logits, 0, O], lay.headB));
  return plan;
}

/** Head backward, then BPTT layer by layer from the top, then every weight gradient. */
export function backwardPlan(e: Engine, ws: Workspace): Plan {
  if (ws.general) return generalBackwardPlan(e, ws);
  const { hiddenSize: H, inputSize: I, outputSize: O, numLayers: L } = e.cfg;
  const { B, T } = ws;
  const M = T * B;
  const GH = e.gates * H;
  const lay = e.lay;
  const tut = lay.headWx >= 0;
  const headSlot = tut ? 0 : B * H; // the head reads h_{t-1} (tutorial) or h_t
  const plan: Plan = [];
  const part = colPartials(e, ws);
  for (const d of ws.dh) plan.push({ kind: 'clear', buffer: d });
  // head: dH_top = dlogits · headW; d head.weight = dlogitsᵀ · H_top; d head.bias = Σ_rows dlogits
  plan.push(...gemm(e, M, H, O, [ws.dlogits, 0, O, 1], [e.params, lay.headW, lay.headLd, 1], [ws.dh[L - 1], headSlot, H]));
  plan.push(...gemm(e, O, H, M, [ws.dlogits, 0, 1, O], [ws.h[L - 1], headSlot, H, 1], [e.grads, lay.headW, lay.headLd], null, ws));
  plan.push(...colBias(e, part, M, O, ws.dlogits, 0, lay.headB));
  if (tut) {
    // the tutorial head's x part: i2o.weight[:, :I]
    if (ws.tokens) plan.push(...colTokens(e, ws, part, M, O, ws.dlogits, I, lay.headWx, lay.headLd));
    else plan.push(...gemm(e, O, I, M, [ws.dlogits, 0, 1, O], [ws.x, 0, I, 1], [e.grads, lay.headWx, lay.headLd], null, ws));
  }
  for (let k = L - 1; k >= 0; k--) {
    const l = lay.units[k];
    bptt(e, ws, k, plan);
    // dW_ih = dAᵀ · X (X = x, or the layer below's h_1..h_T)
    if (k === 0 && ws.tokens) plan.push(...colTokens(e, ws, part, M, GH, ws.dPreact, I, l.wih, l.wihLd));
    else {
      const X: ViewA = k === 0 ? [ws.x, 0, I, 1] : [ws.h[k - 1], B * H, H, 1];
      plan.push(...gemm(e, GH, k === 0 ? I : H, M, [ws.dPreact, 0, 1, GH], X, [e.grads, l.wih, l.wihLd], null, ws));
    }
    // db_ih = Σ dA; db_hh = Σ dR, the same sum unless dR is the GRU's own
    const dR = e.cfg.cell === 'gru' ? M * GH : 0;
    plan.push(...colBias(e, part, M, GH, ws.dPreact, 0, l.bih, l.hasBhh && dR === 0 ? l.bhh : null));
    // dW_hh = dRᵀ · H_prev (h_0..h_{T-1})
    plan.push(...gemm(e, GH, H, M, [ws.dPreact, dR, 1, GH], [ws.h[k], 0, H, 1], [e.grads, l.whh, l.whhLd], null, ws));
    if (l.hasBhh && dR !== 0) plan.push(...colBias(e, part, M, GH, ws.dPreact, dR, l.bhh));
    // the layer below's share: dH_{k-1}[slot t+1] = dA · W_ih
    if (k > 0) plan.push(...gemm(e, M, H, GH, [ws.dPreact, 0, GH, 1], [e.params, l.wih, l.wihLd, 1], [ws.dh[k - 1], B * H, H]));
    plan.push(...carryOut(e, ws, k));
  }
  return plan;
}

/** Unit u's d h0 (and d c0) from its carry buffer into dh0 / dc0. */
export function carryOut(e: Engine, ws: Workspace, u: number): Plan {
  const bytes = ws.B * e.cfg.hiddenSize * 4;
  const plan: Plan = [{ kind: 'copy', src: ws.carry[u], srcOff: 0, dst: ws.dh0, dstOff: u * bytes, bytes }];
  if (e.cfg.cell === 'lstm') plan.push({ kind: 'copy', src: ws.carry[u], srcOff: bytes, dst: ws.dc0, dstOff: u * bytes, bytes });
  return plan;
}

/** A plan of a workspace's, recorded on first use. */
export function cachedPlan(ws: Workspace, key: string, make: () => Plan): Plan {
  let p = ws.plans.get(key);
  if (!p) {
    p = make();
    ws.plans.set(key, p);
  }
  return p;
}

/** One recorded dispatch into a compute pass (bench/profile.ts times each in a pass of its own). */
export function dispatch(pass: GPUComputePassEncoder, op: Dispatch): void {
  pass.setPipeline(op.pipeline);
  if (op.offset === null) pass.setBindGroup(0, op.bind);
  else pass.setBindGroup(0, op.bind, [op.offset]);
  pass.dispatchWorkgroups(op.x, op.y);
}

/** Encodes a plan: its dispatches in compute passes, split by its copies and clears. Returns the dispatch count. */
export function encode(enc: GPUCommandEncoder, plan: Plan): number {
  let pass: GPUComputePassEncoder | null = null;
  let dispatches = 0;
  for (const op of plan) {
    if (op.kind === 'dispatch') {
      pass ??= enc.beginComputePass();
      dispatch(pass, op);
      dispatches++;
      continue;
    }
    pass?.end();
    pass = null;
    if (op.kind === 'clear') enc.clearBuffer(op.buffer);
    else enc.copyBufferToBuffer(op.src, op.srcOff, op.dst, op.dstOff, op.bytes);
  }
  pass?.end();
  return dispatches;
}
