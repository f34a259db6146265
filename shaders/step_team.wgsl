// The fused recurrent step of shaders/step.wgsl on the team tile (shaders/team.wgsl), for CPU
// adapters with 4-wide subgroups (appended after step.wgsl and team.wgsl).
// Split: a team takes 8 batch rows (h_{t-1}, the broadcast operand) × 4·U units, an invocation the
// G gates of U = ⌊8 / G⌋ units (RNN 8, LSTM 2, GRU 2: 6 of its 8 columns used), its column c being
// W_hh's row for gate ⌊c / U⌋ of unit j0 + c % U; then the cell update of each (row, unit) it holds.
// Entries: team (one time step a dispatch) and team_seq (every step in one dispatch).
var<private> tmH: u32;  // where h_{t-1} starts in hs
var<private> tmB0: u32; // the team's first batch row
var<private> tmJ0: u32; // this invocation's first unit

fn teamUnits() -> u32 { return 8u / gates(); }

// The operands for teamTile: h_{t-1}'s rows, W_hh's rows; rows and units past B, H clamped
// (computed, not written). W_hh's row for column c: unit tmJ0 + c (RNN, U = 8), else gate c / 2
// of unit tmJ0 + c % 2 (U = 2).
fn teamARow(i: u32) -> u32 { return tmH + min(tmB0 + i, B - 1u) * H; }
fn teamAK(k: u32) -> u32 { return k; }
fn teamALoad(p: u32) -> f32 { return hs[p]; }
fn teamBCol(c: u32) -> u32 {
  var row = min(tmJ0 + c, H - 1u);
  if (gates() > 1u) { row = min(c >> 1u, gates() - 1u) * H + min(tmJ0 + (c & 1u), H - 1u); }
  return WHH_OFF + row * WHH_LD;
}
fn teamBK(k: u32) -> u32 { return k; }
fn teamBLoad(p: u32) -> f32 { return params[p]; }

// Time step t of this invocation's block (placed in tmB0, tmJ0): the product, then the cell update
// of each (row, unit) it holds; rows and units past B, H are computed, not written. Guards rather
// than breaks, so that the sequence entry's barriers stay in uniform control flow.
fn teamStep(t: u32, lane: u32) {
  let G = gates();
  let U = teamUnits();
  tmH = t * B * H;
  var blk = teamTile(lane, H);
  for (var u = 0u; u < U; u++) {
    let j = tmJ0 + u;
    for (var i = 0u; i < 8u; i++) {
      let b = tmB0 + i;
      if (j < H && b < B) {
        // gate g of unit u is column g·U + u; constant components (see cellUpdate)
        var r = vec4<f32>(teamAt(&blk, i, u), 0.0, 0.0, 0.0);
        if (G > 1u) { r.y = teamAt(&blk, i, U + u); r.z = teamAt(&blk, i, 2u * U + u); }
        if (G > 3u) { r.w = teamAt(&blk, i, 3u * U + u); }
        cellUpdate(t, b, j, r);
      }
    }
  }
}

// `team`: one time step (step.t0) per dispatch, teams over every row block and column tile.
@compute @workgroup_size(TEAM_WG)
fn team(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(subgroup_invocation_id) lane: u32) {
  let corner = teamCorner(gid, nwg, lane, H, teamUnits());
  tmB0 = corner.x;
  tmJ0 = corner.y;
  teamStep(step.t0, lane);
}

// `team_seq`: steps step.t0 … + nsteps − 1 in one dispatch. Workgroup w takes batch rows 8w … 8w + 7
// (rows of different workgroups share nothing), its TEAM_WG / 4 subgroups the row block's column
// tiles in turn (subgroup s: tiles s, s + S, …, so each (row, unit) keeps its invocation), with a
// barrier between time steps. Saves a dispatch per step (about 0.3 ms each on SwiftShader here).
@compute @workgroup_size(TEAM_WG)
fn team_seq(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32,
            @builtin(subgroup_invocation_id) lane: u32) {
  let U = teamUnits();
  let S = TEAM_WG / 4u;
  let nq = (H + 4u * U - 1u) / (4u * U);
  tmB0 = wid.x * 8u;
  for (var t = step.t0; t < step.t0 + step.nsteps; t++) {
    for (var q0 = 0u; q0 < nq; q0 += S) {
      tmJ0 = (q0 + li / 4u) * 4u * U + lane * U;
      teamStep(t, lane);
    }
    storageBarrier();
    workgroupBarrier();
  }
}
