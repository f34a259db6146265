// GEMM, register-blocked variant for CPU-emulated adapters (SwiftShader), where workgroup barriers
// are costly: the same C[m, n] = Σ_k A[m, k] · B[k, n] (+ bias) (+ C) over the same strided views as
// gemm.wgsl, but each invocation computes a 4×4 block straight from storage (8 loads per 16 FMAs),
// with no workgroup memory, no barrier and no private arrays (vec4 accumulators).
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
  // clamped addresses at the edges (the writes below skip what is out of range); scalars and
  // vec4 registers only, no private arrays: CPU adapters index those through memory
  let ar = vec4<u32>(min(m0, M - 1u), min(m0 + 1u, M - 1u), min(m0 + 2u, M - 1u), min(m0 + 3u, M - 1u)) * A_SM + A_OFF;
  let bc = vec4<u32>(min(n0, N - 1u), min(n0 + 1u, N - 1u), min(n0 + 2u, N - 1u), min(n0 + 3u, N - 1u)) * B_SN + B_OFF;
  var acc0 = vec4<f32>(); // row m0, columns n0 … n0 + 3
  var acc1 = vec4<f32>();
  var acc2 = vec4<f32>();
  var acc3 = vec4<f32>();
  for (var k = 0u; k < K; k++) {
    let ak = k * A_SK;
    let bk = k * B_SK;
    let bv = vec4<f32>(b[bc.x + bk], b[bc.y + bk], b[bc.z + bk], b[bc.w + bk]);
    acc0 += a[ar.x + ak] * bv;
    acc1 += a[ar.y + ak] * bv;
    acc2 += a[ar.z + ak] * bv;
    acc3 += a[ar.w + ak] * bv;
  }
  for (var i = 0u; i < 4u; i++) {
    let m = m0 + i;
    if (m >= M) { break; }
    let row = select(select(select(acc3, acc2, i == 2u), acc1, i == 1u), acc0, i == 0u);
    for (var j = 0u; j < 4u; j++) {
      let n = n0 + j;
      if (n >= N) { break; }
      var v = row[j];
      if (HAS_BIAS) { v += bias[BIAS_OFF + n]; }
      let o = C_OFF + m * C_LD + n;
      if (ACCUMULATE) { v += c[o]; }
      c[o] = v;
    }
  }
}
