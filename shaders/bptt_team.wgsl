// BPTT's recurrent term (shaders/bptt.wgsl) on the team tile (shaders/team.wgsl), for CPU adapters
// with 4-wide subgroups (appended after bptt.wgsl and team.wgsl): Σ_i dR[t+1, b, i] · W_hh[i, j]
// over i < G·H, then the cell's backward at (b, j) (back_team), or d h0 (h0_team).
// Split: a team takes 8 batch rows (dR, the broadcast operand) × 32 units, an invocation 8 units.
var<private> tmDR: u32; // where dR of the step read starts in dAR
var<private> tmB0: u32; // the team's first batch row
var<private> tmJ0: u32; // this invocation's first unit

fn teamA(i: u32, k: u32) -> f32 {
  let GH = gates() * H;
  let v = dAR[tmDR + min(tmB0 + i, B - 1u) * GH + min(k, GH - 1u)];
  return select(0.0, v, k < GH);
}

fn teamB(j: u32, k: u32) -> f32 {
  return params[WHH_OFF + min(k, gates() * H - 1u) * WHH_LD + min(tmJ0 + j, H - 1u)];
}

// Places this invocation's block over dR at step t; rows and units past B, H are computed, not written.
fn teamPlace(gid: vec3<u32>, nwg: vec3<u32>, lane: u32, t: u32) {
  let corner = teamCorner(gid, nwg, lane, H, 8u);
  tmDR = dROffset() + t * B * gates() * H;
  tmB0 = corner.x;
  tmJ0 = corner.y;
}

@compute @workgroup_size(TEAM_WG)
fn back_team(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
             @builtin(subgroup_invocation_id) lane: u32) {
  let t = step.t0;
  teamPlace(gid, nwg, lane, t + 1u);
  var blk = Team8();
  if (step.first == 0u) { blk = teamTile(lane, gates() * H); }
  for (var u = 0u; u < 8u; u++) {
    let j = tmJ0 + u;
    if (j >= H) { break; }
    for (var i = 0u; i < 8u; i++) {
      if (tmB0 + i >= B) { break; }
      backElement(t, tmB0 + i, j, teamAt(&blk, i, u));
    }
  }
}

@compute @workgroup_size(TEAM_WG)
fn h0_team(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(subgroup_invocation_id) lane: u32) {
  teamPlace(gid, nwg, lane, 0u);
  var blk = teamTile(lane, gates() * H);
  for (var u = 0u; u < 8u; u++) {
    let j = tmJ0 + u;
    if (j >= H) { break; }
    for (var i = 0u; i < 8u; i++) {
      let b = tmB0 + i;
      if (b >= B) { break; }
      carry[b * H + j] = directDh(b * H + j) + teamAt(&blk, i, u) + dHin[b * H + j];
    }
  }
}
