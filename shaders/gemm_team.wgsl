// GEMM on the team tile (shaders/team.wgsl) for CPU adapters with 4-wide subgroups: the same
// C[m, n] = Σ_k A[m, k] · B[k, n] (+ bias[n]) over the strided views of gemm_views.wgsl (prepended:
// the overrides M … HAS_BIAS and bindings a, b, bias, c), with C's column stride C_SN, so that the
// backend can hand over the transposed product Cᵀ = Bᵀ·Aᵀ instead (BIAS_ROWS: the bias then runs
// along rows); it does where that pads C less, e.g. for C [2048, 65].
// Split: a team (one subgroup, 4 invocations) computes 8 rows × 32 columns of C, the rows shared;
// teams in row-major order over C's tiles; invocation 4·team + lane, lane = its subgroup invocation id.
override C_SN: u32 = 1u;
override BIAS_ROWS: bool = false;

var<private> tr0: u32; // the team's first row
var<private> tc0: u32; // this invocation's first column

// The operands for teamTile; rows and columns past the end are clamped, computed and not written.
fn teamARow(i: u32) -> u32 { return A_OFF + min(tr0 + i, M - 1u) * A_SM; }
fn teamAK(k: u32) -> u32 { return k * A_SK; }
fn teamALoad(p: u32) -> f32 { return a[p]; }
fn teamBCol(j: u32) -> u32 { return B_OFF + min(tc0 + j, N - 1u) * B_SN; }
fn teamBK(k: u32) -> u32 { return k * B_SK; }
fn teamBLoad(p: u32) -> f32 { return b[p]; }

@compute @workgroup_size(TEAM_WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(subgroup_invocation_id) lane: u32) {
  let corner = teamCorner(gid, nwg, lane, N, 8u);
  tr0 = corner.x;
  tc0 = corner.y;
  var t = teamTile(lane, K);
  for (var j = 0u; j < 8u; j++) {
    let n = tc0 + j;
    for (var i = 0u; i < 8u; i++) {
      let m = tr0 + i;
      if (m < M && n < N) {
        var v = teamAt(&t, i, j);
        if (HAS_BIAS) { v += bias[BIAS_OFF + select(n, m, BIAS_ROWS)]; }
        c[C_OFF + m * C_LD + n * C_SN] = v;
      }
    }
  }
}
