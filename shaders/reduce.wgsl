// out[OUT_IDX + g] = Σ_{i ∈ slice g} v_i (or v_i² when SQUARE), slice g = [g·SLICE, min((g+1)·SLICE, COUNT)).
// Used for the loss (sum of rowLoss over the B·T rows) and the squared gradient norm (over the flat
// gradient buffer, up to millions of floats).
// Split: workgroup g (256 invocations) reduces its own contiguous slice: invocation li adds slice
// elements li, li + 256, … in order (consecutive lanes read consecutive words), then a fixed tree
// in workgroup memory. An input longer than one slice takes two dispatches (src/gpu/kernels/loss.ts reduceOps):
// G workgroups write G partials into a scratch buffer, then one workgroup (SLICE ≥ G, SQUARE off)
// sums those into the output. No atomics, fixed order: the result does not depend on timing.
override COUNT: u32;
override SLICE: u32;
override SQUARE: bool = false;
override OUT_IDX: u32 = 0u;

@group(0) @binding(0) var<storage, read> v: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;

var<workgroup> part: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let start = wid.x * SLICE;
  let end = min(COUNT, start + SLICE);
  var s = 0.0;
  for (var i = start + li; i < end; i += 256u) {
    let x = v[i];
    s += select(x, x * x, SQUARE);
  }
  part[li] = s;
  workgroupBarrier();
  for (var w = 128u; w > 0u; w >>= 1u) {
    if (li < w) { part[li] += part[li + w]; }
    workgroupBarrier();
  }
  if (li == 0u) { out[OUT_IDX + wid.x] = part[0]; }
}
