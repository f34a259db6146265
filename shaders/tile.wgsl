// The register tile both per-step GPU kernels share (step.wgsl `tiled`, bptt.wgsl `*_tiled`),
// prepended to those two files after cells.wgsl:  P[m, n] = Σ_k X[m, k] · Y[k, n] over a tile of
// TM = 8·ROWS_PER_INV rows × 32 columns, the caller staging chunks of KC = 16·K_SLICES k of X and Y in `sm`:
//   X chunk [TM][LDX] at 0 (X[m, k] at m·LDX + k), Y chunk [KC][LDW] at Y_AT (Y[k, n] at k·LDW + n),
//   rows padded by one word so that neither the coalesced stores nor the reads pile onto one bank;
//   after the K loop the same memory holds the partial sums [K_SLICES][TM][LDW].
// Invocation (tx, ty, kg) of 8×8×K_SLICES: group kg multiplies k = 16kg … 16kg + 15 of every chunk into
// rows ty + 8i (i < ROWS_PER_INV) × columns tx + 8j (j < 4), one named vec4 register per row.
override ROWS_PER_INV: u32 = 4u; // rows per invocation: 1, 2 or 4
override K_SLICES: u32 = 4u; // K split: groups of 8×8 invocations, each 16 k of a chunk
const TN: u32 = 32u;
const LDW: u32 = TN + 1u;
override TM: u32 = 8u * ROWS_PER_INV;
override KC: u32 = 16u * K_SLICES; // K chunk: one pair of barriers per KC
override LDX: u32 = KC + 1u;
override Y_AT: u32 = TM * LDX;
var<workgroup> sm: array<f32, max(TM * LDX + KC * LDW, K_SLICES * TM * LDW)>;

// Rows ty, ty + 8, ty + 16, ty + 24 of this invocation (r1 used from ROWS_PER_INV = 2 on, r2 and r3 at ROWS_PER_INV = 4).
struct Acc { r0: vec4<f32>, r1: vec4<f32>, r2: vec4<f32>, r3: vec4<f32> }

// acc plus this invocation's share of the chunk in `sm`.
fn mulChunk(lid: vec3<u32>, acc: Acc) -> Acc {
  var o = acc;
  let xb = lid.y * LDX + lid.z * 16u;
  let yb = Y_AT + lid.z * 16u * LDW + lid.x;
  for (var kk = 0u; kk < 16u; kk++) {
    let y = vec4<f32>(sm[yb + kk * LDW], sm[yb + kk * LDW + 8u], sm[yb + kk * LDW + 16u], sm[yb + kk * LDW + 24u]);
    o.r0 += sm[xb + kk] * y;
    if (ROWS_PER_INV > 1u) { o.r1 += sm[xb + 8u * LDX + kk] * y; }
    if (ROWS_PER_INV > 2u) {
      o.r2 += sm[xb + 16u * LDX + kk] * y;
      o.r3 += sm[xb + 24u * LDX + kk] * y;
    }
  }
  return o;
}

// The loads of a chunk: invocation li takes k = li % KC of tile rows r0 + 4i and r0 + 16 + 4i
// (r0 = li / KC < 4, i < 4), so neighbours read neighbouring words; how many of each four exist.
fn xRows(upper: bool) -> u32 { return select(min(TM / 4u, 4u), select(0u, 4u, TM == 32u), upper); }

// sm[p + i·stride] = v[i] for the first n of i < 4.
fn storeCol4(p: u32, stride: u32, n: u32, v: vec4<f32>) {
  if (n > 0u) { sm[p] = v.x; }
  if (n > 1u) { sm[p + stride] = v.y; }
  if (n > 2u) { sm[p + 2u * stride] = v.z; }
  if (n > 3u) { sm[p + 3u * stride] = v.w; }
}

// This invocation's sums into the partials [kg][TM][LDW] (after a barrier past the last chunk).
fn storePartials(lid: vec3<u32>, acc: Acc) {
  let p = (lid.z * TM + lid.y) * LDW + lid.x;
  storeCol4(p, 8u, 4u, acc.r0);
  if (ROWS_PER_INV > 1u) { storeCol4(p + 8u * LDW, 8u, 4u, acc.r1); }
  if (ROWS_PER_INV > 2u) {
    storeCol4(p + 16u * LDW, 8u, 4u, acc.r2);
    storeCol4(p + 24u * LDW, 8u, 4u, acc.r3);
  }
}

// Σ over the K_SLICES groups of the partial sums at (row, column) of the tile.
fn partialSum(row: u32, col: u32) -> f32 {
  var s = 0.0;
  for (var g = 0u; g < K_SLICES; g++) { s += sm[(g * TM + row) * LDW + col]; }
  return s;
}
