// Tiled GEMM for every dense product over all T·B rows at once (input projection, head, their
// gradients, the weight gradients of BPTT):
//   C[m, n] = Σ_k A[m, k] · B[k, n]  (+ bias[n])  (+ C[m, n] when ACCUMULATE)
// A, B and C are strided views (shaders/gemm_views.wgsl, prepended: the overrides and bindings).
// Split: a workgroup of 16×16 invocations computes a 64×64 tile of C, each invocation a 4×4 block
// in four vec4 registers (rows ty + 16i, columns tx + 16j, interleaved so neighbours read
// neighbouring words); K is walked in chunks of 16 staged through workgroup memory, the next
// chunk's global loads in flight while this one is multiplied. Loads are coalesced along whichever
// stride of an operand is 1: A along k when A_SK = 1, else along m; B along n unless only B_SK = 1.
// Split-K (K_SPLIT > 1, for a C of few tiles over a long K: the weight gradients over T·B rows):
// workgroup row wid.y = slice · ⌈M / 64⌉ + tile row; slice s sums k in [s·KSL, (s + 1)·KSL) into
// its own [M, N] block of `c` (a scratch buffer; no bias, no accumulate), and `split_sum` adds the
// K_SPLIT blocks in slice order into the real C with the bias (+ C when ACCUMULATE).

override K_SPLIT: u32 = 1u;
const TM: u32 = 64u;
const TN: u32 = 64u;
const TK: u32 = 16u;
const LD: u32 = 65u; // padded rows: stores along k do not pile onto one bank
var<workgroup> As: array<f32, 1040>; // [TK][LD]: As[k][m]
var<workgroup> Bs: array<f32, 1040>; // [TK][LD]: Bs[k][n]

// Element i (< 4) of this invocation's share of a tile: (m or n, k) offsets within the tile.
fn aAt(li: u32, i: u32) -> vec2<u32> {
  if (A_SK == 1u && A_SM != 1u) { return vec2<u32>(li / TK + 16u * i, li % TK); }
  return vec2<u32>(li % TM, li / TM + 4u * i);
}
fn bAt(li: u32, i: u32) -> vec2<u32> {
  if (B_SK == 1u && B_SN != 1u) { return vec2<u32>(li / TK + 16u * i, li % TK); }
  return vec2<u32>(li % TN, li / TN + 4u * i);
}

// Where (m or n, k) of a tile lives in As / Bs: [k][m or n].
fn tileAt(e: vec2<u32>) -> u32 { return e.y * LD + e.x; }

// A[m0 + e.x, k0 + e.y], 0 past M and the slice's end kEnd.
fn loadA(m0: u32, k0: u32, kEnd: u32, e: vec2<u32>) -> f32 {
  let m = m0 + e.x;
  let k = k0 + e.y;
  if (m < M && k < kEnd) { return a[A_OFF + m * A_SM + k * A_SK]; }
  return 0.0;
}

// B[k0 + e.y, n0 + e.x], 0 past the slice's end kEnd and N.
fn loadB(n0: u32, k0: u32, kEnd: u32, e: vec2<u32>) -> f32 {
  let n = n0 + e.x;
  let k = k0 + e.y;
  if (k < kEnd && n < N) { return b[B_OFF + k * B_SK + n * B_SN]; }
  return 0.0;
}

@compute @workgroup_size(16, 16)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let rows = (M + TM - 1u) / TM;
  let s = wid.y / rows; // this workgroup's K slice
  let m0 = (wid.y % rows) * TM;
  let n0 = wid.x * TN;
  // this workgroup's k range [kBeg, kEnd): slices of whole chunks
  let ksl = ((K + K_SPLIT - 1u) / K_SPLIT + TK - 1u) / TK * TK;
  let kBeg = min(K, s * ksl);
  let kEnd = min(K, kBeg + ksl);
  var pa = vec4<f32>(); // prefetched A, B: this invocation's 4 words of each tile
  var pb = vec4<f32>();
  var acc0 = vec4<f32>(); // row ty + 16i, columns tx + 16j
  var acc1 = vec4<f32>();
  var acc2 = vec4<f32>();
  var acc3 = vec4<f32>();
  for (var k0 = kBeg; k0 < kEnd + TK; k0 += TK) {
    if (k0 < kEnd) {
      pa = vec4<f32>(loadA(m0, k0, kEnd, aAt(li, 0u)), loadA(m0, k0, kEnd, aAt(li, 1u)), loadA(m0, k0, kEnd, aAt(li, 2u)), loadA(m0, k0, kEnd, aAt(li, 3u)));
      pb = vec4<f32>(loadB(n0, k0, kEnd, bAt(li, 0u)), loadB(n0, k0, kEnd, bAt(li, 1u)), loadB(n0, k0, kEnd, bAt(li, 2u)), loadB(n0, k0, kEnd, bAt(li, 3u)));
    }
    if (k0 > kBeg) {
      for (var kk = 0u; kk < TK; kk++) {
        let av = vec4<f32>(As[kk * LD + lid.y], As[kk * LD + lid.y + 16u], As[kk * LD + lid.y + 32u], As[kk * LD + lid.y + 48u]);
        let bv = vec4<f32>(Bs[kk * LD + lid.x], Bs[kk * LD + lid.x + 16u], Bs[kk * LD + lid.x + 32u], Bs[kk * LD + lid.x + 48u]);
        acc0 += av.x * bv;
        acc1 += av.y * bv;
        acc2 += av.z * bv;
        acc3 += av.w * bv;
      }
    }
    workgroupBarrier();
    if (k0 < kEnd) {
      As[tileAt(aAt(li, 0u))] = pa.x;
      As[tileAt(aAt(li, 1u))] = pa.y;
      As[tileAt(aAt(li, 2u))] = pa.z;
      As[tileAt(aAt(li, 3u))] = pa.w;
      Bs[tileAt(bAt(li, 0u))] = pb.x;
      Bs[tileAt(bAt(li, 1u))] = pb.y;
      Bs[tileAt(bAt(li, 2u))] = pb.z;
      Bs[tileAt(bAt(li, 3u))] = pb.w;
    }
    workgroupBarrier();
  }
  store(s, m0 + lid.y, n0 + lid.x, acc0);
  store(s, m0 + lid.y + 16u, n0 + lid.x, acc1);
  store(s, m0 + lid.y + 32u, n0 + lid.x, acc2);
  store(s, m0 + lid.y + 48u, n0 + lid.x, acc3);
}

// Row m of the block: columns n, n + 16, n + 32, n + 48 (into slice s's block when K_SPLIT > 1).
fn store(s: u32, m: u32, n: u32, v: vec4<f32>) {
  if (m >= M) { return; }
  storeOne(s, m, n, v.x);
  storeOne(s, m, n + 16u, v.y);
  storeOne(s, m, n + 32u, v.z);
  storeOne(s, m, n + 48u, v.w);
}

fn storeOne(s: u32, m: u32, n: u32, v: f32) {
  if (n >= N) { return; }
  if (K_SPLIT > 1u) {
    c[(s * M + m) * N + n] = v;
    return;
  }
  c[C_OFF + m * C_LD + n] = finish(m, n, v);
}

// C[m, n] from the product's value: + bias[n], + C[m, n] when ACCUMULATE.
fn finish(m: u32, n: u32, v: f32) -> f32 {
  var x = v;
  if (HAS_BIAS) { x += bias[BIAS_OFF + n]; }
  if (ACCUMULATE) { x += c[C_OFF + m * C_LD + n]; }
  return x;
}

// Split-K's second pass: C[m, n] = Σ_s part[s, m, n] in slice order (`a` is the scratch buffer
// the slices wrote), then bias and accumulate as above; one invocation an element.
@compute @workgroup_size(WG)
fn split_sum(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatId(gid, nwg);
  if (i >= M * N) { return; }
  var v = 0.0;
  for (var s = 0u; s < K_SPLIT; s++) { v += a[s * M * N + i]; }
  let m = i / N;
  let n = i % N;
  c[C_OFF + m * C_LD + n] = finish(m, n, v);
}
