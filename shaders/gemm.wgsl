// Tiled GEMM for every dense product over all T·B rows at once (input projection, head, their
// gradients, the weight gradients of BPTT):
//   C[m, n] = Σ_k A[m, k] · B[k, n]  (+ bias[n])  (+ C[m, n] when ACCUMULATE)
// A, B and C are strided views: A[m, k] = a[A_OFF + m·A_SM + k·A_SK], B[k, n] = b[B_OFF + k·B_SK + n·B_SN],
// C[m, n] = c[C_OFF + m·C_LD + n], so a transpose is a swap of strides (W_ihᵀ, dYᵀ·X) and the
// tutorial's column blocks of i2h.weight are views with their own offset and leading dimension.
// Split: a workgroup of 8×8 invocations computes a 32×32 tile of C, each invocation a 4×4 block
// (rows ty + 8i, columns tx + 8j, interleaved so neighbours read neighbouring words); K is walked
// in chunks of 16 staged through workgroup memory.
override M: u32;
override N: u32;
override K: u32;
override A_OFF: u32 = 0u;
override A_SM: u32;
override A_SK: u32;
override B_OFF: u32 = 0u;
override B_SK: u32;
override B_SN: u32;
override C_OFF: u32 = 0u;
override C_LD: u32;
override BIAS_OFF: u32 = 0u;
override HAS_BIAS: bool = false;
override ACCUMULATE: bool = false;

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

const TM: u32 = 32u;
const TN: u32 = 32u;
const TK: u32 = 16u;
var<workgroup> As: array<f32, 512>; // [TM][TK]
var<workgroup> Bs: array<f32, 512>; // [TK][TN]

@compute @workgroup_size(8, 8)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let m0 = wid.y * TM;
  let n0 = wid.x * TN;
  var acc = array<array<f32, 4>, 4>(); // explicit zeros: Tint may hoist a declaration out of a loop
  for (var k0 = 0u; k0 < K; k0 += TK) {
    for (var i = 0u; i < 8u; i++) {
      let e = li + i * 64u;
      let am = m0 + e / TK;
      let ak = k0 + e % TK;
      As[e] = select(0.0, a[A_OFF + am * A_SM + ak * A_SK], am < M && ak < K);
      let bk = k0 + e / TN;
      let bn = n0 + e % TN;
      Bs[e] = select(0.0, b[B_OFF + bk * B_SK + bn * B_SN], bk < K && bn < N);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk++) {
      var av = array<f32, 4>();
      var bv = array<f32, 4>();
      for (var i = 0u; i < 4u; i++) { av[i] = As[(lid.y + 8u * i) * TK + kk]; }
      for (var j = 0u; j < 4u; j++) { bv[j] = Bs[kk * TN + lid.x + 8u * j]; }
      for (var i = 0u; i < 4u; i++) {
        for (var j = 0u; j < 4u; j++) { acc[i][j] += av[i] * bv[j]; }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    let m = m0 + lid.y + 8u * i;
    if (m >= M) { continue; }
    for (var j = 0u; j < 4u; j++) {
      let n = n0 + lid.x + 8u * j;
      if (n >= N) { continue; }
      var v = acc[i][j];
      if (HAS_BIAS) { v += bias[BIAS_OFF + n]; }
      let o = C_OFF + m * C_LD + n;
      if (ACCUMULATE) { v += c[o]; }
      c[o] = v;
    }
  }
}
