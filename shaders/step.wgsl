// The fused recurrent step at time t: recurrent GEMV for all gates + bias + gate math, one kernel.
//   r_g = W_hh[g·H + j, :] · h_{t-1} + b_hh[g·H + j]      a_g = A[t, b, g·H + j] = W_ih x_t + b_ih
//   RNN:  h_t = act(a + r)                                     (act: tanh, relu, identity)
//   LSTM: i,f,g,o = σ,σ,tanh,σ(a + r); c_t = f⊙c_{t-1} + i⊙g; h_t = o⊙tanh(c_t)
//   GRU:  r,z = σ(a + r); n = tanh(a_n + r⊙r_n); h_t = (1 − z)⊙n + z⊙h_{t-1}
// Layouts: A [T, B, G·H]; hs, cs time-major [T+1, B, H] (slot t+1 = step t, slot 0 = h0);
// cache [T, B, 4H] keeps what BPTT needs: LSTM i,f,g,o; GRU r,z,n and r_n (W_hn h + b_hn).
// Split: one invocation per (b, j) on GPUs. With BLOCK (CPU adapters, where loads and dynamic
// indexing dominate) one invocation per 4 batch rows × 4 columns, a column being a hidden unit
// (RNN: 4 units) or a gate of one unit (LSTM, GRU): per k it loads 4 words of h and 4 of W_hh for
// 16 multiply-adds, accumulated in four vec4 registers (one per column, lanes = rows).
override H: u32;
override B: u32;
override CELL: u32; // 0 RNN, 1 LSTM, 2 GRU
override ACT: u32 = 0u; // RNN only: 0 tanh, 1 relu, 2 identity (the tutorial model)
override WHH_OFF: u32;
override WHH_LD: u32;
override BHH_OFF: u32 = 0u;
override HAS_BHH: bool = true;
override BLOCK: bool = false;

@group(0) @binding(0) var<storage, read> params: array<f32>;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read_write> hs: array<f32>;
@group(0) @binding(3) var<storage, read_write> cs: array<f32>;
@group(0) @binding(4) var<storage, read_write> cache: array<f32>;
@group(0) @binding(5) var<uniform> step: Step;

fn gates() -> u32 { return select(select(1u, 4u, CELL == 1u), 3u, CELL == 2u); }

// h_t (and c_t, the cache) at (b, j) from the recurrent pre-activations rv[g] = W_hh h_{t-1} (no bias yet).
fn cellUpdate(t: u32, b: u32, j: u32, rv: vec4<f32>) {
  let G = gates();
  var r = rv;
  if (HAS_BHH) {
    for (var g = 0u; g < G; g++) { r[g] += params[BHH_OFF + g * H + j]; }
  }
  let hp = (t * B + b) * H;        // h_{t-1}
  let hn = ((t + 1u) * B + b) * H; // h_t
  let a0 = (t * B + b) * G * H;
  let c0 = (t * B + b) * 4u * H;
  if (CELL == 0u) {
    let p = A[a0 + j] + r.x;
    var h = p;
    if (ACT == 0u) { h = tanh_(p); } else if (ACT == 1u) { h = max(p, 0.0); }
    hs[hn + j] = h;
  } else if (CELL == 1u) {
    let ig = sigmoid(A[a0 + j] + r.x);
    let fg = sigmoid(A[a0 + H + j] + r.y);
    let gg = tanh_(A[a0 + 2u * H + j] + r.z);
    let og = sigmoid(A[a0 + 3u * H + j] + r.w);
    let c = fg * cs[hp + j] + ig * gg;
    cs[hn + j] = c;
    hs[hn + j] = og * tanh_(c);
    cache[c0 + j] = ig;
    cache[c0 + H + j] = fg;
    cache[c0 + 2u * H + j] = gg;
    cache[c0 + 3u * H + j] = og;
  } else {
    let rg = sigmoid(A[a0 + j] + r.x);
    let z = sigmoid(A[a0 + H + j] + r.y);
    let n = tanh_(A[a0 + 2u * H + j] + rg * r.z);
    hs[hn + j] = (1.0 - z) * n + z * hs[hp + j];
    cache[c0 + j] = rg;
    cache[c0 + H + j] = z;
    cache[c0 + 2u * H + j] = n;
    cache[c0 + 3u * H + j] = r.z;
  }
}

fn pick(c: u32, a0: vec4<f32>, a1: vec4<f32>, a2: vec4<f32>, a3: vec4<f32>) -> vec4<f32> {
  return select(select(select(a3, a2, c == 2u), a1, c == 1u), a0, c == 0u);
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = flatId(gid, nwg);
  let t = step.t0;
  let G = gates();
  if (!BLOCK) {
    if (idx >= B * H) { return; }
    let j = idx % H;
    let b = idx / H;
    let hp = (t * B + b) * H;
    var rv = vec4<f32>();
    for (var g = 0u; g < G; g++) {
      let w0 = WHH_OFF + (g * H + j) * WHH_LD;
      var s = 0.0;
      for (var k = 0u; k < H; k++) { s += params[w0 + k] * hs[hp + k]; }
      rv[g] = s;
    }
    cellUpdate(t, b, j, rv);
    return;
  }
  // 4 rows × 4 columns; columns are units j0..j0+3 (RNN) or gates 0..G−1 of unit j0
  let units = select(1u, 4u, G == 1u);
  let nj = (H + units - 1u) / units;
  if (idx >= ((B + 3u) / 4u) * nj) { return; }
  let b0 = (idx / nj) * 4u;
  let j0 = (idx % nj) * units;
  let h0 = (t * B + min(b0, B - 1u)) * H;
  let h1 = (t * B + min(b0 + 1u, B - 1u)) * H;
  let h2 = (t * B + min(b0 + 2u, B - 1u)) * H;
  let h3 = (t * B + min(b0 + 3u, B - 1u)) * H;
  var w: vec4<u32>;
  for (var c = 0u; c < 4u; c++) {
    let row = select(min(c, G - 1u) * H + j0, min(j0 + c, H - 1u), G == 1u);
    w[c] = WHH_OFF + row * WHH_LD;
  }
  var acc0 = vec4<f32>();
  var acc1 = vec4<f32>();
  var acc2 = vec4<f32>();
  var acc3 = vec4<f32>();
  for (var k = 0u; k < H; k++) {
    let hv = vec4<f32>(hs[h0 + k], hs[h1 + k], hs[h2 + k], hs[h3 + k]);
    acc0 += params[w.x + k] * hv;
    acc1 += params[w.y + k] * hv;
    acc2 += params[w.z + k] * hv;
    acc3 += params[w.w + k] * hv;
  }
  for (var i = 0u; i < 4u; i++) {
    let b = b0 + i;
    if (b >= B) { break; }
    if (G == 1u) {
      for (var c = 0u; c < 4u; c++) {
        if (j0 + c < H) { cellUpdate(t, b, j0 + c, vec4<f32>(pick(c, acc0, acc1, acc2, acc3)[i], 0.0, 0.0, 0.0)); }
      }
    } else {
      cellUpdate(t, b, j0, vec4<f32>(acc0[i], acc1[i], acc2[i], acc3[i]));
    }
  }
}
