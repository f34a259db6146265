// The one-row product of the team kernels (CPU adapters with 4-wide subgroups: SwiftShader), shared
// by step_rows.wgsl and bptt_rows.wgsl, which run a layer's whole sweep in one dispatch with a
// workgroup per batch row, and gemm_rows.wgsl, whose workgroups walk C's rows: an invocation
// computes 8 columns of one row at a time, the product written out over k < ROW_K (src/gpu/rows.ts
// generates `rowProduct` and `rowB`'s declaration for each K).
// Why written out: SwiftShader loads a register's worth at once only where every lane's address is
// known when it compiles, and keeps a handful of sums in registers only where there are few. So
// each invocation copies its 8 columns of the B operand (W_hh's rows or columns) into `rowB` once
// a dispatch and reads them at constant indices, the row's A values (h_{t-1} or dR) come a chunk
// of 4 k at a time, lane l loading k0 + l and subgroupBroadcast handing them round, and the 8
// sums stay two vec4s. Against the team tile's one-dispatch form (8 rows × 8 columns an invocation,
// every operand load lane by lane, the 64 sums on the stack) a forward RNN H128 B32 T64 recurrence
// took 0.5–0.6× the time (bench/micro-recurrence.mjs one reg8 reg8f; bench/RESULTS.md).
// The hooks are the team tile's (shaders/team.wgsl): teamARow(0u) for the row's A values, teamAK,
// teamALoad; teamBCol(c) for column c < 8, teamBK, teamBLoad.
override ROW_WG: u32 = 64u;

// Column c of the invocation's 8: c < 4 in s0, else s1.
struct Row8 { s0: vec4<f32>, s1: vec4<f32> }

fn rowAt(p: Row8, c: u32) -> f32 {
  return comp4(select(p.s1, p.s0, c < 4u), c % 4u);
}

// rowB[2k] = B[k0 + k, columns 0 … 3], rowB[2k + 1] = B[k0 + k, columns 4 … 7], k < ROW_K: once
// a dispatch (k0: a split GEMM's slice, else 0).
fn rowLoadB(k0: u32) {
  let c = Team8Idx(teamBCol(0u), teamBCol(1u), teamBCol(2u), teamBCol(3u), teamBCol(4u), teamBCol(5u), teamBCol(6u), teamBCol(7u));
  for (var k = 0u; k < ROW_K; k++) {
    let kb = teamBK(k0 + k);
    rowB[2u * k] = vec4<f32>(teamBLoad(c.i0 + kb), teamBLoad(c.i1 + kb), teamBLoad(c.i2 + kb), teamBLoad(c.i3 + kb));
    rowB[2u * k + 1u] = vec4<f32>(teamBLoad(c.i4 + kb), teamBLoad(c.i5 + kb), teamBLoad(c.i6 + kb), teamBLoad(c.i7 + kb));
  }
}
