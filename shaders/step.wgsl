// The fused recurrent step at time t: recurrent GEMV for all gates + bias + gate math, one kernel.
//   r_g = W_hh[g·H + j, :] · h_{t-1} + b_hh[g·H + j]      a_g = A[t, b, g·H + j] = W_ih x_t + b_ih
//   then h_t (c_t) = the cell's update of shaders/cells.wgsl (RNN act(a + r); LSTM i,f,g,o; GRU r,z,n)
// Layouts: A [T, B, G·H]; hs, cs time-major [T+1, B, H] (slot t+1 = step t, slot 0 = h0);
// cache [T, B, 4H] keeps what BPTT needs: LSTM i,f,g,o; GRU r,z,n and r_n (W_hn h + b_hn).
// The recurrent product is the GEMM [B, H] · W_hhᵀ [H, G·H] with the gate math as its epilogue, so
// each invocation must hold all G gates of the units it finishes. Columns are (gate, unit) pairs.
// Split, GPUs (`tiled`): a workgroup of 8×8 computes 32 rows × 32 columns through workgroup memory
//   (K in chunks of 16, as gemm.wgsl); column tx + 8j is gate j of unit u0 + tx (LSTM, GRU: 8
//   units a tile) or unit u0 + tx + 8j (RNN: 32 units a tile).
// Split, CPU adapters (`blocked`, where barriers are costly and private arrays live in memory):
//   one invocation per 4 rows × 4 columns, a column being a unit (RNN) or a gate of one unit;
//   per k it loads 4 words of h and 4 of W_hh for 16 multiply-adds, in four vec4 registers.
override H: u32;
override B: u32;
override CELL: u32; // 0 RNN, 1 LSTM, 2 GRU
override ACT: u32 = 0u; // RNN only: 0 tanh, 1 relu, 2 identity (the tutorial model)
override WHH_OFF: u32;
override WHH_LD: u32;
override BHH_OFF: u32 = 0u;
override HAS_BHH: bool = true;

@group(0) @binding(0) var<storage, read> params: array<f32>;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read_write> hs: array<f32>;
@group(0) @binding(3) var<storage, read_write> cs: array<f32>;
@group(0) @binding(4) var<storage, read_write> cache: array<f32>;
@group(0) @binding(5) var<uniform> step: Step;

fn gates() -> u32 { return gateCount(CELL); }

// h_t (and c_t, the cache) at (b, j) from the recurrent pre-activations rv[g] = W_hh h_{t-1} (no bias yet).
fn cellUpdate(t: u32, b: u32, j: u32, rv: vec4<f32>) {
  let G = gates();
  var a = vec4<f32>();
  var r = rv;
  let a0 = (t * B + b) * G * H;
  for (var g = 0u; g < G; g++) {
    a[g] = A[a0 + g * H + j];
    if (HAS_BHH) { r[g] += params[BHH_OFF + g * H + j]; }
  }
  let hp = (t * B + b) * H;        // h_{t-1}
  let hn = ((t + 1u) * B + b) * H; // h_t
  let o = cellForward(CELL, ACT, a, r, hs[hp + j], cs[hp + j]);
  hs[hn + j] = o.h;
  if (CELL == 1u) { cs[hn + j] = o.c; }
  if (CELL != 0u) {
    let c0 = (t * B + b) * 4u * H;
    for (var g = 0u; g < 4u; g++) { cache[c0 + g * H + j] = o.saved[g]; }
  }
}

fn pick(c: u32, a0: vec4<f32>, a1: vec4<f32>, a2: vec4<f32>, a3: vec4<f32>) -> vec4<f32> {
  return select(select(select(a3, a2, c == 2u), a1, c == 1u), a0, c == 0u);
}

const TM: u32 = 32u;
const TK: u32 = 16u;
var<workgroup> tileH: array<f32, 512>; // [32 rows][16 k]
var<workgroup> tileW: array<f32, 512>; // [16 k][32 columns]

@compute @workgroup_size(8, 8)
fn tiled(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
         @builtin(local_invocation_index) li: u32) {
  let t = step.t0;
  let G = gates();
  let u0 = wid.x * select(8u, 32u, G == 1u);
  let m0 = wid.y * TM;
  var acc = array<array<f32, 4>, 4>(); // explicit zeros: Tint may hoist a declaration out of a loop
  for (var k0 = 0u; k0 < H; k0 += TK) {
    for (var e = li; e < 512u; e += 64u) {
      let b = m0 + e / TK;
      let k = k0 + e % TK;
      tileH[e] = select(0.0, hs[(t * B + b) * H + k], b < B && k < H);
      let kk = k0 + e / 32u;
      let c = e % 32u;
      let g = select(c / 8u, 0u, G == 1u);
      let u = select(u0 + c % 8u, u0 + c, G == 1u);
      tileW[e] = select(0.0, params[WHH_OFF + (g * H + u) * WHH_LD + kk], kk < H && u < H && g < G);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk++) {
      for (var i = 0u; i < 4u; i++) {
        let hv = tileH[(lid.y + 8u * i) * TK + kk];
        for (var j = 0u; j < 4u; j++) { acc[i][j] += hv * tileW[kk * 32u + lid.x + 8u * j]; }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    let b = m0 + lid.y + 8u * i;
    if (b >= B) { continue; }
    if (G == 1u) {
      for (var j = 0u; j < 4u; j++) {
        let u = u0 + lid.x + 8u * j;
        if (u < H) { cellUpdate(t, b, u, vec4<f32>(acc[i][j], 0.0, 0.0, 0.0)); }
      }
    } else if (u0 + lid.x < H) {
      cellUpdate(t, b, u0 + lid.x, vec4<f32>(acc[i][0], acc[i][1], acc[i][2], acc[i][3]));
    }
  }
}

@compute @workgroup_size(64)
fn blocked(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = flatId(gid, nwg);
  let t = step.t0;
  let G = gates();
  // 4 rows × 4 columns; columns are units j0..j0+3 (RNN) or gates 0..G−1 of unit j0
  let units = select(1u, 4u, G == 1u);
  let nj = (H + units - 1u) / units;
  if (idx >= ((B + 3u) / 4u) * nj) { return; }
  let b0 = (idx / nj) * 4u;
  let j0 = (idx % nj) * units;
  let h0 = (t * B + min(b0, B - 1u)) * H;
  let h1 = (t * B + min(b0 + 1u, B - 1u)) * H;
  let h2 = (t * B + min(b0 + 2u, B - 1u)) * H;
  let h3 = (t * B + min(b0 + 3u, B - 1u)) * H;
  var w: vec4<u32>;
  for (var c = 0u; c < 4u; c++) {
    let row = select(min(c, G - 1u) * H + j0, min(j0 + c, H - 1u), G == 1u);
    w[c] = WHH_OFF + row * WHH_LD;
  }
  var acc0 = vec4<f32>();
  var acc1 = vec4<f32>();
  var acc2 = vec4<f32>();
  var acc3 = vec4<f32>();
  for (var k = 0u; k < H; k++) {
    let hv = vec4<f32>(hs[h0 + k], hs[h1 + k], hs[h2 + k], hs[h3 + k]);
    acc0 += params[w.x + k] * hv;
    acc1 += params[w.y + k] * hv;
    acc2 += params[w.z + k] * hv;
    acc3 += params[w.w + k] * hv;
  }
  for (var i = 0u; i < 4u; i++) {
    let b = b0 + i;
    if (b >= B) { break; }
    if (G == 1u) {
      for (var c = 0u; c < 4u; c++) {
        if (j0 + c < H) { cellUpdate(t, b, j0 + c, vec4<f32>(pick(c, acc0, acc1, acc2, acc3)[i], 0.0, 0.0, 0.0)); }
      }
    } else {
      cellUpdate(t, b, j0, vec4<f32>(acc0[i], acc1[i], acc2[i], acc3[i]));
    }
  }
}
