// Prepended to every kernel (src/gpu/pipelines.ts). Grids are 1-D over `total` invocations, laid out
// as up to 65535 × Y workgroups of 64; `flatId` recovers the linear invocation index.
const WG: u32 = 64u;

struct Step {
  t0: u32,     // first time step of this dispatch
  nsteps: u32, // number of time steps it covers
  T: u32,      // steps in the sequence buffers
  first: u32,  // 1 on the first step of a backward sweep (t = T − 1)
}

fn flatId(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

// v_i of four vec4s, i < 4 (a register pick: vec4s indexed in a loop would leave registers).
fn pick4(i: u32, v0: vec4<f32>, v1: vec4<f32>, v2: vec4<f32>, v3: vec4<f32>) -> vec4<f32> {
  return select(select(select(v3, v2, i == 2u), v1, i == 1u), v0, i == 0u);
}

// v[i], i < 4, as a register pick (SwiftShader puts a dynamically indexed vector in memory).
fn comp4(v: vec4<f32>, i: u32) -> f32 {
  return select(select(select(v.w, v.z, i == 2u), v.y, i == 1u), v.x, i == 0u);
}

fn sigmoid(v: f32) -> f32 {
  return 1.0 / (1.0 + exp(-v));
}

// tanh via exp of a non-positive argument: stays finite for every v (WGSL's tanh may overflow).
fn tanh_(v: f32) -> f32 {
  let e = exp(-2.0 * abs(v));
  return sign(v) * (1.0 - e) / (1.0 + e);
}
