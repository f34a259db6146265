// GEMM, register-blocked variant for CPU-emulated adapters (SwiftShader), where workgroup barriers
// are costly: the same C[m, n] = Σ_k A[m, k] · B[k, n] (+ bias) (+ C) over the same strided views as
// gemm.wgsl, but each invocation computes a 4×4 block straight from storage (8 loads per 16 FMAs),
// with no workgroup memory and no barrier.
// Split: one invocation per 4×4 block of C, blocks in row-major order.
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

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let nb = (N + 3u) / 4u;
  let idx = flatId(gid, nwg);
  if (idx >= ((M + 3u) / 4u) * nb) { return; }
  let m0 = (idx / nb) * 4u;
  let n0 = (idx % nb) * 4u;
  // clamp reads at the edges; the writes below skip what is out of range
  var ar = array<u32, 4>(); // explicit zeros: Tint may hoist a declaration out of a loop
  var bc = array<u32, 4>();
  for (var i = 0u; i < 4u; i++) {
    ar[i] = A_OFF + min(m0 + i, M - 1u) * A_SM;
    bc[i] = B_OFF + min(n0 + i, N - 1u) * B_SN;
  }
  var acc = array<array<f32, 4>, 4>();
  for (var k = 0u; k < K; k++) {
    let av = vec4<f32>(a[ar[0] + k * A_SK], a[ar[1] + k * A_SK], a[ar[2] + k * A_SK], a[ar[3] + k * A_SK]);
    let bk = k * B_SK;
    let bv = vec4<f32>(b[bc[0] + bk], b[bc[1] + bk], b[bc[2] + bk], b[bc[3] + bk]);
    for (var i = 0u; i < 4u; i++) {
      acc[i][0] += av[i] * bv[0];
      acc[i][1] += av[i] * bv[1];
      acc[i][2] += av[i] * bv[2];
      acc[i][3] += av[i] * bv[3];
    }
  }
  for (var i = 0u; i < 4u; i++) {
    let m = m0 + i;
    if (m >= M) { continue; }
    for (var j = 0u; j < 4u; j++) {
      let n = n0 + j;
      if (n >= N) { continue; }
      var v = acc[i][j];
      if (HAS_BIAS) { v += bias[BIAS_OFF + n]; }
      let o = C_OFF + m * C_LD + n;
      if (ACCUMULATE) { v += c[o]; }
      c[o] = v;
    }
  }
}
