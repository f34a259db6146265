// The fused recurrent step of shaders/step.wgsl on the team tile (shaders/team.wgsl), for CPU
// adapters with 4-wide subgroups (appended after step.wgsl and team.wgsl).
// Split: a team takes 8 batch rows (h_{t-1}, the broadcast operand) × 4·U units, an invocation the
// G gates of U = ⌊8 / G⌋ units (RNN 8, LSTM 2, GRU 2: 6 of its 8 columns used), its column c being
// W_hh's row for gate ⌊c / U⌋ of unit j0 + c % U; then the cell update of each (row, unit) it holds.
var<private> tmT: u32;  // the step
var<private> tmB0: u32; // the team's first batch row
var<private> tmJ0: u32; // this invocation's first unit

fn teamUnits() -> u32 { return 8u / gates(); }

fn teamA(i: u32, k: u32) -> f32 {
  let v = hs[(tmT * B + min(tmB0 + i, B - 1u)) * H + min(k, H - 1u)];
  return select(0.0, v, k < H);
}

// W_hh's row offsets of this invocation's columns 0 … 3 and 4 … 7 (set once: no division per load).
var<private> tmWlo: vec4<u32>;
var<private> tmWhi: vec4<u32>;

fn teamB(c: u32, k: u32) -> f32 {
  let w = select(tmWhi, tmWlo, c < 4u)[c % 4u];
  return params[w + min(k, H - 1u)];
}

@compute @workgroup_size(TEAM_WG)
fn team(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(subgroup_invocation_id) lane: u32) {
  let t = step.t0;
  let G = gates();
  let U = teamUnits();
  let nq = (H + 4u * U - 1u) / (4u * U);
  let tm = teamFlatId(gid, nwg) / 4u;
  tmT = t;
  tmB0 = (tm / nq) * 8u;
  tmJ0 = (tm % nq) * 4u * U + lane * U;
  for (var c = 0u; c < 8u; c++) {
    let w = WHH_OFF + (min(c / U, G - 1u) * H + min(tmJ0 + c % U, H - 1u)) * WHH_LD;
    if (c < 4u) { tmWlo[c] = w; } else { tmWhi[c - 4u] = w; }
  }
  var blk = teamTile(lane, H);
  for (var u = 0u; u < U; u++) {
    let j = tmJ0 + u;
    if (j >= H) { break; }
    for (var i = 0u; i < 8u; i++) {
      let b = tmB0 + i;
      if (b >= B) { break; }
      var r = vec4<f32>();
      for (var g = 0u; g < G; g++) { r[g] = teamAt(&blk, i, g * U + u); }
      cellUpdate(t, b, j, r);
    }
  }
}
