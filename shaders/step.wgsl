// The fused recurrent step at time t: recurrent GEMV for all gates + bias + gate math, one kernel.
//   r_g = W_hh[g·H + j, :] · h_{t-1} + b_hh[g·H + j]      a_g = A[t, b, g·H + j] = W_ih x_t + b_ih
//   RNN:  h_t = act(a + r)                                     (act: tanh, relu, identity)
//   LSTM: i,f,g,o = σ,σ,tanh,σ(a + r); c_t = f⊙c_{t-1} + i⊙g; h_t = o⊙tanh(c_t)
//   GRU:  r,z = σ(a + r); n = tanh(a_n + r⊙r_n); h_t = (1 − z)⊙n + z⊙h_{t-1}
// Layouts: A [T, B, G·H]; hs, cs time-major [T+1, B, H] (slot t+1 = step t, slot 0 = h0);
// cache [T, B, 4H] keeps what BPTT needs: LSTM i,f,g,o; GRU r,z,n and r_n (W_hn h + b_hn).
// Split: one invocation per block of RB batch rows × RJ hidden units, each looping over H for its
// RB·RJ·G dot products. RB = RJ = 1 on GPUs (most parallelism); 4 × 4 on CPU adapters, where
// loads dominate: a block reads RB + G·RJ words per k for RB·RJ·G multiply-adds.
override H: u32;
override B: u32;
override CELL: u32; // 0 RNN, 1 LSTM, 2 GRU
override ACT: u32 = 0u; // RNN only: 0 tanh, 1 relu, 2 identity (the tutorial model)
override WHH_OFF: u32;
override WHH_LD: u32;
override BHH_OFF: u32 = 0u;
override HAS_BHH: bool = true;
override RB: u32 = 1u; // ≤ 4
override RJ: u32 = 1u; // ≤ 4

@group(0) @binding(0) var<storage, read> params: array<f32>;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read_write> hs: array<f32>;
@group(0) @binding(3) var<storage, read_write> cs: array<f32>;
@group(0) @binding(4) var<storage, read_write> cache: array<f32>;
@group(0) @binding(5) var<uniform> step: Step;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let nj = (H + RJ - 1u) / RJ;
  let idx = flatId(gid, nwg);
  if (idx >= ((B + RB - 1u) / RB) * nj) { return; }
  let b0 = (idx / nj) * RB;
  let j0 = (idx % nj) * RJ;
  let t = step.t0;
  let G = select(select(1u, 4u, CELL == 1u), 3u, CELL == 2u);
  // r[g][i·4 + jj] = Σ_k W_hh[g·H + j0 + jj, k] · h_{t-1}[b0 + i, k]   (clamped rows, skipped on write)
  var r = array<array<f32, 16>, 4>(); // explicit zeros: Tint may hoist a declaration out of a loop
  var hrow = array<u32, 4>();
  var wrow = array<array<u32, 4>, 4>();
  for (var i = 0u; i < RB; i++) { hrow[i] = (t * B + min(b0 + i, B - 1u)) * H; }
  for (var g = 0u; g < G; g++) {
    for (var jj = 0u; jj < RJ; jj++) { wrow[g][jj] = WHH_OFF + (g * H + min(j0 + jj, H - 1u)) * WHH_LD; }
  }
  for (var k = 0u; k < H; k++) {
    var hv = array<f32, 4>();
    for (var i = 0u; i < RB; i++) { hv[i] = hs[hrow[i] + k]; }
    for (var g = 0u; g < G; g++) {
      for (var jj = 0u; jj < RJ; jj++) {
        let w = params[wrow[g][jj] + k];
        for (var i = 0u; i < RB; i++) { r[g][i * 4u + jj] += w * hv[i]; }
      }
    }
  }
  for (var i = 0u; i < RB; i++) {
    let b = b0 + i;
    if (b >= B) { continue; }
    for (var jj = 0u; jj < RJ; jj++) {
      let j = j0 + jj;
      if (j >= H) { continue; }
      var rv = array<f32, 4>();
      for (var g = 0u; g < G; g++) {
        rv[g] = r[g][i * 4u + jj];
        if (HAS_BHH) { rv[g] += params[BHH_OFF + g * H + j]; }
      }
      let hp = (t * B + b) * H;        // h_{t-1}
      let hn = ((t + 1u) * B + b) * H; // h_t
      let a0 = (t * B + b) * G * H;
      let c0 = (t * B + b) * 4u * H;
      if (CELL == 0u) {
        let p = A[a0 + j] + rv[0];
        var h = p;
        if (ACT == 0u) { h = tanh_(p); } else if (ACT == 1u) { h = max(p, 0.0); }
        hs[hn + j] = h;
      } else if (CELL == 1u) {
        let ig = sigmoid(A[a0 + j] + rv[0]);
        let fg = sigmoid(A[a0 + H + j] + rv[1]);
        let gg = tanh_(A[a0 + 2u * H + j] + rv[2]);
        let og = sigmoid(A[a0 + 3u * H + j] + rv[3]);
        let c = fg * cs[hp + j] + ig * gg;
        cs[hn + j] = c;
        hs[hn + j] = og * tanh_(c);
        cache[c0 + j] = ig;
        cache[c0 + H + j] = fg;
        cache[c0 + 2u * H + j] = gg;
        cache[c0 + 3u * H + j] = og;
      } else {
        let rg = sigmoid(A[a0 + j] + rv[0]);
        let z = sigmoid(A[a0 + H + j] + rv[1]);
        let n = tanh_(A[a0 + 2u * H + j] + rg * rv[2]);
        hs[hn + j] = (1.0 - z) * n + z * hs[hp + j];
        cache[c0 + j] = rg;
        cache[c0 + H + j] = z;
        cache[c0 + 2u * H + j] = n;
        cache[c0 + 3u * H + j] = rv[2];
      }
    }
  }
}
