// Gradient clipping and the optimizer update, in place over the flat parameter buffer.
//   clip_grad_norm_: coef = max_norm / (‖g‖₂ + 1e-6); g ← coef·g when coef < 1 (‖g‖² = scalars[1])
//   SGD:  b ← μ b + g (b = g on step 1); p ← p − lr·b      (μ = 0: p ← p − lr·g)
//   Adam: m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; p ← p − (lr/(1−β₁ᵗ)) · m / (√v/√(1−β₂ᵗ) + eps)
// The bias corrections are computed on the CPU in float64 and passed in `o`.
// Non-finite guard: a step whose loss (scalars[0]) or squared gradient norm (scalars[1]) is NaN or
// ±Inf changes nothing, parameters and moments alike (every invocation reads the same two words
// and returns); the caller reads the same scalars back and reports the step skipped.
// Split: one invocation per parameter element.
override COUNT: u32;
override ADAM: bool;
override CLIP: bool;

struct Opt {
  lr: f32,
  momentum: f32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  stepSize: f32,  // lr / (1 − β₁ᵗ)
  sqrtBc2: f32,   // √(1 − β₂ᵗ)
  maxNorm: f32,
  firstStep: u32,
}

@group(0) @binding(0) var<storage, read_write> params: array<f32>;
@group(0) @binding(1) var<storage, read> grads: array<f32>;
@group(0) @binding(2) var<storage, read_write> m: array<f32>;
@group(0) @binding(3) var<storage, read_write> v: array<f32>;
@group(0) @binding(4) var<storage, read> scalars: array<f32>;
@group(0) @binding(5) var<uniform> o: Opt;

/** Not NaN nor ±Inf, from the bits (a compiler may assume float math has no NaN). */
fn finite(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatId(gid, nwg);
  if (i >= COUNT || !finite(scalars[0]) || !finite(scalars[1])) { return; }
  var g = grads[i];
  if (CLIP) {
    let coef = o.maxNorm / (sqrt(scalars[1]) + 1e-6);
    if (coef < 1.0) { g *= coef; }
  }
  if (ADAM) {
    let mi = o.beta1 * m[i] + (1.0 - o.beta1) * g;
    let vi = o.beta2 * v[i] + (1.0 - o.beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    params[i] -= o.stepSize * mi / (sqrt(vi) / o.sqrtBc2 + o.eps);
  } else if (o.momentum != 0.0) {
    var b = g;
    if (o.firstStep == 0u) { b = o.momentum * m[i] + g; }
    m[i] = b;
    params[i] -= o.lr * b;
  } else {
    params[i] -= o.lr * g;
  }
}
