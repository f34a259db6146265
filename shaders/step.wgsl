// The fused recurrent step at time t: recurrent GEMV for all gates + bias + gate math, one kernel.
//   r_g = W_hh[g·H + j, :] · h_{t-1} + b_hh[g·H + j]      a_g = A[t, b, g·H + j] = W_ih x_t + b_ih
//   RNN:  h_t = act(a + r)                                     (act: tanh, relu, identity)
//   LSTM: i,f,g,o = σ,σ,tanh,σ(a + r); c_t = f⊙c_{t-1} + i⊙g; h_t = o⊙tanh(c_t)
//   GRU:  r,z = σ(a + r); n = tanh(a_n + r⊙r_n); h_t = (1 − z)⊙n + z⊙h_{t-1}
// Layouts: A [T, B, G·H]; hs, cs time-major [T+1, B, H] (slot t+1 = step t, slot 0 = h0);
// cache [T, B, 4H] keeps what BPTT needs: LSTM i,f,g,o; GRU r,z,n and r_n (W_hn h + b_hn).
// Split: one invocation per (b, j); each loops over H for its G dot products.
override H: u32;
override B: u32;
override CELL: u32; // 0 RNN, 1 LSTM, 2 GRU
override ACT: u32 = 0u; // RNN only: 0 tanh, 1 relu, 2 identity (the tutorial model)
override WHH_OFF: u32;
override WHH_LD: u32;
override BHH_OFF: u32 = 0u;
override HAS_BHH: bool = true;

@group(0) @binding(0) var<storage, read> params: array<f32>;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read_write> hs: array<f32>;
@group(0) @binding(3) var<storage, read_write> cs: array<f32>;
@group(0) @binding(4) var<storage, read_write> cache: array<f32>;
@group(0) @binding(5) var<uniform> step: Step;

fn recur(g: u32, j: u32, hp: u32) -> f32 {
  let row = g * H + j;
  var s = 0.0;
  if (HAS_BHH) { s = params[BHH_OFF + row]; }
  let w0 = WHH_OFF + row * WHH_LD;
  for (var k = 0u; k < H; k++) { s += params[w0 + k] * hs[hp + k]; }
  return s;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = flatId(gid, nwg);
  if (idx >= B * H) { return; }
  let j = idx % H;
  let b = idx / H;
  let t = step.t0;
  let hp = (t * B + b) * H;       // h_{t-1}
  let hn = ((t + 1u) * B + b) * H; // h_t
  let G = select(select(1u, 4u, CELL == 1u), 3u, CELL == 2u);
  let a0 = (t * B + b) * G * H;
  let c0 = (t * B + b) * 4u * H;
  if (CELL == 0u) {
    let p = A[a0 + j] + recur(0u, j, hp);
    var h = p;
    if (ACT == 0u) { h = tanh_(p); } else if (ACT == 1u) { h = max(p, 0.0); }
    hs[hn + j] = h;
  } else if (CELL == 1u) {
    let i = sigmoid(A[a0 + j] + recur(0u, j, hp));
    let f = sigmoid(A[a0 + H + j] + recur(1u, j, hp));
    let g = tanh_(A[a0 + 2u * H + j] + recur(2u, j, hp));
    let o = sigmoid(A[a0 + 3u * H + j] + recur(3u, j, hp));
    let c = f * cs[hp + j] + i * g;
    cs[hn + j] = c;
    hs[hn + j] = o * tanh_(c);
    cache[c0 + j] = i;
    cache[c0 + H + j] = f;
    cache[c0 + 2u * H + j] = g;
    cache[c0 + 3u * H + j] = o;
  } else {
    let r = sigmoid(A[a0 + j] + recur(0u, j, hp));
    let z = sigmoid(A[a0 + H + j] + recur(1u, j, hp));
    let rn = recur(2u, j, hp);
    let n = tanh_(A[a0 + 2u * H + j] + r * rn);
    hs[hn + j] = (1.0 - z) * n + z * hs[hp + j];
    cache[c0 + j] = r;
    cache[c0 + H + j] = z;
    cache[c0 + 2u * H + j] = n;
    cache[c0 + 3u * H + j] = rn;
  }
}
