// Loss rows and d loss / d logits, for logits [T, B, O] (time-major, row r = t·B + b).
//   NLL (LOSS 0):      ℓ_r = −log_softmax(z_r)[y_r] / (B·T); targets y [T, B]  dz_r = (softmax(z_r) − onehot(y_r)) / (B·T)
//   NLL last (LOSS 1): only rows t = T−1 count, / B; targets y [B]; other rows get ℓ = 0, dz = 0
//   MSE (LOSS 2):      ℓ_r = Σ_o (z − y)² / (B·T·O);  dz = 2(z − y) / (B·T·O); y [T, B, O]
// WEIGHTED (variable lengths): the row's 1/count comes from w [T, B] instead, zero for rows past a
//   length (then ℓ = 0, dz = 0); NLL reads yIds per row (nll_last: the CPU puts row b's target at
//   its last real step, with weight 1/B there and 0 elsewhere), MSE has w = 1/(real rows · O).
// rowLoss[r] already carries the 1/count, so the sum of rowLoss is the loss.
// Split: one invocation per row; each loops over O (three passes: max, sum, write).
override O: u32;
override B: u32;
override LOSS: u32;
override WEIGHTED: bool = false;

@group(0) @binding(0) var<storage, read> z: array<f32>;
@group(0) @binding(1) var<storage, read> yIds: array<u32>;
@group(0) @binding(2) var<storage, read> yf: array<f32>;
@group(0) @binding(3) var<storage, read_write> dz: array<f32>;
@group(0) @binding(4) var<storage, read_write> rowLoss: array<f32>;
@group(0) @binding(5) var<uniform> step: Step;
@group(0) @binding(6) var<storage, read> w: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = flatId(gid, nwg);
  let T = step.T;
  if (r >= B * T) { return; }
  let base = r * O;
  if (WEIGHTED && w[r] == 0.0) {
    for (var o = 0u; o < O; o++) { dz[base + o] = 0.0; }
    rowLoss[r] = 0.0;
    return;
  }
  if (LOSS == 2u) {
    var scale = 1.0 / f32(B * T * O);
    if (WEIGHTED) { scale = w[r]; }
    var l = 0.0;
    for (var o = 0u; o < O; o++) {
      let e = z[base + o] - yf[base + o];
      l += e * e;
      dz[base + o] = 2.0 * e * scale;
    }
    rowLoss[r] = l * scale;
    return;
  }
  let t = r / B;
  let b = r % B;
  if (LOSS == 1u && t != T - 1u) {
    for (var o = 0u; o < O; o++) { dz[base + o] = 0.0; }
    rowLoss[r] = 0.0;
    return;
  }
  var y = yIds[r];
  var scale = 1.0 / f32(B * T);
  if (LOSS == 1u) { y = yIds[b]; scale = 1.0 / f32(B); }
  if (WEIGHTED) { scale = w[r]; }
  var m = z[base];
  for (var o = 1u; o < O; o++) { m = max(m, z[base + o]); }
  var s = 0.0;
  for (var o = 0u; o < O; o++) { s += exp(z[base + o] - m); }
  let lse = m + log(s);
  for (var o = 0u; o < O; o++) {
    let p = exp(z[base + o] - lse);
    dz[base + o] = (p - select(0.0, 1.0, o == y)) * scale;
  }
  rowLoss[r] = (lse - z[base + y]) * scale;
}
