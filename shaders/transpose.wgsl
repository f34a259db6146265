// out[k, r] = in[OFF + r·LD + k] for r < ROWS, k < COLS: a transposed copy of a weight block
// (W_hh [G·H, H] → [H, G·H] for shaders/sequence.wgsl's forward, whose loads then coalesce).
// Split: one invocation per output element, consecutive invocations writing consecutive words.
override ROWS: u32;
override COLS: u32;
override OFF: u32 = 0u;
override LD: u32;

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = flatId(gid, nwg);
  if (e >= ROWS * COLS) { return; }
  let k = e / ROWS;
  let r = e % ROWS;
  out[e] = src[OFF + r * LD + k];
}
