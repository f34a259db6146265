// The whole recurrence of a unit in ONE dispatch on GPUs (shaders/sequence.wgsl): a workgroup
// per 4 batch rows walks every time step, its rows' state in workgroup memory, W_hh streamed
// from W_hhᵀ (transpose.wgsl, refreshed by each forward) so that consecutive invocations read
// consecutive words; BPTT the same backwards. KernelChoice.sequence (limits.ts) says when it fits
// and pays.
import sequence from '../../../shaders/sequence.wgsl?raw';
import transpose from '../../../shaders/transpose.wgsl?raw';
import { kernel } from '../pipelines.js';
import type { Engine, Op } from '../engine.js';
import type { SequenceSplit } from '../limits.js';
import type { Workspace } from '../workspace.js';

// params, preact, h, c, gates, dh, dPreact, carry, [steps], W_hhᵀ: 9 storage bindings, one more
// than WebGPU's default maxStorageBuffersPerShaderStage
export const SEQ_FORWARD = kernel('seqForward', sequence, 'forward', 'rrwwwrwwdr');
export const SEQ_BACKWARD = kernel('seqBackward', sequence, 'backward', 'rrwwwrwwdr');
export const TRANSPOSE = kernel('transpose', transpose, 'main', 'rw');

/** W_hhᵀ of unit u into its buffer, for the one-dispatch forward. */
export function transposeOp(e: Engine, u: number): Op {
  const l = e.lay.units[u];
  const H = e.cfg.hiddenSize;
  const GH = e.gates * H;
  e.whhT[u] ??= e.owner.storage(`W_hh^T l${u}`, GH * H);
  return e.op(TRANSPOSE, { ROWS: GH, COLS: H, OFF: l.whh, LD: l.whhLd }, [e.params, e.whhT[u]], GH * H);
}

export function sequenceOp(e: Engine, ws: Workspace, u: number, dir: 'forward' | 'backward', p: SequenceSplit): Op {
  const l = e.lay.units[u];
  const H = e.cfg.hiddenSize;
  const GH = e.gates * H;
  const c = {
    H, B: ws.B, CELL: e.cellCode(), ACT: e.actCode(), WHH_OFF: l.whh, WHH_LD: l.whhLd, BHH_OFF: l.bhh,
    HAS_BHH: l.hasBhh, K_SLICES: p.kSlices, WG_SIZE: p.workgroupSize, SV: dir === 'forward' ? H : GH,
    PART: Math.max(1, (p.kSlices - 1) * (dir === 'forward' ? GH : H)),
  };
  const bufs = [e.params, ws.preact[u], ws.h[u], ws.c[u], ws.gates[u], ws.dh[u], ws.dPreact, ws.carry[u], dir === 'forward' ? e.whhT[u] : e.unused];
  return e.op(dir === 'forward' ? SEQ_FORWARD : SEQ_BACKWARD, c, bufs, [Math.ceil(ws.B / 4), 1], ws, ws.T);
}
