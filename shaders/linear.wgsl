// Linear rows with a token gather: the input projection of one-hot inputs, the tutorial model's
// head (which reads both x_t and h_{t-1}), and every per-step projection of the generation loop.
// (Dense products over all rows go through the tiled GEMM, gemm.wgsl.)
//   out[r, n] = bias[n] + Σ_k W1[n, k] · act[slot(r), k] + Σ_k W2[n, k] · x[r, k]
//   r = t·B + b for t ∈ [t0, t0 + nsteps); slot(r) = (t + ACT_SLOT)·B + b
// With X_TOKENS the x term is a column gather W2[n, ids[t, b]] (one-hot never materialised).
// Layouts (time-major): W row-major with leading dimension LD at a float offset into the flat
// parameter buffer; act [T+1, B, K1]; x [T, B, K2] (ids [T, B]); out [T, B, N].
// Split: one invocation per output element (r, n), n fastest.
override N: u32;
override B: u32;
override K1: u32 = 0u;
override K2: u32 = 0u;
override W1_OFF: u32 = 0u;
override W1_LD: u32 = 1u;
override W2_OFF: u32 = 0u;
override W2_LD: u32 = 1u;
override BIAS_OFF: u32 = 0u;
override HAS_BIAS: bool = true;
override USE_ACT: bool = false;
override ACT_SLOT: u32 = 1u;
override USE_X: bool = false;
override X_TOKENS: bool = false;

@group(0) @binding(0) var<storage, read> params: array<f32>;
@group(0) @binding(1) var<storage, read> act: array<f32>;
@group(0) @binding(2) var<storage, read> xf: array<f32>;
@group(0) @binding(3) var<storage, read> ids: array<u32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<uniform> step: Step;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = flatId(gid, nwg);
  if (idx >= step.nsteps * B * N) { return; }
  // r = t·B + b
  let rr = idx / N;
  let n = idx - rr * N;
  let r = step.t0 * B + rr;
  var s = 0.0;
  if (HAS_BIAS) { s = params[BIAS_OFF + n]; }
  if (USE_ACT) {
    let a0 = (r + ACT_SLOT * B) * K1;
    let w0 = W1_OFF + n * W1_LD;
    for (var k = 0u; k < K1; k++) { s += params[w0 + k] * act[a0 + k]; }
  }
  if (USE_X) {
    let w0 = W2_OFF + n * W2_LD;
    if (X_TOKENS) {
      s += params[w0 + ids[r]];
    } else {
      for (var k = 0u; k < K2; k++) { s += params[w0 + k] * xf[r * K2 + k]; }
    }
  }
  out[r * N + n] = s;
}
