// BPTT's recurrent term (shaders/bptt.wgsl) on the team tile (shaders/team.wgsl), for CPU adapters
// with 4-wide subgroups (appended after bptt.wgsl and team.wgsl): Σ_i dR[t+1, b, i] · W_hh[i, j]
// over i < G·H, then the cell's backward at (b, j) (back_team: one step a dispatch), or d h0
// (h0_team); back_team_seq runs the whole sweep and d h0 in one dispatch.
// Split: a team takes 8 batch rows (dR, the broadcast operand) × 32 units, an invocation 8 units.
var<private> tmDR: u32; // where dR of the step read starts in dPreact
var<private> tmB0: u32; // the team's first batch row
var<private> tmJ0: u32; // this invocation's first unit

// The operands for teamTile: dR's rows, W_hh's columns; rows and units past B, H clamped
// (computed, not written).
fn teamARow(i: u32) -> u32 { return tmDR + min(tmB0 + i, B - 1u) * gates() * H; }
fn teamAK(k: u32) -> u32 { return k; }
fn teamALoad(p: u32) -> f32 { return dPreact[p]; }
fn teamBCol(j: u32) -> u32 { return WHH_OFF + min(tmJ0 + j, H - 1u); }
fn teamBK(k: u32) -> u32 { return k * WHH_LD; }
fn teamBLoad(p: u32) -> f32 { return params[p]; }

// BPTT at step t for this invocation's block (placed in tmB0, tmJ0): the recurrent term over
// dR[t + 1] (none on the first step of the sweep, t = T − 1), then the cell's backward of each
// (row, unit) it holds; rows and units past B, H are computed, not written (guards, not breaks, so
// that the sequence entry's barriers stay in uniform control flow).
fn backStep(t: u32, lane: u32, first: bool) {
  tmDR = dROffset() + (t + 1u) * B * gates() * H;
  var blk = Team8();
  if (!first) { blk = teamTile(lane, gates() * H); }
  for (var u = 0u; u < 8u; u++) {
    let j = tmJ0 + u;
    for (var i = 0u; i < 8u; i++) {
      if (j < H && tmB0 + i < B) { backElement(t, tmB0 + i, j, teamAt(&blk, i, u), first); }
    }
  }
}

// d h0 for this invocation's block (after step 0): carry[0] = direct_0 + Σ_i dR[0, b, i] W_hh[i, j] + dHin[slot 0].
fn h0Block(lane: u32) {
  tmDR = dROffset();
  var blk = teamTile(lane, gates() * H);
  for (var u = 0u; u < 8u; u++) {
    let j = tmJ0 + u;
    for (var i = 0u; i < 8u; i++) {
      let b = tmB0 + i;
      if (j < H && b < B) { h0Element(b, j, teamAt(&blk, i, u)); }
    }
  }
}

// Places this invocation's block from its global id (per-step entries).
fn teamPlace(gid: vec3<u32>, nwg: vec3<u32>, lane: u32) {
  let corner = teamCorner(gid, nwg, lane, H, 8u);
  tmB0 = corner.x;
  tmJ0 = corner.y;
}

@compute @workgroup_size(TEAM_WG)
fn back_team(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
             @builtin(subgroup_invocation_id) lane: u32) {
  teamPlace(gid, nwg, lane);
  backStep(step.t0, lane, step.first != 0u);
}

@compute @workgroup_size(TEAM_WG)
fn h0_team(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(subgroup_invocation_id) lane: u32) {
  teamPlace(gid, nwg, lane);
  h0Block(lane);
}

// `back_team_seq`: the whole backward sweep, t = T − 1 … 0, then d h0, in one dispatch; the split of
// step_team.wgsl's team_seq (workgroup w: batch rows 8w …; subgroup s: column tiles s, s + S, …,
// so each (row, unit) and its carry keep their invocation), a barrier between steps.
@compute @workgroup_size(TEAM_WG)
fn back_team_seq(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32,
                 @builtin(subgroup_invocation_id) lane: u32) {
  let S = TEAM_WG / 4u;
  let nq = (H + 31u) / 32u;
  let T = step.T;
  tmB0 = wid.x * 8u;
  for (var s = 0u; s <= T; s++) {
    for (var q0 = 0u; q0 < nq; q0 += S) {
      tmJ0 = (q0 + li / 4u) * 32u + lane * 8u;
      if (s < T) { backStep(T - 1u - s, lane, s == 0u); } else { h0Block(lane); }
    }
    storageBarrier();
    workgroupBarrier();
  }
}
