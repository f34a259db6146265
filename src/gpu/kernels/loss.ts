// The loss and its sums: per-row losses and d logits (shaders/loss.wgsl: log-softmax + NLL over
// every step or the last, or MSE; weighted rows with lengths), and ordered sums over a buffer into
// the model's scalars (shaders/reduce.wgsl: the loss, and the squared gradient norm the optimizer
// step reads).
import lossSrc from '../../../shaders/loss.wgsl?raw';
import reduce from '../../../shaders/reduce.wgsl?raw';
import type { LossKind } from '../../model/batch.js';
import { kernel } from '../pipelines.js';
import type { Engine, Op, Plan } from '../engine.js';
import type { Workspace } from '../workspace.js';

export const LOSS = kernel('loss', lossSrc, 'main', 'rrrwwdr');
export const REDUCE = kernel('reduce', reduce, 'main', 'rw');

/**
 * Σ v_i (or Σ v_i² when square) over `count` floats of src into scalars[outIdx]: one workgroup
 * per slice of the input, and when there are several, a second dispatch sums their partials (in
 * `partials`, reduceSlices(count) floats) in order.
 */
export function reduceOps(e: Engine, src: GPUBuffer, count: number, square: boolean, outIdx: number, partials: GPUBuffer): Op[] {
  const { slice, groups } = reduceSlices(e, count);
  if (groups === 1) return [e.op(REDUCE, { COUNT: count, SLICE: slice, SQUARE: square, OUT_IDX: outIdx }, [src, e.scalars], [1, 1])];
  return [
    e.op(REDUCE, { COUNT: count, SLICE: slice, SQUARE: square, OUT_IDX: 0 }, [src, partials], [groups, 1]),
    e.op(REDUCE, { COUNT: groups, SLICE: groups, OUT_IDX: outIdx }, [partials, e.scalars], [1, 1]),
  ];
}

/**
 * Slices of a reduction over `count` floats: on a GPU 8192 floats per workgroup (32 per
 * invocation: 4.5M gradient floats fill the H100 with ~550 workgroups instead of one), at most
 * 4096 of them; on CPU adapters one workgroup up to 64K floats, so small sums stay one dispatch.
 */
export function reduceSlices(e: Engine, count: number): { slice: number; groups: number } {
  const slice = Math.max(e.choice.family === 'gpu' ? 8192 : 65536, Math.ceil(count / 4096));
  return { slice, groups: Math.max(1, Math.ceil(count / slice)) };
}

/** The loss into scalars[0]; weighted: variable lengths, the rows' weights (and nll_last's targets per row) from io.ts. */
export function lossPlan(e: Engine, ws: Workspace, loss: LossKind, weighted = false): Plan {
  const code = loss === 'mse' ? 2 : loss === 'nll_last' && !weighted ? 1 : 0;
  const w = weighted ? ws.lossWeights : e.unused;
  const M = ws.B * ws.T;
  const bufs = [ws.logits, ws.targetIds, ws.targetY, ws.dlogits, ws.rowLoss, w];
  return [
    e.op(LOSS, { O: e.cfg.outputSize, B: ws.B, LOSS: code, WEIGHTED: weighted }, bufs, M, ws, ws.T),
    ...reduceOps(e, ws.rowLoss, M, false, 0, lossPartials(e, ws)),
  ];
}

/** Partials of the loss sum over B·T rows, when that takes more than one workgroup. */
function lossPartials(e: Engine, ws: Workspace): GPUBuffer {
  const { groups } = reduceSlices(e, ws.B * ws.T);
  if (groups === 1) return e.unusedWritable();
  const b = e.owner.storage('loss partials', groups);
  ws.extra.push(b);
  return b;
}
