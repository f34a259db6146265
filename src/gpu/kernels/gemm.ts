// GEMM: C[m, n] = Σ_k A[m, k] B[k, n] (+ bias[n]) over strided views of any buffers
// (shaders/gemm_views.wgsl: each operand a buffer, a float offset and two strides), for the input
// projections of a whole sequence, the head, and every weight gradient over T·B rows. Variants:
//   gemm.wgsl       GPUs: 64×64 tiles in workgroup memory, split-K with a summing pass where the
//                   result has few tiles and K is long (splitK)
//   gemm_rb.wgsl    CPU adapters: 4×4 register blocks, no barriers, vec4 loads where aligned
//   gemm_team.wgsl  CPU adapters with 4-wide subgroups: teams of 8 rows × 32 columns
//   gemm_rows.wgsl  the same adapters, 64 rows of C or more: the one-row product with K written
//                   out (rows.ts), K cut into equal slices past ROW_MAX_K (rowSplit)
import gemmSrc from '../../../shaders/gemm.wgsl?raw';
import gemmRbSrc from '../../../shaders/gemm_rb.wgsl?raw';
import gemmViews from '../../../shaders/gemm_views.wgsl?raw';
import team from '../../../shaders/team.wgsl?raw';
import gemmTeamSrc from '../../../shaders/gemm_team.wgsl?raw';
import rows from '../../../shaders/rows.wgsl?raw';
import gemmRowsSrc from '../../../shaders/gemm_rows.wgsl?raw';
import { parameterSpecs, sizeOf } from '../../model/config.js';
import { kernel, type Constants } from '../pipelines.js';
import { ROW_MAX_K } from '../rows.js';
import type { Engine, Op } from '../engine.js';
import type { Workspace } from '../workspace.js';

const tiled = `${gemmViews}\n${gemmSrc}`;
const teamTile = `${team}\n${gemmViews}\n${gemmTeamSrc}`;
export const GEMM = kernel('gemm', tiled, 'main', 'rrrw');
export const GEMM_SPLIT_SUM = kernel('gemmSplitSum', tiled, 'split_sum', 'rrrw');
export const GEMM_RB = kernel('gemmRb', `${gemmViews}\n${gemmRbSrc}`, 'main', 'rrrwrr');
export const GEMM_TEAM = kernel('gemmTeam', teamTile, 'main', 'rrrw', { subgroups: true });
export const GEMM_ROWS = kernel('gemmRows', `${teamTile}\n${rows}\n${gemmRowsSrc}`, 'row_gemm', 'rrrw', { subgroups: true, rows: true });

/** An operand A: buffer, float offset, stride per m, stride per k. */
export type ViewA = [GPUBuffer, number, number, number];
/** An operand B: buffer, float offset, stride per k, stride per n. */
export type ViewB = [GPUBuffer, number, number, number];
/** The result C: buffer, float offset, leading dimension. */
export type ViewC = [GPUBuffer, number, number];

/**
 * C = A·B (+ the bias at float offset `bias` of the parameters). `ws` owns split-K's scratch; without
 * it no split.
 */
export function gemm(e: Engine, M: number, N: number, K: number, a: ViewA, b: ViewB, c: ViewC, bias: number | null = null, ws: Workspace | null = null): Op[] {
  const common = {
    M, N, K, A_OFF: a[1], A_SM: a[2], A_SK: a[3], B_OFF: b[1], B_SK: b[2], B_SN: b[3],
    C_OFF: c[1], C_LD: c[2], BIAS_OFF: bias ?? 0, HAS_BIAS: bias !== null,
  };
  if (e.choice.family !== 'cpu') {
    const S = ws ? splitK(M, N, K) : 1;
    if (S === 1) return [e.op(GEMM, common, [a[0], b[0], e.params, c[0]], [Math.ceil(N / 64), Math.ceil(M / 64)])];
    const part = e.owner.storage('split-K partial sums', S * M * N);
    ws!.extra.push(part);
    const split = { ...common, K_SPLIT: S };
    return [
      e.op(GEMM, split, [a[0], b[0], e.params, part], [Math.ceil(N / 64), S * Math.ceil(M / 64)]),
      e.op(GEMM_SPLIT_SUM, split, [part, e.unused, e.params, c[0]], M * N),
    ];
  }
  return cpuGemm(e, M, N, K, a, b, c, common, ws);
}

/**
 * gemm on CPU adapters: where subgroups are 4 wide the one-row product (shaders/gemm_rows.wgsl)
 * over 64 rows of C or more, its K written out whole or, with `ws` (which owns the scratch), in
 * equal slices (rowSplit), else the team tile; without such subgroups 4×4 register blocks.
 */
function cpuGemm(e: Engine, M: number, N: number, K: number, a: ViewA, b: ViewB, c: ViewC, common: Constants, ws: Workspace | null): Op[] {
  if (e.choice.team) {
    const bufs = (x: GPUBuffer, y: GPUBuffer): GPUBuffer[] => [x, y, e.params, c[0]];
    // B's N columns held by ⌈N / 8⌉ invocations while workgroups walk C's rows: at least 64 rows
    // each (a workgroup's copy of B costs about what 6 rows of product do), up to 16 workgroups
    // in all (SwiftShader runs them on a worker thread per core)
    const ROW_WG = 4 * Math.ceil(N / 32);
    const byRows = M >= 64 && e.choice.rowWorkgroupFits(ROW_WG);
    const walkers = (slices: number): number => Math.max(1, Math.min(Math.floor(M / 64), Math.ceil(16 / slices)));
    if (byRows && K <= ROW_MAX_K) {
      return [e.op(GEMM_ROWS, { ...common, ROW_WG, ROW_K: K }, bufs(a[0], b[0]), [walkers(1), 1])];
    }
    const S = byRows && ws ? rowSplit(K) : 0;
    if (S > 1) {
      // slice s of K into its own block of a scratch buffer, then gemm.wgsl's split_sum
      const part = rowScratch(e, ws!, S * M * N);
      const slice = { ...common, ROW_WG, ROW_K: K / S, ROW_SPLIT: S, C_OFF: 0, C_LD: N, HAS_BIAS: false };
      return [
        e.op(GEMM_ROWS, slice, [a[0], b[0], e.params, part], [walkers(S), S]),
        e.op(GEMM_SPLIT_SUM, { ...common, K_SPLIT: S }, [part, e.unused, e.params, c[0]], M * N),
      ];
    }
    // teams of 8 rows × 32 columns of C, or of Cᵀ = Bᵀ·Aᵀ (B's view as A, A's as B, C's strides
    // swapped, the bias along rows): whichever pads C less
    const pad = (n: number, m: number): number => Math.ceil(n / m) * m;
    const teams = (r: number, cols: number): number => Math.ceil(r / 8) * Math.ceil(cols / 32);
    if (pad(N, 8) * pad(M, 32) < pad(M, 8) * pad(N, 32)) {
      const t = { ...common, M: N, N: M, A_OFF: b[1], A_SM: b[3], A_SK: b[2], B_OFF: a[1], B_SK: a[3], B_SN: a[2], C_LD: 1, C_SN: c[2], BIAS_ROWS: true };
      return [e.teamOp(GEMM_TEAM, t, bufs(b[0], a[0]), teams(N, M))];
    }
    return [e.teamOp(GEMM_TEAM, common, bufs(a[0], b[0]), teams(M, N))];
  }
  // vec4 loads where the operand is 16-byte aligned and contiguous along one of its dimensions
  const al = (...v: number[]): boolean => v.every((x) => x % 4 === 0);
  const A_VEC = a[2] === 1 && al(a[1], a[3]) ? 1 : a[3] === 1 && al(a[1], a[2]) ? 2 : 0;
  const B_VEC = b[3] === 1 && al(b[1], b[2]) ? 1 : b[2] === 1 && al(b[1], b[3]) ? 2 : 0;
  return [e.op(GEMM_RB, { ...common, A_VEC, B_VEC }, [a[0], b[0], e.params, c[0], a[0], b[0]], Math.ceil(M / 4) * Math.ceil(N / 4))];
}

/**
 * The scratch buffer every split row GEMM of a workspace shares (they run one after another in
 * its command buffer): their K is its T·B rows, their result a weight gradient, so it holds
 * rowSplit(T·B) blocks of the largest parameter.
 */
function rowScratch(e: Engine, ws: Workspace, floats: number): GPUBuffer {
  const size = rowSplit(ws.T * ws.B) * Math.max(...parameterSpecs(e.cfg).map((p) => sizeOf(p.shape)));
  if (floats > size) throw new Error(`internal: a split row GEMM needs ${floats} floats of scratch, more than the ${size} sized for`);
  if (!ws.rowScratch) {
    ws.rowScratch = e.owner.storage('row GEMM slices', size);
    ws.extra.push(ws.rowScratch);
  }
  return ws.rowScratch;
}

/**
 * The team kernels' split of a GEMM's K into equal slices the one-row product can write out
 * (shaders/gemm_rows.wgsl; the weight gradients over T·B rows): the fewest slices of at most
 * ROW_MAX_K that divide K exactly, at most 32; 0 where there are none (K prime past ROW_MAX_K,
 * say: the team tile then), 1 where K needs no split.
 */
export function rowSplit(K: number): number {
  for (let S = Math.ceil(K / ROW_MAX_K); S <= 32; S++) if (K % S === 0) return S;
  return 0;
}

/**
 * Split-K slices for the GPU GEMM (shaders/gemm.wgsl) of an M × N result over K: 1 unless the
 * result has few 64×64 tiles and K is long (the weight gradients over T·B rows: d fc.weight is 65
 * rows), then enough slices for about 128 workgroups (a big GPU has ~132 SMs; the first H100 runs
 * measured d fc.weight at RNN H1024 B256, 32 workgroups over K = 16384, at 0.9 ms), each at least
 * 512 k, at most 32.
 */
export function splitK(M: number, N: number, K: number): number {
  const tiles = Math.ceil(M / 64) * Math.ceil(N / 64);
  if (tiles >= 64 || K < 1024) return 1;
  return Math.max(1, Math.min(Math.ceil(128 / tiles), Math.floor(K / 512), 32));
}
