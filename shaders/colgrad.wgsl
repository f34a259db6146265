// Column reductions over all M = T·B rows for the gradients that are not GEMMs:
// entry `bias`:   db[n] = Σ_m dY[m, n]                          (dY [M, N] at DY_OFF, row-major)
// entry `tokens`: dW[n, v] = Σ_{m : ids[m] = v} dY[m, n]        (W_ih's columns for one-hot inputs)
//   every column v < V is written, zero where token v never occurs.
// Split over rows: the M rows are cut into CHUNKS chunks of ROWS rows (workgroup_id.y carries the
// chunk). Chunk c writes its sum to out[OUT_OFF + c·LD_C + n·LD_N + v·LD_V]: with one chunk that
// is the gradient itself (LD_C = 0); with several, a scratch buffer of partials [CHUNKS, V, N]
// (V = 1 for `bias`), which entry `chunks` then sums in chunk order (fixed, so the result does not
// depend on timing) into the gradient. src/gpu/kernels/colgrad.ts colChunks picks CHUNKS per adapter kind.
// `bias`:   one invocation per n (consecutive n read consecutive words of a row), walking its chunk.
// `tokens`: a workgroup covers 64 values of n and a chunk of VCH vocabulary entries, keeping its
//   partial sums in workgroup memory; each invocation owns one column of that tile, so no
//   barrier. workgroup_id.y = chunk · VCN + vocabulary chunk.
// `chunks`: one invocation per output (n, v), n fastest: out[OUT_OFF + n·LD_N + v·LD_V] = Σ_c part[c, v, n].
// `tokens_csr` (CPU adapters): `tokens` from the rows grouped by token, which the backend sorts
//   on the CPU as it uploads the ids: in the ids binding, words v and v + 1 bound token v's run
//   of the row list that starts at word V + 1 (rows in increasing m). One invocation per (n, v),
//   n fastest: two loads per (row, n) and nothing else, where `tokens` tests every row against
//   every vocabulary chunk and adds in workgroup memory (each a per-lane load or store there).
override M: u32;
override N: u32;
override DY_OFF: u32 = 0u;
override OUT_OFF: u32;
override LD_N: u32 = 1u;
override LD_V: u32 = 1u;
override LD_C: u32 = 0u;
override ROWS: u32 = M;
override CHUNKS: u32 = 1u;
override V: u32 = 1u;
override VCH: u32 = 64u;
override VCN: u32 = 1u;
override OUT2_OFF: u32 = 0u; // with HAS_OUT2 the final sums also go here (b_hh's gradient where dR is dA)
override HAS_OUT2: bool = false;

@group(0) @binding(0) var<storage, read> dY: array<f32>;
@group(0) @binding(1) var<storage, read> ids: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

var<workgroup> part: array<f32, VCH * 64u>;

@compute @workgroup_size(64)
fn bias(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let n = gid.x;
  if (n >= N) { return; }
  let c = wid.y;
  let m1 = min(M, (c + 1u) * ROWS);
  var s = 0.0;
  for (var m = c * ROWS; m < m1; m++) { s += dY[DY_OFF + m * N + n]; }
  out[OUT_OFF + c * LD_C + n * LD_N] = s;
  if (HAS_OUT2) { out[OUT2_OFF + n * LD_N] = s; } // one chunk only (LD_C = 0)
}

@compute @workgroup_size(64)
fn tokens(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let n = wid.x * 64u + li;
  let c = wid.y / VCN;
  let v0 = (wid.y % VCN) * VCH;
  for (var v = 0u; v < VCH; v++) { part[v * 64u + li] = 0.0; }
  if (n < N) {
    let m1 = min(M, (c + 1u) * ROWS);
    for (var m = c * ROWS; m < m1; m++) {
      let v = ids[m];
      if (v >= v0 && v < v0 + VCH) { part[(v - v0) * 64u + li] += dY[DY_OFF + m * N + n]; }
    }
    let o = OUT_OFF + c * LD_C + n * LD_N;
    for (var v = 0u; v < VCH; v++) {
      if (v0 + v < V) { out[o + (v0 + v) * LD_V] = part[v * 64u + li]; }
    }
  }
}

// dY here is the partials buffer [CHUNKS, V, N].
@compute @workgroup_size(64)
fn chunks(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatId(gid, nwg);
  if (i >= N * V) { return; }
  let n = i % N;
  let v = i / N;
  var s = 0.0;
  for (var c = 0u; c < CHUNKS; c++) { s += dY[(c * V + v) * N + n]; }
  out[OUT_OFF + n * LD_N + v * LD_V] = s;
  if (HAS_OUT2) { out[OUT2_OFF + n * LD_N + v * LD_V] = s; }
}

// ids here: [V + 1 run bounds, M rows] (see the header).
@compute @workgroup_size(64)
fn tokens_csr(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatId(gid, nwg);
  if (i >= N * V) { return; }
  let v = i / N;
  let n = i - v * N;
  var s = 0.0;
  let end = ids[v + 1u];
  for (var p = ids[v]; p < end; p++) { s += dY[DY_OFF + ids[V + 1u + p] * N + n]; }
  out[OUT_OFF + n * LD_N + v * LD_V] = s;
}
