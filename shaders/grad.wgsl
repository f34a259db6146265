// Gradient GEMMs over all T·B rows at once (after the forward, or after BPTT).
// Rows r = t·B + b; dY is time-major [T, B, N], or batch-first [B, T, N] when DY_BATCH_FIRST.
//
// entry `weights`: dW[n, k] = Σ_r dY[r, n] · in(r, k)  and  db[n] = Σ_r dY[r, n]  (invocation k = K)
//   in(r, k) = act[(t + ACT_SLOT)·B + b, k] (time-major states), or x[b, t, k] (batch-first floats),
//   or [ids[b, t] = k] (tokens: the one-hot column, so dW[n, k] sums dY over the rows holding token k).
//   Written (not accumulated) into the flat gradient buffer: W at W_OFF with leading dimension LD.
// entry `inputs`: dIn[(t + ACT_SLOT)·B + b, k] = Σ_n W[n, k] · dY[r, n]  (time-major [T+1, B, K])
// Split: one invocation per output element, n (or k) fastest... each loops over rows (or N).
override N: u32;
override K: u32;
override B: u32;
override W_OFF: u32;
override LD: u32;
override B_OFF: u32 = 0u;
override HAS_BIAS: bool = false;
override SRC: u32 = 0u; // 0 act, 1 float x, 2 token ids
override ACT_SLOT: u32 = 1u;
override DY_BATCH_FIRST: bool = false;
override DY_OFF: u32 = 0u; // float offset of dY in its buffer (dR follows dA in one buffer)

@group(0) @binding(0) var<storage, read> params: array<f32>;
@group(0) @binding(1) var<storage, read> dY: array<f32>;
@group(0) @binding(2) var<storage, read> act: array<f32>;
@group(0) @binding(3) var<storage, read> xf: array<f32>;
@group(0) @binding(4) var<storage, read> ids: array<u32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;
@group(0) @binding(6) var<uniform> step: Step;

fn dyAt(t: u32, b: u32, n: u32) -> f32 {
  if (DY_BATCH_FIRST) { return dY[DY_OFF + (b * step.T + t) * N + n]; }
  return dY[DY_OFF + (t * B + b) * N + n];
}

@compute @workgroup_size(64)
fn weights(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let KB = select(K, K + 1u, HAS_BIAS);
  let idx = flatId(gid, nwg);
  if (idx >= N * KB) { return; }
  let k = idx % KB;
  let n = idx / KB;
  var s = 0.0;
  for (var t = 0u; t < step.T; t++) {
    for (var b = 0u; b < B; b++) {
      let d = dyAt(t, b, n);
      if (k == K) {
        s += d;
      } else if (SRC == 0u) {
        s += d * act[((t + ACT_SLOT) * B + b) * K + k];
      } else if (SRC == 1u) {
        s += d * xf[(b * step.T + t) * K + k];
      } else if (ids[b * step.T + t] == k) {
        s += d;
      }
    }
  }
  if (k == K) { out[B_OFF + n] = s; } else { out[W_OFF + n * LD + k] = s; }
}

@compute @workgroup_size(64)
fn inputs(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = flatId(gid, nwg);
  if (idx >= step.T * B * K) { return; }
  let k = idx % K;
  let r = idx / K;
  let t = r / B;
  let b = r % B;
  var s = 0.0;
  for (var n = 0u; n < N; n++) { s += params[W_OFF + n * LD + k] * dyAt(t, b, n); }
  out[((t + ACT_SLOT) * B + b) * K + k] = s;
}
