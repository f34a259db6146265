// GEMM, register-blocked variant for CPU-emulated adapters (SwiftShader), where workgroup barriers
// are costly and private arrays live in memory: the same C[m, n] = Σ_k A[m, k] · B[k, n] (+ bias)
// (+ C) over the strided views of gemm_views.wgsl (prepended: overrides M … ACCUMULATE, bindings 0–3), each invocation computing a 4×4 block straight
// from storage into four vec4 registers (no workgroup memory, no barrier, no private arrays).
// K is walked 4 at a time: a 4×4 slice of A (rows × k) and of B (k × columns) per step. Where an
// operand is 16-byte aligned and contiguous along m, k or n (A_VEC / B_VEC = 1, 2), a slice is four
// vec4 loads through a second, vec4-typed binding of the same buffer instead of sixteen scalar ones.
// Split: one invocation per 4×4 block of C, blocks in row-major order.
override A_VEC: u32 = 0u; // 0 scalar, 1 contiguous along m (A_SM = 1), 2 along k (A_SK = 1)
override B_VEC: u32 = 0u; // 0 scalar, 1 contiguous along n (B_SN = 1), 2 along k (B_SK = 1)

@group(0) @binding(4) var<storage, read> a4: array<vec4<f32>>; // the buffer of `a`
@group(0) @binding(5) var<storage, read> b4: array<vec4<f32>>; // the buffer of `b`

// Columns kk = 0..3 of the result are A[m0 … m0+3, k + kk] (lanes = rows).
fn sliceA(ar: vec4<u32>, m0: u32, k: u32) -> mat4x4<f32> {
  if (A_VEC == 1u) {
    let base = (A_OFF + m0 + k * A_SK) / 4u;
    let s = A_SK / 4u;
    return mat4x4<f32>(a4[base], a4[base + s], a4[base + 2u * s], a4[base + 3u * s]);
  }
  if (A_VEC == 2u) { // rows along k: transpose four row vectors
    return transpose(mat4x4<f32>(a4[(ar.x + k) / 4u], a4[(ar.y + k) / 4u], a4[(ar.z + k) / 4u], a4[(ar.w + k) / 4u]));
  }
  return mat4x4<f32>(colA(ar, k), colA(ar, k + 1u), colA(ar, k + 2u), colA(ar, k + 3u));
}

fn colA(ar: vec4<u32>, k: u32) -> vec4<f32> {
  let o = k * A_SK;
  return vec4<f32>(a[ar.x + o], a[ar.y + o], a[ar.z + o], a[ar.w + o]);
}

// Columns kk = 0..3 of the result are B[k + kk, n0 … n0+3] (lanes = columns).
fn sliceB(bc: vec4<u32>, n0: u32, k: u32) -> mat4x4<f32> {
  if (B_VEC == 1u) {
    let base = (B_OFF + k * B_SK + n0) / 4u;
    let s = B_SK / 4u;
    return mat4x4<f32>(b4[base], b4[base + s], b4[base + 2u * s], b4[base + 3u * s]);
  }
  if (B_VEC == 2u) {
    return transpose(mat4x4<f32>(b4[(bc.x + k) / 4u], b4[(bc.y + k) / 4u], b4[(bc.z + k) / 4u], b4[(bc.w + k) / 4u]));
  }
  return mat4x4<f32>(rowB(bc, k), rowB(bc, k + 1u), rowB(bc, k + 2u), rowB(bc, k + 3u));
}

fn rowB(bc: vec4<u32>, k: u32) -> vec4<f32> {
  let o = k * B_SK;
  return vec4<f32>(b[bc.x + o], b[bc.y + o], b[bc.z + o], b[bc.w + o]);
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let nb = (N + 3u) / 4u;
  let idx = flatId(gid, nwg);
  if (idx >= ((M + 3u) / 4u) * nb) { return; }
  let m0 = (idx / nb) * 4u;
  let n0 = (idx % nb) * 4u;
  // clamped rows and columns at the edges; the writes below skip what is out of range
  let ar = vec4<u32>(min(m0, M - 1u), min(m0 + 1u, M - 1u), min(m0 + 2u, M - 1u), min(m0 + 3u, M - 1u)) * A_SM + A_OFF;
  let bc = vec4<u32>(min(n0, N - 1u), min(n0 + 1u, N - 1u), min(n0 + 2u, N - 1u), min(n0 + 3u, N - 1u)) * B_SN + B_OFF;
  var acc0 = vec4<f32>(); // row m0, columns n0 … n0 + 3
  var acc1 = vec4<f32>();
  var acc2 = vec4<f32>();
  var acc3 = vec4<f32>();
  let K4 = K - K % 4u;
  for (var k = 0u; k < K4; k += 4u) {
    let sa = sliceA(ar, m0, k);
    let sb = sliceB(bc, n0, k);
    // constant column indices only (a dynamic index would put the matrices in memory)
    acc0 += sa[0].x * sb[0] + sa[1].x * sb[1] + sa[2].x * sb[2] + sa[3].x * sb[3];
    acc1 += sa[0].y * sb[0] + sa[1].y * sb[1] + sa[2].y * sb[2] + sa[3].y * sb[3];
    acc2 += sa[0].z * sb[0] + sa[1].z * sb[1] + sa[2].z * sb[2] + sa[3].z * sb[3];
    acc3 += sa[0].w * sb[0] + sa[1].w * sb[1] + sa[2].w * sb[2] + sa[3].w * sb[3];
  }
  for (var k = K4; k < K; k++) {
    let av = colA(ar, k);
    let bv = rowB(bc, k);
    acc0 += av.x * bv;
    acc1 += av.y * bv;
    acc2 += av.z * bv;
    acc3 += av.w * bv;
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
