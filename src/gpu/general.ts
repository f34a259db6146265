// The general plan: embeddings, bidirectional stacks, lengths, dropout, no head, no biases —
// every model the classic stack (plans.ts) is not. The same kernels per unit, with row routes
// (kernels/route.ts) between layers.
import { layerInputSize } from '../model/config.js';
import type { DropoutMasks, SeqInput } from '../model/batch.js';
import type { Engine, Plan } from './engine.js';
import type { GeneralMode, Workspace } from './workspace.js';
import { gemm } from './kernels/gemm.js';
import { projectionOp } from './kernels/linear.js';
import { fusesTokens } from './kernels/step.js';
import { colBias, colPartials, colTokens } from './kernels/colgrad.js';
import { embeddingGradOp, routeOp, type Mask } from './kernels/route.js';
import { bptt, carryOut, recurrence } from './plans.js';

/**
 * Whether a call takes the general plan: the model needs it (an embedding, two directions, no
 * head, no biases… anything but the classic stack), or the call has lengths or dropout masks.
 */
export function generalMode(e: Engine, input: SeqInput, masks: DropoutMasks | null): GeneralMode | null {
  const c = e.cfg;
  // the tutorial model (no dropout; its head reads h_{t-1}, so nothing past a length reaches a
  // real output) takes lengths in the classic plan: weighted loss rows, h_n per row
  if (c.cell === 'tutorial') return null;
  const needs = c.embeddingDim > 0 || c.bidirectional || !c.head || !c.bias;
  const masked = !!input.lengths || !!masks;
  if (!needs && !masked) return null;
  return { masked, inputMask: !!masks?.input };
}

/**
 * The general forward, time-major, M = T·B rows. Layer 0's input is the embedding's rows (a
 * gather from the parameters by token id, times the input dropout), the floats (their own buffer,
 * or a copy times the input dropout), or none for one-hot ids (the column gather, as in the
 * classic plan). Each unit u = k·D + d projects its input (the reverse direction a per-row
 * reversal of it) and runs its recurrence; the reverse direction keeps its states in the order it
 * took its steps. Layer k's output [M, D·H] is both directions' states routed back to time order,
 * times the mask of the next layer's input (dropout ⊙ lengths); the top's goes to the head (or is
 * the output).
 */
export function generalForwardPlan(e: Engine, ws: Workspace): Plan {
  const g = ws.general!;
  const { hiddenSize: H, numLayers: L, outputSize: O } = e.cfg;
  const { B, T } = ws;
  const M = B * T;
  const D = e.directions;
  const DH = D * H;
  const GH = e.gates * H;
  const lay = e.lay;
  const I0 = layerInputSize(e.cfg, 0);
  const plan: Plan = [];
  const inMask: Mask | null = g.inputMask ? [g.inputDropout, I0, 0, false] : null;
  if (lay.embedding >= 0) plan.push(routeOp(e, M, I0, [e.params, lay.embedding, I0], ws.ids, [g.layerIn[0], 0, I0], inMask));
  else if (g.layerIn[0] !== ws.x) plan.push(routeOp(e, M, I0, [ws.x, 0, I0], null, [g.layerIn[0], 0, I0], inMask));
  const hasX0 = g.layerIn[0] !== e.unused;
  for (let k = 0; k < L; k++) {
    const Ik = layerInputSize(e.cfg, k);
    const hasX = k > 0 || hasX0;
    if (D === 2 && hasX) plan.push(routeOp(e, M, Ik, [g.layerIn[k], 0, Ik], g.reversal, [g.layerInRev[k], 0, Ik]));
    for (let d = 0; d < D; d++) {
      const u = k * D + d;
      const l = lay.units[u];
      if (!hasX) {
        if (!fusesTokens(e, ws, u)) plan.push(projectionOp(e, ws, u, T, T));
      } else plan.push(...gemm(e, M, GH, Ik, [d ? g.layerInRev[k] : g.layerIn[k], 0, Ik, 1], [e.params, l.wih, 1, l.wihLd], [ws.preact[u], 0, GH], l.bih));
      recurrence(e, ws, u, plan);
    }
    const out = k === L - 1 && !e.cfg.head ? ws.logits : g.layerIn[k + 1];
    for (let d = 0; d < D; d++) {
      const mask: Mask | null = g.masked ? [g.layerMask[k + 1], DH, d * H, false] : null;
      plan.push(routeOp(e, M, H, [ws.h[k * D + d], B * H, H], d ? g.reversal : null, [out, d * H, DH], mask));
    }
  }
  if (e.cfg.head) plan.push(...gemm(e, M, O, DH, [g.layerIn[L], 0, DH, 1], [e.params, lay.headW, 1, lay.headLd], [ws.logits, 0, O], lay.headB));
  return plan;
}

/**
 * The general backward: the head (d head.weight, d head.bias, and d (head input) = dlogits ·
 * head.weight), then from the top layer down: d output routed into each unit's dh (times the
 * mask, in the unit's step order), BPTT, the unit's weight gradients, its share of d input
 * (dA · W_ih; the reverse direction's routed back to time order and added), and last the
 * embedding's gradient, a scatter-add over the rows grouped by token (after a tied head's share).
 */
export function generalBackwardPlan(e: Engine, ws: Workspace): Plan {
  const g = ws.general!;
  const { hiddenSize: H, numLayers: L, outputSize: O, inputSize: I } = e.cfg;
  const { B, T } = ws;
  const M = B * T;
  const D = e.directions;
  const DH = D * H;
  const GH = e.gates * H;
  const lay = e.lay;
  const plan: Plan = [];
  const part = colPartials(e, ws);
  for (const d of ws.dh) plan.push({ kind: 'clear', buffer: d });
  let dOut = ws.dlogits;
  if (e.cfg.head) {
    plan.push(...gemm(e, M, DH, O, [ws.dlogits, 0, O, 1], [e.params, lay.headW, lay.headLd, 1], [g.dHeadIn, 0, DH]));
    plan.push(...gemm(e, O, DH, M, [ws.dlogits, 0, 1, O], [g.layerIn[L], 0, DH, 1], [e.grads, lay.headW, lay.headLd], null, ws));
    plan.push(...colBias(e, part, M, O, ws.dlogits, 0, lay.headB));
    dOut = g.dHeadIn;
  }
  const hasX0 = g.layerIn[0] !== e.unused;
  for (let k = L - 1; k >= 0; k--) {
    // d (layer k's output) into its units' dh, in each unit's step order
    for (let d = 0; d < D; d++) {
      const mask: Mask | null = g.masked ? [g.layerMask[k + 1], DH, d * H, true] : null;
      plan.push(routeOp(e, M, H, [dOut, d * H, DH], d ? g.reversal : null, [ws.dh[k * D + d], B * H, H], mask));
    }
    const Ik = layerInputSize(e.cfg, k);
    const hasX = k > 0 || hasX0;
    const needDX = k > 0 || lay.embedding >= 0;
    for (let d = 0; d < D; d++) {
      const u = k * D + d;
      const l = lay.units[u];
      bptt(e, ws, u, plan);
      // dW_ih = dAᵀ · X (the direction's own input), or the one-hot columns
      if (!hasX) plan.push(...colTokens(e, ws, part, M, GH, ws.dPreact, I, l.wih, l.wihLd, d));
      else plan.push(...gemm(e, GH, Ik, M, [ws.dPreact, 0, 1, GH], [d ? g.layerInRev[k] : g.layerIn[k], 0, Ik, 1], [e.grads, l.wih, l.wihLd], null, ws));
      const dR = e.cfg.cell === 'gru' ? M * GH : 0;
      plan.push(...colBias(e, part, M, GH, ws.dPreact, 0, l.bih, dR === 0 ? l.bhh : null));
      plan.push(...gemm(e, GH, H, M, [ws.dPreact, dR, 1, GH], [ws.h[u], 0, H, 1], [e.grads, l.whh, l.whhLd], null, ws));
      if (dR !== 0) plan.push(...colBias(e, part, M, GH, ws.dPreact, dR, l.bhh));
      // d input = dA · W_ih, in the direction's step order
      if (needDX) plan.push(...gemm(e, M, Ik, GH, [ws.dPreact, 0, GH, 1], [e.params, l.wih, l.wihLd, 1], [d ? g.dLayerInRev : g.dLayerIn, 0, Ik]));
      plan.push(...carryOut(e, ws, u));
    }
    if (needDX && D === 2) plan.push(routeOp(e, M, Ik, [g.dLayerInRev, 0, Ik], g.reversal, [g.dLayerIn, 0, Ik], null, true));
    if (k > 0) dOut = g.dLayerIn;
    else if (lay.embedding >= 0) {
      // d E[v] = Σ_{rows of token v} d X_0 ⊙ input mask, after the tied head's share
      plan.push(embeddingGradOp(e, M, Ik, I, g.dLayerIn, ws.idsByToken, g.inputMask ? g.inputDropout : null, e.cfg.tied));
    }
  }
  return plan;
}
