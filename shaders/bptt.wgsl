// Backpropagation through time, one step t per dispatch, from t = T−1 down to 0 (entry `step_back`),
// then d h0 (entry `to_h0`).
//   dh_t = dHin[t+1] + direct_{t+1} + Σ_i W_hh[i, j] · dR[t+1, b, i]      (the last two are 0 at t = T−1)
//   RNN:  dA = dR = dh ⊙ act′              (tanh′ = 1 − h², relu′ = [h > 0], identity′ = 1)
//   LSTM: dc = dc_{t+1}·f_{t+1} + dh⊙o⊙(1 − tanh²c_t); di = dc⊙g, df = dc⊙c_{t-1}, dg = dc⊙i, do = dh⊙tanh c_t
//         times σ′ / tanh′; dc carried to t−1 is dc⊙f
//   GRU:  dn = dh⊙(1 − z)(1 − n²); dz = dh⊙(h_{t-1} − n)·z(1 − z); dr = dn⊙r_n·r(1 − r)
//         dA = (dr, dz, dn), dR = (dr, dz, dn⊙r); direct part of dh_{t-1} = dh⊙z
// dA [T, B, G·H] = d loss/d(W_ih x + b_ih), dR = d loss/d(W_hh h + b_hh). They differ only for the
// GRU (r multiplies W_hn h + b_hn); for the other cells dR is dA, one buffer, written once.
// carry [2, B, H]: the direct part of dh_{t-1} (GRU) and dc_{t-1} (LSTM), handed from step to step
// by the same invocation (b, j), so no other invocation touches them.
// Split: one invocation per block of RB batch rows × RJ hidden units (1 × 1 on GPUs, 4 × 4 on CPU
// adapters, as in step.wgsl); only index j of each gate block is needed, so the gate math is local.
override H: u32;
override B: u32;
override CELL: u32;
override ACT: u32 = 0u;
override WHH_OFF: u32;
override WHH_LD: u32;
override RB: u32 = 1u; // ≤ 4
override RJ: u32 = 1u; // ≤ 4

@group(0) @binding(0) var<storage, read> params: array<f32>;
@group(0) @binding(1) var<storage, read> hs: array<f32>;
@group(0) @binding(2) var<storage, read> cs: array<f32>;
@group(0) @binding(3) var<storage, read> cache: array<f32>;
@group(0) @binding(4) var<storage, read> dHin: array<f32>;
@group(0) @binding(5) var<storage, read_write> dAR: array<f32>; // dA [T, B, G·H], then dR (GRU)
@group(0) @binding(6) var<storage, read_write> carry: array<f32>;
@group(0) @binding(7) var<uniform> step: Step;

fn gates() -> u32 { return select(select(1u, 4u, CELL == 1u), 3u, CELL == 2u); }

// Where dR starts in dAR: after dA for the GRU, else dR is dA.
fn dROffset() -> u32 { return select(0u, step.T * B * gates() * H, CELL == 2u); }

// Σ_i W_hh[i, j] · dR[t, b, i] for the block b0.., j0..: the recurrent part of dh_{t-1}, at [bi·4 + jj].
fn whhT(t: u32, b0: u32, j0: u32) -> array<f32, 16> {
  let GH = gates() * H;
  var s = array<f32, 16>(); // explicit zeros: Tint may hoist a declaration out of a loop
  var rrow = array<u32, 4>();
  var col = array<u32, 4>();
  for (var bi = 0u; bi < RB; bi++) { rrow[bi] = dROffset() + (t * B + min(b0 + bi, B - 1u)) * GH; }
  for (var jj = 0u; jj < RJ; jj++) { col[jj] = WHH_OFF + min(j0 + jj, H - 1u); }
  for (var i = 0u; i < GH; i++) {
    var d = array<f32, 4>();
    for (var bi = 0u; bi < RB; bi++) { d[bi] = dAR[rrow[bi] + i]; }
    for (var jj = 0u; jj < RJ; jj++) {
      let w = params[col[jj] + i * WHH_LD];
      for (var bi = 0u; bi < RB; bi++) { s[bi * 4u + jj] += w * d[bi]; }
    }
  }
  return s;
}

@compute @workgroup_size(64)
fn step_back(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let nj = (H + RJ - 1u) / RJ;
  let idx = flatId(gid, nwg);
  if (idx >= ((B + RB - 1u) / RB) * nj) { return; }
  let b0 = (idx / nj) * RB;
  let j0 = (idx % nj) * RJ;
  let t = step.t0;
  var rec = array<f32, 16>();
  if (step.first == 0u) { rec = whhT(t + 1u, b0, j0); }
  for (var bi = 0u; bi < RB; bi++) {
    let b = b0 + bi;
    if (b >= B) { continue; }
    for (var jj = 0u; jj < RJ; jj++) {
      let j = j0 + jj;
      if (j >= H) { continue; }
      backElement(t, b, j, rec[bi * 4u + jj]);
    }
  }
}

fn backElement(t: u32, b: u32, j: u32, recurrent: f32) {
  let G = gates();
  let GH = G * H;
  let hp = (t * B + b) * H;
  let hn = ((t + 1u) * B + b) * H;
  var dh = dHin[hn + j];
  var dcNext = 0.0;
  if (step.first == 0u) {
    dh += carry[b * H + j] + recurrent;
    dcNext = carry[(B + b) * H + j];
  }
  let a0 = (t * B + b) * GH;
  let r0 = dROffset() + a0;
  let c0 = (t * B + b) * 4u * H;
  if (CELL == 0u) {
    let h = hs[hn + j];
    var d = dh;
    if (ACT == 0u) { d = dh * (1.0 - h * h); } else if (ACT == 1u) { d = select(0.0, dh, h > 0.0); }
    dAR[a0 + j] = d;
    dAR[r0 + j] = d;
  } else if (CELL == 1u) {
    let i = cache[c0 + j];
    let f = cache[c0 + H + j];
    let g = cache[c0 + 2u * H + j];
    let o = cache[c0 + 3u * H + j];
    let tc = tanh_(cs[hn + j]);
    let dc = dcNext + dh * o * (1.0 - tc * tc);
    let di = dc * g * i * (1.0 - i);
    let df = dc * cs[hp + j] * f * (1.0 - f);
    let dg = dc * i * (1.0 - g * g);
    let dO = dh * tc * o * (1.0 - o);
    dAR[a0 + j] = di;          dAR[r0 + j] = di;
    dAR[a0 + H + j] = df;      dAR[r0 + H + j] = df;
    dAR[a0 + 2u * H + j] = dg; dAR[r0 + 2u * H + j] = dg;
    dAR[a0 + 3u * H + j] = dO; dAR[r0 + 3u * H + j] = dO;
    carry[(B + b) * H + j] = dc * f;
  } else {
    let r = cache[c0 + j];
    let z = cache[c0 + H + j];
    let n = cache[c0 + 2u * H + j];
    let rn = cache[c0 + 3u * H + j];
    let dn = dh * (1.0 - z) * (1.0 - n * n);
    let dz = dh * (hs[hp + j] - n) * z * (1.0 - z);
    let dr = dn * rn * r * (1.0 - r);
    dAR[a0 + j] = dr;          dAR[r0 + j] = dr;
    dAR[a0 + H + j] = dz;      dAR[r0 + H + j] = dz;
    dAR[a0 + 2u * H + j] = dn; dAR[r0 + 2u * H + j] = dn * r;
    carry[b * H + j] = dh * z;
  }
  if (CELL != 2u) { carry[b * H + j] = 0.0; }
}

// d loss / d h0 = direct_0 + W_hhᵀ dR[0] + dHin[slot 0] (the tutorial head reads h0); written to
// carry[0] in place. carry[1] already holds d loss / d c0.
@compute @workgroup_size(64)
fn to_h0(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let nj = (H + RJ - 1u) / RJ;
  let idx = flatId(gid, nwg);
  if (idx >= ((B + RB - 1u) / RB) * nj) { return; }
  let b0 = (idx / nj) * RB;
  let j0 = (idx % nj) * RJ;
  let rec = whhT(0u, b0, j0);
  for (var bi = 0u; bi < RB; bi++) {
    for (var jj = 0u; jj < RJ; jj++) {
      let b = b0 + bi;
      let j = j0 + jj;
      if (b < B && j < H) { carry[b * H + j] = carry[b * H + j] + rec[bi * 4u + jj] + dHin[b * H + j]; }
    }
  }
}
