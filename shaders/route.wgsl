// Row routes for the general model (embeddings, bidirectional stacks, lengths, dropout). The CPU
// twin is src/cpu/network.ts, which does each of these inline (its X, Y, dY arrays).
// entry `gather`: for r < ROWS, c < C (rows time-major, r = t·B + b):
//     out[OUT_OFF + r·LD_OUT + c]  (=, or += with ACC)  src[IN_OFF + i·LD_IN + c] · m
//     i = r with IDENTITY, else idx[r];  m = mask[(MASK_BY_SRC ? i : r)·LD_MASK + MASK_OFF + c] with HAS_MASK, else 1
//   An embedding lookup (src = the parameters, idx = token ids, m = the input dropout), a layer's
//   output from a unit's states (src = its h slots 1..T; idx = each row's reversal for a reverse
//   direction, which keeps its states in the order it took its steps; m = dropout ⊙ lengths), a
//   reverse direction's input, and the same routes backwards (d loss / d output into the units'
//   dH, the reverse direction's d input added into the forward one's).
// entry `scatter_csr`: out[OUT_OFF + v·C + c]  (=, or += with ACC)  Σ_{r ∈ rows of token v} src[r·LD_IN + c] · m(r, c)
//   the embedding's gradient, rows summed in increasing order (deterministic): rows grouped by
//   token on the CPU, in colgrad.wgsl tokens_csr's layout (words v, v + 1 bound token v's run of
//   the row list at word V + 1). A tied head's gradient is already in `out`: ACC adds to it.
// Split: one invocation per output element, c fastest.
override ROWS: u32;
override C: u32;
override IN_OFF: u32 = 0u;
override LD_IN: u32;
override OUT_OFF: u32 = 0u;
override LD_OUT: u32 = 1u;
override ACC: bool = false;
override IDENTITY: bool = false;
override HAS_MASK: bool = false;
override MASK_BY_SRC: bool = false;
override LD_MASK: u32 = 1u;
override MASK_OFF: u32 = 0u;
override V: u32 = 1u;

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read> idx: array<u32>;
@group(0) @binding(2) var<storage, read> mask: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn gather(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = flatId(gid, nwg);
  if (e >= ROWS * C) { return; }
  let r = e / C;
  let c = e - r * C;
  var i = r;
  if (!IDENTITY) { i = idx[r]; }
  var v = src[IN_OFF + i * LD_IN + c];
  if (HAS_MASK) { v *= mask[select(r, i, MASK_BY_SRC) * LD_MASK + MASK_OFF + c]; }
  let o = OUT_OFF + r * LD_OUT + c;
  if (ACC) { out[o] += v; } else { out[o] = v; }
}

@compute @workgroup_size(64)
fn scatter_csr(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = flatId(gid, nwg);
  if (e >= V * C) { return; }
  let v = e / C;
  let c = e - v * C;
  var s = 0.0;
  for (var k = idx[v]; k < idx[v + 1u]; k++) {
    let r = idx[V + 1u + k];
    var d = src[r * LD_IN + c];
    if (HAS_MASK) { d *= mask[r * LD_MASK + c]; }
    s += d;
  }
  let o = OUT_OFF + v * C + c;
  if (ACC) { out[o] += s; } else { out[o] = s; }
}
