// The operands of the three GEMM kernels (gemm.wgsl on GPUs, gemm_rb.wgsl and gemm_team.wgsl on
// CPU adapters), prepended to each: C[m, n] = Σ_k A[m, k] · B[k, n] (+ bias[n]) over strided views
//   A[m, k] = a[A_OFF + m·A_SM + k·A_SK], B[k, n] = b[B_OFF + k·B_SK + n·B_SN], C[m, n] = c[C_OFF + m·C_LD + n],
// so a transpose is a swap of strides (W_ihᵀ, dYᵀ·X) and the tutorial's column blocks of i2h.weight
// are views with their own offset and leading dimension.
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
override ACCUMULATE: bool = false; // + C[m, n]

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
