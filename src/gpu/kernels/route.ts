// Row routes between the general plan's layers (shaders/route.wgsl): gathers of rows through an
// index map (a row's reversal inside its length, or token ids into the embedding) times a mask,
// and the embedding's gradient, a scatter-add over the rows grouped by token in a fixed order.
import route from '../../../shaders/route.wgsl?raw';
import { kernel } from '../pipelines.js';
import type { Engine, Op } from '../engine.js';

export const ROUTE_GATHER = kernel('routeGather', route, 'gather', 'rrrw');
export const ROUTE_SCATTER = kernel('routeScatter', route, 'scatter_csr', 'rrrw');

/** A buffer, a float offset, a leading dimension. */
export type Rows = [GPUBuffer, number, number];
/** A mask: buffer, leading dimension, offset, and whether it is indexed by the source row (else the output row). */
export type Mask = [GPUBuffer, number, number, boolean];

/** out[r] (+)= src[i(r)] ⊙ mask over M rows of C floats; `idx` null for the identity. */
export function routeOp(e: Engine, M: number, C: number, src: Rows, idx: GPUBuffer | null, out: Rows, mask: Mask | null = null, acc = false): Op {
  const c = {
    ROWS: M, C, IN_OFF: src[1], LD_IN: src[2], OUT_OFF: out[1], LD_OUT: out[2], ACC: acc, IDENTITY: idx === null,
    HAS_MASK: mask !== null, LD_MASK: mask?.[1] ?? 1, MASK_OFF: mask?.[2] ?? 0, MASK_BY_SRC: mask?.[3] ?? false,
  };
  return e.op(ROUTE_GATHER, c, [src[0], idx ?? e.unused, mask?.[0] ?? e.unused, out[0]], M * C);
}

/**
 * d E[v] (+)= Σ_{rows of token v} dX[row] ⊙ mask into the gradient buffer at the embedding's
 * offset: M rows of E floats, V tokens, `byToken` the rows grouped by token (io.ts rowsByToken).
 */
export function embeddingGradOp(e: Engine, M: number, E: number, V: number, dX: GPUBuffer, byToken: GPUBuffer, mask: GPUBuffer | null, acc: boolean): Op {
  const c = { ROWS: M, C: E, V, LD_IN: E, OUT_OFF: e.lay.embedding, ACC: acc, HAS_MASK: mask !== null, LD_MASK: E };
  return e.op(ROUTE_SCATTER, c, [dX, byToken, mask ?? e.unused, e.grads], V * E);
}
