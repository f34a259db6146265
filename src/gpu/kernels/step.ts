// The recurrence one time step a dispatch, forward and back: for unit u at step t,
//   forward  r = W_hh h_{t−1} + b_hh, then the cell (shaders/cells.wgsl) from preact_t and r
//   BPTT     dA_t, dR_t from dh_t and the cell's saved gates; dh_{t−1} += dR_t · W_hh
// and d h0 (d c0) at the end. Variants:
//   step.wgsl / bptt.wgsl  tiled (GPUs: shaders/tile.wgsl's register tile, K split across the
//                          invocations of a workgroup) or blocked (CPU adapters: 4×4, no barriers)
//   step_team / bptt_team  CPU adapters with 4-wide subgroups: the team tile (shaders/team.wgsl),
//                          per step, or the whole sequence in one dispatch (team_seq)
//   step_rows / bptt_rows  the same adapters: the whole sequence, a workgroup per batch row, the
//                          product written out (rows.ts) where K ≤ ROW_MAX_K
import tile from '../../../shaders/tile.wgsl?raw';
import step from '../../../shaders/step.wgsl?raw';
import bptt from '../../../shaders/bptt.wgsl?raw';
import team from '../../../shaders/team.wgsl?raw';
import stepTeam from '../../../shaders/step_team.wgsl?raw';
import bpttTeam from '../../../shaders/bptt_team.wgsl?raw';
import rows from '../../../shaders/rows.wgsl?raw';
import stepRows from '../../../shaders/step_rows.wgsl?raw';
import bpttRows from '../../../shaders/bptt_rows.wgsl?raw';
import { kernel, type Constants } from '../pipelines.js';
import { ROW_MAX_K } from '../rows.js';
import type { Engine, Op } from '../engine.js';
import type { Workspace } from '../workspace.js';

const stepSrc = `${tile}\n${step}`;
const bpttSrc = `${tile}\n${bptt}`;
const stepTeamSrc = `${stepSrc}\n${team}\n${stepTeam}`;
const bpttTeamSrc = `${bpttSrc}\n${team}\n${bpttTeam}`;
const SUB = { subgroups: true };
const ROWS = { subgroups: true, rows: true };
// forward: params, preact, h, c, gates, [step], ids; backward: params, h, c, gates, dh, dPreact, carry, [step]
export const STEP_TILED = kernel('stepTiled', stepSrc, 'tiled', 'rrwwwdr');
export const STEP_BLOCKED = kernel('stepBlocked', stepSrc, 'blocked', 'rrwwwdr');
export const BACK_TILED = kernel('backTiled', bpttSrc, 'back_tiled', 'rrrrrwwd');
export const BACK_BLOCKED = kernel('backBlocked', bpttSrc, 'back_blocked', 'rrrrrwwd');
export const H0_TILED = kernel('h0Tiled', bpttSrc, 'h0_tiled', 'rrrrrwwd');
export const H0_BLOCKED = kernel('h0Blocked', bpttSrc, 'h0_blocked', 'rrrrrwwd');
export const STEP_TEAM = kernel('stepTeam', stepTeamSrc, 'team', 'rrwwwdr', SUB);
export const STEP_TEAM_SEQ = kernel('stepTeamSeq', stepTeamSrc, 'team_seq', 'rrwwwdr', SUB);
export const BACK_TEAM = kernel('backTeam', bpttTeamSrc, 'back_team', 'rrrrrwwd', SUB);
export const H0_TEAM = kernel('h0Team', bpttTeamSrc, 'h0_team', 'rrrrrwwd', SUB);
export const BACK_TEAM_SEQ = kernel('backTeamSeq', bpttTeamSrc, 'back_team_seq', 'rrrrrwwd', SUB);
export const STEP_ROW_SEQ = kernel('stepRowSeq', `${stepTeamSrc}\n${rows}\n${stepRows}`, 'row_seq', 'rrwwwdr', ROWS);
export const BACK_ROW_SEQ = kernel('backRowSeq', `${bpttTeamSrc}\n${rows}\n${bpttRows}`, 'back_row_seq', 'rrrrrwwd', ROWS);

/**
 * Whether unit u's step kernels read their input pre-activations straight from the token ids
 * (shaders/step.wgsl A_TOKENS) instead of a projection pass: the team kernels' layer 0 of one-hot
 * inputs (the pass wrote and the step read back T·B·G·H floats; SwiftShader pays per load).
 */
export function fusesTokens(e: Engine, ws: Workspace, u: number): boolean {
  return e.choice.team && u < e.directions && ws.tokens && e.lay.embedding < 0;
}

/** The token ids direction d reads: as given, or reversed within each row's length. */
export function idsOf(ws: Workspace, d: number): GPUBuffer {
  return d ? ws.general!.idsRev : ws.ids;
}

/** The step kernels' constants and buffers for unit u (shaders/step.wgsl). */
function stepArgs(e: Engine, ws: Workspace, u: number): { c: Constants; bufs: GPUBuffer[] } {
  const l = e.lay.units[u];
  const fuse = fusesTokens(e, ws, u);
  const ids = fuse ? idsOf(ws, u % e.directions) : e.unused;
  const c = {
    H: e.cfg.hiddenSize, B: ws.B, CELL: e.cellCode(), ACT: e.actCode(), WHH_OFF: l.whh, WHH_LD: l.whhLd, BHH_OFF: l.bhh, HAS_BHH: l.hasBhh,
    ...(fuse ? { A_TOKENS: true, WIH_OFF: l.wih, WIH_LD: l.wihLd, BIH_OFF: l.bih } : {}),
  };
  return { c, bufs: [e.params, ws.preact[u], ws.h[u], ws.c[u], ws.gates[u], ids] };
}

/** The BPTT kernels' constants and buffers for unit u (shaders/bptt.wgsl). */
function backArgs(e: Engine, ws: Workspace, u: number): { c: Constants; bufs: GPUBuffer[] } {
  const l = e.lay.units[u];
  const c = { H: e.cfg.hiddenSize, B: ws.B, CELL: e.cellCode(), ACT: e.actCode(), WHH_OFF: l.whh, WHH_LD: l.whhLd };
  return { c, bufs: [e.params, ws.h[u], ws.c[u], ws.gates[u], ws.dh[u], ws.dPreact, ws.carry[u]] };
}

/** Unit u's forward step t. */
export function stepOp(e: Engine, ws: Workspace, u: number, t: number): Op {
  const H = e.cfg.hiddenSize;
  const G = e.gates;
  const { c, bufs } = stepArgs(e, ws, u);
  if (e.choice.team) {
    const U = Math.floor(8 / G); // units an invocation, 4·U a team of 8 rows
    return e.teamOp(STEP_TEAM, c, bufs, Math.ceil(ws.B / 8) * Math.ceil(H / (4 * U)), ws, t);
  }
  if (e.choice.family === 'cpu') {
    const units = G > 1 ? 1 : 4; // a column is a gate of one unit, or a unit (RNN)
    return e.op(STEP_BLOCKED, c, bufs, Math.ceil(ws.B / 4) * Math.ceil(H / units), ws, t);
  }
  const cols = Math.ceil(H / Math.floor(32 / G)); // tiles of ⌊32 / G⌋ units × G gates
  const { rowsPerInvocation, kSlices } = e.choice.stepTile(cols, ws.B, H);
  return e.op(STEP_TILED, { ...c, ROWS_PER_INV: rowsPerInvocation, K_SLICES: kSlices }, bufs, [cols, Math.ceil(ws.B / (8 * rowsPerInvocation))], ws, t);
}

/** Unit u's BPTT at step t (or d h0 when `h0`): tiled on GPUs; on CPU adapters team tiles or 4×4 blocks. */
export function backOp(e: Engine, ws: Workspace, u: number, t: number, h0: boolean): Op {
  const H = e.cfg.hiddenSize;
  const { c, bufs } = backArgs(e, ws, u);
  if (e.choice.team) return e.teamOp(h0 ? H0_TEAM : BACK_TEAM, c, bufs, Math.ceil(ws.B / 8) * Math.ceil(H / 32), ws, t);
  if (e.choice.family === 'cpu') return e.op(h0 ? H0_BLOCKED : BACK_BLOCKED, c, bufs, Math.ceil(ws.B / 4) * Math.ceil(H / 4), ws, t);
  const { rowsPerInvocation, kSlices } = e.choice.stepTile(Math.ceil(H / 32), ws.B, e.gates * H);
  const tileC = { ...c, ROWS_PER_INV: rowsPerInvocation, K_SLICES: kSlices };
  return e.op(h0 ? H0_TILED : BACK_TILED, tileC, bufs, [Math.ceil(H / 32), Math.ceil(ws.B / (8 * rowsPerInvocation))], ws, t);
}

/**
 * The team kernels' one-dispatch recurrence of unit u. Where its product is short enough to be
 * written out (K = H forward, G·H backward, at most ROW_MAX_K), the one-row form (shaders/rows.wgsl:
 * a workgroup per batch row, 0.5–0.6× the time of the other on SwiftShader); else the team tile
 * (step_team.wgsl team_seq, bptt_team.wgsl back_team_seq: a workgroup per 8 batch rows).
 */
export function teamSequenceOp(e: Engine, ws: Workspace, u: number, dir: 'forward' | 'backward'): Op {
  const { c, bufs } = dir === 'forward' ? stepArgs(e, ws, u) : backArgs(e, ws, u);
  const H = e.cfg.hiddenSize;
  const K = dir === 'forward' ? H : e.gates * H;
  // an invocation's columns: the gates of ⌊8 / G⌋ units forward, 8 units backward
  const units = dir === 'forward' ? Math.floor(8 / e.gates) : 8;
  const ROW_WG = 4 * Math.ceil(H / units / 4);
  if (K <= ROW_MAX_K && e.choice.rowWorkgroupFits(ROW_WG) && e.choice.workgroupsFit(ws.B)) {
    return e.op(dir === 'forward' ? STEP_ROW_SEQ : BACK_ROW_SEQ, { ...c, ROW_WG, ROW_K: K }, bufs, [ws.B, 1], ws, ws.T);
  }
  return e.op(dir === 'forward' ? STEP_TEAM_SEQ : BACK_TEAM_SEQ, { ...c, TEAM_WG: 4 }, bufs, [Math.ceil(ws.B / 8), 1], ws, ws.T);
}
