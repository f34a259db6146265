// out[OUT_IDX] = Σ_i v_i (or Σ_i v_i² when SQUARE) over in[0, n), n = COUNT.
// Used for the loss (sum of rowLoss) and the squared gradient norm (over the flat gradient buffer).
// Split: one workgroup of 256; each invocation strides over the input, then a tree in workgroup memory.
override COUNT: u32;
override SQUARE: bool = false;
override OUT_IDX: u32 = 0u;

@group(0) @binding(0) var<storage, read> v: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;

var<workgroup> part: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) li: u32) {
  var s = 0.0;
  for (var i = li; i < COUNT; i += 256u) {
    let x = v[i];
    s += select(x, x * x, SQUARE);
  }
  part[li] = s;
  workgroupBarrier();
  for (var w = 128u; w > 0u; w >>= 1u) {
    if (li < w) { part[li] += part[li + w]; }
    workgroupBarrier();
  }
  if (li == 0u) { out[OUT_IDX] = part[0]; }
}
