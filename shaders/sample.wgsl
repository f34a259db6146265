// Sampling the next token inside the generation loop, so only the final ids leave the GPU.
//   temperature 0: argmax z; else p_j ∝ exp((z_j − max z) / temperature) over the topK largest z
//   (ties at the cut-off kept; topK 0 = all), inverted at u = uniformAt(seed, t + 1).
// Same rule and the same counter-based random numbers as src/cpu/sample.ts and uniformAt() in
// src/model/init.ts, so CPU and GPU draw identical sequences from identical logits.
// Layout: logits [T, 1, O], row t = step.t0; writes ids[t + 1].
// Split: a single invocation (O(O·topK) selection; vocabularies here are small).
override O: u32;

struct Sampling {
  temperature: f32,
  topK: u32,
  seed: u32,
}

@group(0) @binding(0) var<storage, read> z: array<f32>;
@group(0) @binding(1) var<storage, read_write> ids: array<u32>;
@group(0) @binding(2) var<uniform> s: Sampling;
@group(0) @binding(3) var<uniform> step: Step;

fn pcg(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

@compute @workgroup_size(1)
fn main() {
  let t = step.t0;
  let base = t * O;
  var best = 0u;
  for (var j = 1u; j < O; j++) { if (z[base + j] > z[base + best]) { best = j; } }
  if (s.temperature <= 0.0) { ids[t + 1u] = best; return; }
  var cut = -3.4e38;
  if (s.topK > 0u && s.topK < O) {
    // the topK-th largest value: the smallest z_j with fewer than topK values above it
    cut = 3.4e38;
    for (var j = 0u; j < O; j++) {
      var above = 0u;
      for (var i = 0u; i < O; i++) { if (z[base + i] > z[base + j]) { above++; } }
      if (above < s.topK) { cut = min(cut, z[base + j]); }
    }
  }
  let m = z[base + best];
  var total = 0.0;
  for (var j = 0u; j < O; j++) { if (z[base + j] >= cut) { total += exp((z[base + j] - m) / s.temperature); } }
  let u = f32(pcg(s.seed ^ pcg(t + 1u)) >> 8u) / 16777216.0;
  let goal = u * total;
  var acc = 0.0;
  var pick = best;
  for (var j = 0u; j < O; j++) {
    if (z[base + j] >= cut) {
      acc += exp((z[base + j] - m) / s.temperature);
      if (acc > goal) { pick = j; break; }
    }
  }
  ids[t + 1u] = pick;
}
