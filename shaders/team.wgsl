// The register tile of the CPU-adapter kernels where subgroups are 4 wide (SwiftShader), shared by
// gemm_team.wgsl, step_team.wgsl and bptt_team.wgsl, which define the two loads it calls:
//   fn teamA(i: u32, k: u32) -> f32   A[row i (0 … 7) of the team's 8 rows, k]; 0 for k ≥ K
//   fn teamB(c: u32, k: u32) -> f32   B[k, column c (0 … 7) of this invocation]; finite for k ≥ K
// and sums, per invocation, the 8 × 8 block C[i, c] = Σ_k A[i, k] · B[k, c].
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

// One k of the block: a (rows 0 … 3 in lo, 4 … 7 in hi) times B's row k.
fn teamFma(t: ptr<function, Team8>, lo: vec4<f32>, hi: vec4<f32>, k: u32) {
  let b0 = teamB(0u, k);
  let b1 = teamB(1u, k);
  let b2 = teamB(2u, k);
  let b3 = teamB(3u, k);
  let b4 = teamB(4u, k);
  let b5 = teamB(5u, k);
  let b6 = teamB(6u, k);
  let b7 = teamB(7u, k);
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
  var t = Team8();
  for (var k0 = 0u; k0 < K; k0 += 4u) {
    let k = k0 + lane;
    let a0 = teamA(0u, k);
    let a1 = teamA(1u, k);
    let a2 = teamA(2u, k);
    let a3 = teamA(3u, k);
    let a4 = teamA(4u, k);
    let a5 = teamA(5u, k);
    let a6 = teamA(6u, k);
    let a7 = teamA(7u, k);
    // the broadcast lane must be a constant: the four k of the chunk written out
    teamFma(&t, vec4<f32>(subgroupBroadcast(a0, 0u), subgroupBroadcast(a1, 0u), subgroupBroadcast(a2, 0u), subgroupBroadcast(a3, 0u)),
                vec4<f32>(subgroupBroadcast(a4, 0u), subgroupBroadcast(a5, 0u), subgroupBroadcast(a6, 0u), subgroupBroadcast(a7, 0u)), k0);
    teamFma(&t, vec4<f32>(subgroupBroadcast(a0, 1u), subgroupBroadcast(a1, 1u), subgroupBroadcast(a2, 1u), subgroupBroadcast(a3, 1u)),
                vec4<f32>(subgroupBroadcast(a4, 1u), subgroupBroadcast(a5, 1u), subgroupBroadcast(a6, 1u), subgroupBroadcast(a7, 1u)), k0 + 1u);
    teamFma(&t, vec4<f32>(subgroupBroadcast(a0, 2u), subgroupBroadcast(a1, 2u), subgroupBroadcast(a2, 2u), subgroupBroadcast(a3, 2u)),
                vec4<f32>(subgroupBroadcast(a4, 2u), subgroupBroadcast(a5, 2u), subgroupBroadcast(a6, 2u), subgroupBroadcast(a7, 2u)), k0 + 2u);
    teamFma(&t, vec4<f32>(subgroupBroadcast(a0, 3u), subgroupBroadcast(a1, 3u), subgroupBroadcast(a2, 3u), subgroupBroadcast(a3, 3u)),
                vec4<f32>(subgroupBroadcast(a4, 3u), subgroupBroadcast(a5, 3u), subgroupBroadcast(a6, 3u), subgroupBroadcast(a7, 3u)), k0 + 3u);
  }
  return t;
}

// C[i, c] of the block, i, c < 8.
fn teamAt(t: ptr<function, Team8>, i: u32, c: u32) -> f32 {
  let lo = select(pick4(c - 4u, (*t).l4, (*t).l5, (*t).l6, (*t).l7), pick4(c, (*t).l0, (*t).l1, (*t).l2, (*t).l3), c < 4u);
  let hi = select(pick4(c - 4u, (*t).h4, (*t).h5, (*t).h6, (*t).h7), pick4(c, (*t).h0, (*t).h1, (*t).h2, (*t).h3), c < 4u);
  return comp4(select(hi, lo, i < 4u), i % 4u);
}
