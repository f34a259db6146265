// Column reductions over all T·B rows for the gradients that are not GEMMs:
// entry `bias`:   db[n] = Σ_m dY[m, n]                          (dY [M, N] at DY_OFF, row-major)
// entry `tokens`: dW[n, v] = Σ_{m : ids[m] = v} dY[m, n]        (W_ih's columns for one-hot inputs)
//   written into the flat gradient buffer at W_OFF with leading dimension LD; every column v < V is
//   written, zero where token v never occurs.
// Split: one invocation per n (consecutive n read consecutive words of a row). For `tokens`, a
// workgroup covers 64 values of n and a chunk of VCH vocabulary entries (workgroup_id.y), keeping
// its partial sums in workgroup memory; each invocation owns one column of that tile, so no barrier.
override M: u32;
override N: u32;
override DY_OFF: u32 = 0u;
override OUT_OFF: u32;
override LD: u32 = 1u;
override V: u32 = 1u;
override VCH: u32 = 64u;

@group(0) @binding(0) var<storage, read> dY: array<f32>;
@group(0) @binding(1) var<storage, read> ids: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

var<workgroup> part: array<f32, VCH * 64u>;

@compute @workgroup_size(64)
fn bias(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n = gid.x;
  if (n >= N) { return; }
  var s = 0.0;
  for (var m = 0u; m < M; m++) { s += dY[DY_OFF + m * N + n]; }
  out[OUT_OFF + n] = s;
}

@compute @workgroup_size(64)
fn tokens(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let n = wid.x * 64u + li;
  let v0 = wid.y * VCH;
  for (var v = 0u; v < VCH; v++) { part[v * 64u + li] = 0.0; }
  if (n < N) {
    for (var m = 0u; m < M; m++) {
      let v = ids[m];
      if (v >= v0 && v < v0 + VCH) { part[(v - v0) * 64u + li] += dY[DY_OFF + m * N + n]; }
    }
    for (var v = 0u; v < VCH; v++) {
      if (v0 + v < V) { out[OUT_OFF + n * LD + v0 + v] = part[v * 64u + li]; }
    }
  }
}
