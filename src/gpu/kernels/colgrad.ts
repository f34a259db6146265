// Column reductions into the gradient buffer (shaders/colgrad.wgsl): a bias's gradient
// db[n] = Σ_m dY[m, n], and the one-hot columns' dW[n, v] = Σ_{m: ids[m] = v} dY[m, n], over the
// T·B rows of a workspace; long columns in row chunks whose partials a second pass sums in order.
import colgrad from '../../../shaders/colgrad.wgsl?raw';
import { kernel } from '../pipelines.js';
import type { Engine, Op } from '../engine.js';
import type { Workspace } from '../workspace.js';

export const COL_BIAS = kernel('colBias', colgrad, 'bias', 'rrw');
export const COL_TOKENS = kernel('colTokens', colgrad, 'tokens', 'rrw');
export const COL_CHUNKS = kernel('colChunks', colgrad, 'chunks', 'rrw');
export const COL_TOKENS_CSR = kernel('colTokensCsr', colgrad, 'tokens_csr', 'rrw');

/** Floats of chunk partials a workspace may hold. */
const COL_SCRATCH = 1 << 22;

/**
 * Row chunks of a column reduction over M rows into N·V outputs (V = 1 for a bias): chunks of at
 * least 256 rows on a GPU (2048 on CPU adapters, so the sizes SwiftShader trains at stay one
 * dispatch), and of at least V rows, so the partials written stay below the dY words read; at
 * most 256 chunks, COL_SCRATCH floats of partials, and 65535 workgroups along y. M below two
 * minimum chunks: one chunk, written straight into the gradient (one dispatch).
 */
function colChunks(e: Engine, M: number, N: number, V: number): { chunks: number; rows: number } {
  const minRows = Math.max(e.choice.family === 'gpu' ? 256 : 2048, V);
  const cap = Math.min(256, Math.floor(COL_SCRATCH / (N * V)), Math.floor(65535 / Math.ceil(V / 64)));
  const want = Math.max(1, Math.min(Math.floor(M / minRows), cap));
  const rows = Math.ceil(M / want);
  return { chunks: Math.ceil(M / rows), rows };
}

/**
 * The partials buffer shared by a backward plan's column reductions (they run one after
 * another): the largest chunks · N · V of its colBias / colTokens calls, owned by the workspace.
 */
export function colPartials(e: Engine, ws: Workspace): GPUBuffer {
  const { outputSize: O, inputSize: I, hiddenSize: H } = e.cfg;
  const M = ws.B * ws.T;
  const GH = e.gates * H;
  const shapes = [[O, 1], [GH, 1]];
  if (ws.tokens) shapes.push([O, I], [GH, I]);
  let need = 0;
  for (const [N, V] of shapes) {
    const { chunks } = colChunks(e, M, N, V);
    if (chunks > 1) need = Math.max(need, chunks * N * V);
  }
  if (need === 0) return e.unusedWritable();
  const b = e.owner.storage('column partials', need);
  ws.extra.push(b);
  return b;
}

/**
 * db[n] = Σ_m dY[m, n] into the gradient buffer at `out`, and at `out2` too when given (b_hh's
 * gradient where dR is dA: one sum, not two); through `part` when M is split.
 */
export function colBias(e: Engine, part: GPUBuffer, M: number, N: number, dY: GPUBuffer, dyOff: number, out: number, out2: number | null = null): Op[] {
  const { chunks, rows } = colChunks(e, M, N, 1);
  const c = { M, N, DY_OFF: dyOff, ROWS: rows };
  const dup = { OUT2_OFF: out2 ?? 0, HAS_OUT2: out2 !== null };
  const wgs: [number, number] = [Math.ceil(N / 64), chunks];
  if (chunks === 1) return [e.op(COL_BIAS, { ...c, OUT_OFF: out, ...dup }, [dY, e.unused, e.grads], wgs)];
  return [
    e.op(COL_BIAS, { ...c, OUT_OFF: 0, LD_C: N }, [dY, e.unused, part], wgs),
    e.op(COL_CHUNKS, { M, N, CHUNKS: chunks, OUT_OFF: out, ...dup }, [part, e.unused, e.grads], N),
  ];
}

/**
 * dW[n, v] = Σ_{m: ids[m] = v} dY[m, n]: the gradient of the one-hot columns W[:, v], W's
 * leading dimension `ld`, for direction d's ids (through `part` when M is split). The vocabulary
 * goes in VCN chunks of VCH ≤ 64 entries, as even as they come (V = 65: two of 33). CPU adapters:
 * over the rows grouped by token (tokens_csr), one invocation per output.
 */
export function colTokens(e: Engine, ws: Workspace, part: GPUBuffer, M: number, N: number, dY: GPUBuffer, V: number, out: number, ld: number, d = 0): Op[] {
  if (e.choice.family === 'cpu') {
    const byToken = d ? ws.general!.idsByTokenRev : ws.idsByToken;
    return [e.op(COL_TOKENS_CSR, { M, N, V, OUT_OFF: out, LD_N: ld, LD_V: 1 }, [dY, byToken, e.grads], N * V)];
  }
  const ids = d ? ws.general!.idsRev : ws.ids;
  const VCN = Math.ceil(V / 64);
  const VCH = Math.ceil(V / VCN);
  const { chunks, rows } = colChunks(e, M, N, V);
  const c = { M, N, V, VCH, VCN, ROWS: rows };
  const wgs: [number, number] = [Math.ceil(N / 64), VCN * chunks];
  if (chunks === 1) return [e.op(COL_TOKENS, { ...c, OUT_OFF: out, LD_N: ld }, [dY, ids, e.grads], wgs)];
  return [
    e.op(COL_TOKENS, { ...c, OUT_OFF: 0, LD_N: 1, LD_V: N, LD_C: V * N }, [dY, ids, part], wgs),
    e.op(COL_CHUNKS, { M, N, V, CHUNKS: chunks, OUT_OFF: out, LD_N: ld }, [part, e.unused, e.grads], N * V),
  ];
}
