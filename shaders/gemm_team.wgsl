// GEMM on the team tile (shaders/team.wgsl) for CPU adapters with 4-wide subgroups: the same
// C[m, n] = Σ_k A[m, k] · B[k, n] (+ bias[n]) over the strided views of gemm_views.wgsl (prepended:
// the overrides M … HAS_BIAS and bindings a, b, bias, c).
// Split: a team (one subgroup, 4 invocations) computes 8 rows × 32 columns of C, or with TRANS
// 32 rows × 8 columns (the team's shared rows are then C's columns and B's values the broadcast
// ones; the backend picks whichever pads C less, e.g. TRANS for C [2048, 65]). Teams in row-major
// order over C's tiles; invocation 4·team + lane, lane = its subgroup invocation id.
override TRANS: bool = false;

var<private> tr0: u32; // the team's first row (of C, of Cᵀ with TRANS)
var<private> tc0: u32; // this invocation's first column

// Clamped to the matrices (rows and columns past the end are computed and not written).
fn aAt(m: u32, k: u32) -> f32 { return a[A_OFF + min(m, M - 1u) * A_SM + min(k, K - 1u) * A_SK]; }
fn bAt(k: u32, n: u32) -> f32 { return b[B_OFF + min(k, K - 1u) * B_SK + min(n, N - 1u) * B_SN]; }

fn teamA(i: u32, k: u32) -> f32 {
  var v: f32;
  if (TRANS) { v = bAt(k, tr0 + i); } else { v = aAt(tr0 + i, k); }
  return select(0.0, v, k < K);
}

fn teamB(j: u32, k: u32) -> f32 {
  if (TRANS) { return aAt(tc0 + j, k); }
  return bAt(k, tc0 + j);
}

@compute @workgroup_size(TEAM_WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(subgroup_invocation_id) lane: u32) {
  let P = select(M, N, TRANS); // the team's rows
  let Q = select(N, M, TRANS); // the invocations' columns
  let corner = teamCorner(gid, nwg, lane, Q, 8u);
  tr0 = corner.x;
  tc0 = corner.y;
  var t = teamTile(lane, K);
  for (var j = 0u; j < 8u; j++) {
    let q = tc0 + j;
    if (q >= Q) { break; }
    for (var i = 0u; i < 8u; i++) {
      let p = tr0 + i;
      if (p >= P) { break; }
      let m = select(p, q, TRANS);
      let n = select(q, p, TRANS);
      var v = teamAt(&t, i, j);
      if (HAS_BIAS) { v += bias[BIAS_OFF + n]; }
      c[C_OFF + m * C_LD + n] = v;
    }
  }
}
