// Row-wise linear maps over some steps of a workspace (shaders/linear.wgsl): y = W1·act + W2·x + b,
// where act is a state slot of the layer below and x the input (floats, or a one-hot column gather
// by token id). Two uses: the projection of one-hot inputs, preact = W_ih[:, id] + b_ih (whole
// sequences, and a step at a time in stepwise generation), and the tutorial model's head,
// logits = i2o(cat(x_t, h_{t−1})).
import linear from '../../../shaders/linear.wgsl?raw';
import { kernel } from '../pipelines.js';
import type { Engine, Op } from '../engine.js';
import type { Workspace } from '../workspace.js';
import { idsOf } from './step.js';

export const LINEAR = kernel('linear', linear, 'main', 'rrrrwd');

/** preact = W_ih x + b_ih of unit u = k·D + d for steps [entry's t0, +nsteps). */
export function projectionOp(e: Engine, ws: Workspace, u: number, entry: number, nsteps: number): Op {
  const l = e.lay.units[u];
  const d = u % e.directions;
  const k = Math.floor(u / e.directions);
  const { hiddenSize: H, inputSize: I } = e.cfg;
  const GH = e.gates * H;
  return e.op(
    LINEAR,
    {
      N: GH, B: ws.B, K1: H, K2: I, W1_OFF: l.wih, W1_LD: l.wihLd, W2_OFF: l.wih, W2_LD: l.wihLd,
      BIAS_OFF: l.bih, USE_ACT: k > 0, ACT_SLOT: 1, USE_X: k === 0, X_TOKENS: ws.tokens,
    },
    [e.params, k > 0 ? ws.h[k - 1] : e.unused, ws.x, idsOf(ws, d), ws.preact[u]],
    nsteps * ws.B * GH,
    ws,
    entry,
  );
}

/** The head over steps [entry's t0, +nsteps): logits = fc(h_t) (tutorial: i2o(cat(x_t, h_{t−1}))). */
export function headOp(e: Engine, ws: Workspace, entry: number, nsteps: number): Op {
  const { hiddenSize: H, inputSize: I, outputSize: O, numLayers: L } = e.cfg;
  const lay = e.lay;
  const tut = lay.headWx >= 0;
  return e.op(
    LINEAR,
    {
      N: O, B: ws.B, K1: H, K2: I, W1_OFF: lay.headW, W1_LD: lay.headLd, W2_OFF: Math.max(lay.headWx, 0),
      W2_LD: lay.headLd, BIAS_OFF: lay.headB, USE_ACT: true, ACT_SLOT: tut ? 0 : 1, USE_X: tut,
      X_TOKENS: ws.tokens,
    },
    [e.params, ws.h[L - 1], ws.x, ws.ids, ws.logits],
    nsteps * ws.B * O,
    ws,
    entry,
  );
}
