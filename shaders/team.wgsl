// The register tile of the CPU-adapter kernels where subgroups are 4 wide (SwiftShader), shared by
// gemm_team.wgsl, step_team.wgsl and bptt_team.wgsl, which say where their operands are:
//   fn teamARow(i: u32) -> u32   index of A[row i (0 … 7) of the team's 8 rows, k = 0]
//   fn teamAK(k: u32) -> u32     what k adds to it (k < K)
//   fn teamALoad(p: u32) -> f32  the A value at index p
//   fn teamBCol(c: u32) -> u32, fn teamBK(k: u32) -> u32, fn teamBLoad(p: u32) -> f32: the same
//                                for B[k, column c (0 … 7) of this invocation]
// and sums, per invocation, the 8 × 8 block C[i, c] = Σ_k A[i, k] · B[k, c] over k < K. The row
// and column indices are computed once, so a load costs one addition, and k is clamped once a
// chunk of 4 (A zeroed past K): with per-load clamps and a branch the GEMM took about 1.1× as long.
// Split: a team is the 4 invocations of one subgroup; they share the 8 rows and take 8 columns each
// (32 a team). SwiftShader runs a subgroup as the 4 lanes of one SIMD register and reads storage
// one lane at a time, so loads, not multiply-adds, are the cost: per 4 k each invocation loads A
// once per row (lane l takes k0 + l) and the team hands the values round with subgroupBroadcast,
// then loads B 32 times, for 256 multiply-adds (the 4 × 4 blocks of gemm_rb.wgsl: 32 for 64).
// Workgroups hold TEAM_WG / 4 teams: few where there are few teams (a time step's product at B 32
// is 16 teams), so that every core gets workgroups; teamCorner places each invocation's block.
// Layout of Team8: column c of the block in l<c> (rows 0 … 3) and h<c> (rows 4 … 7); no private
// arrays (SwiftShader keeps those in memory and indexes them per lane).
override TEAM_WG: u32 = 64u;

// Where this invocation's block starts: (the team's first row, its own first column), teams in
// row-major order over tiles of 8 rows × 4·perLane columns of a Q-column result.
fn teamCorner(gid: vec3<u32>, nwg: vec3<u32>, lane: u32, Q: u32, perLane: u32) -> vec2<u32> {
  let team = (gid.x + gid.y * nwg.x * TEAM_WG) / 4u;
  let nq = (Q + 4u * perLane - 1u) / (4u * perLane);
  return vec2<u32>((team / nq) * 8u, (team % nq) * 4u * perLane + lane * perLane);
}

struct Team8 {
  l0: vec4<f32>, h0: vec4<f32>, l1: vec4<f32>, h1: vec4<f32>,
  l2: vec4<f32>, h2: vec4<f32>, l3: vec4<f32>, h3: vec4<f32>,
  l4: vec4<f32>, h4: vec4<f32>, l5: vec4<f32>, h5: vec4<f32>,
  l6: vec4<f32>, h6: vec4<f32>, l7: vec4<f32>, h7: vec4<f32>,
}

// Eight indices: A's rows or B's columns of the block.
struct Team8Idx { i0: u32, i1: u32, i2: u32, i3: u32, i4: u32, i5: u32, i6: u32, i7: u32 }

// One k of the block: a (rows 0 … 3 in lo, 4 … 7 in hi) times B's row k (its offset kb).
fn teamFma(t: ptr<function, Team8>, lo: vec4<f32>, hi: vec4<f32>, col: Team8Idx, kb: u32) {
  let b0 = teamBLoad(col.i0 + kb);
  let b1 = teamBLoad(col.i1 + kb);
  let b2 = teamBLoad(col.i2 + kb);
  let b3 = teamBLoad(col.i3 + kb);
  let b4 = teamBLoad(col.i4 + kb);
  let b5 = teamBLoad(col.i5 + kb);
  let b6 = teamBLoad(col.i6 + kb);
  let b7 = teamBLoad(col.i7 + kb);
  (*t).l0 += lo * b0; (*t).h0 += hi * b0;
  (*t).l1 += lo * b1; (*t).h1 += hi * b1;
  (*t).l2 += lo * b2; (*t).h2 += hi * b2;
  (*t).l3 += lo * b3; (*t).h3 += hi * b3;
  (*t).l4 += lo * b4; (*t).h4 += hi * b4;
  (*t).l5 += lo * b5; (*t).h5 += hi * b5;
  (*t).l6 += lo * b6; (*t).h6 += hi * b6;
  (*t).l7 += lo * b7; (*t).h7 += hi * b7;
}

// The block over k < K. `lane` is the subgroup invocation id; call it in uniform control flow.
fn teamTile(lane: u32, K: u32) -> Team8 {
  let row = Team8Idx(teamARow(0u), teamARow(1u), teamARow(2u), teamARow(3u), teamARow(4u), teamARow(5u), teamARow(6u), teamARow(7u));
  let col = Team8Idx(teamBCol(0u), teamBCol(1u), teamBCol(2u), teamBCol(3u), teamBCol(4u), teamBCol(5u), teamBCol(6u), teamBCol(7u));
  var t = Team8();
  for (var k0 = 0u; k0 < K; k0 += 4u) {
    // past K (the last chunk of a K that is not a multiple of 4): A's k clamped and its value
    // zeroed, B's k clamped (a finite value times zero)
    let live = k0 + lane < K;
    let ka = teamAK(min(k0 + lane, K - 1u));
    let a0 = select(0.0, teamALoad(row.i0 + ka), live);
    let a1 = select(0.0, teamALoad(row.i1 + ka), live);
    let a2 = select(0.0, teamALoad(row.i2 + ka), live);
    let a3 = select(0.0, teamALoad(row.i3 + ka), live);
    let a4 = select(0.0, teamALoad(row.i4 + ka), live);
    let a5 = select(0.0, teamALoad(row.i5 + ka), live);
    let a6 = select(0.0, teamALoad(row.i6 + ka), live);
    let a7 = select(0.0, teamALoad(row.i7 + ka), live);
    // the broadcast lane must be a constant: the four k of the chunk written out
    teamFma(&t, vec4<f32>(subgroupBroadcast(a0, 0u), subgroupBroadcast(a1, 0u), subgroupBroadcast(a2, 0u), subgroupBroadcast(a3, 0u)),
                vec4<f32>(subgroupBroadcast(a4, 0u), subgroupBroadcast(a5, 0u), subgroupBroadcast(a6, 0u), subgroupBroadcast(a7, 0u)), col, teamBK(k0));
    teamFma(&t, vec4<f32>(subgroupBroadcast(a0, 1u), subgroupBroadcast(a1, 1u), subgroupBroadcast(a2, 1u), subgroupBroadcast(a3, 1u)),
                vec4<f32>(subgroupBroadcast(a4, 1u), subgroupBroadcast(a5, 1u), subgroupBroadcast(a6, 1u), subgroupBroadcast(a7, 1u)), col, teamBK(min(k0 + 1u, K - 1u)));
    teamFma(&t, vec4<f32>(subgroupBroadcast(a0, 2u), subgroupBroadcast(a1, 2u), subgroupBroadcast(a2, 2u), subgroupBroadcast(a3, 2u)),
                vec4<f32>(subgroupBroadcast(a4, 2u), subgroupBroadcast(a5, 2u), subgroupBroadcast(a6, 2u), subgroupBroadcast(a7, 2u)), col, teamBK(min(k0 + 2u, K - 1u)));
    teamFma(&t, vec4<f32>(subgroupBroadcast(a0, 3u), subgroupBroadcast(a1, 3u), subgroupBroadcast(a2, 3u), subgroupBroadcast(a3, 3u)),
                vec4<f32>(subgroupBroadcast(a4, 3u), subgroupBroadcast(a5, 3u), subgroupBroadcast(a6, 3u), subgroupBroadcast(a7, 3u)), col, teamBK(min(k0 + 3u, K - 1u)));
  }
  return t;
}

// C[i, c] of the block, i, c < 8.
fn teamAt(t: ptr<function, Team8>, i: u32, c: u32) -> f32 {
  let lo = select(pick4(c - 4u, (*t).l4, (*t).l5, (*t).l6, (*t).l7), pick4(c, (*t).l0, (*t).l1, (*t).l2, (*t).l3), c < 4u);
  let hi = select(pick4(c - 4u, (*t).h4, (*t).h5, (*t).h6, (*t).h7), pick4(c, (*t).h0, (*t).h1, (*t).h2, (*t).h3), c < 4u);
  return comp4(select(hi, lo, i < 4u), i % 4u);
}
