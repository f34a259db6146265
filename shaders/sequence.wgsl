// The recurrence over ALL T steps in one dispatch, for shapes where a group of batch rows fits one
// workgroup (rows are independent, so workgroups never need to meet): `forward` runs the step of
// step.wgsl for t = 0 … T−1, `backward` the BPTT of bptt.wgsl for t = T−1 … 0 and then d h0.
// Between steps a workgroup barrier replaces a dispatch boundary.
//   forward:  h_t = cellForward(A[t], W_hh h_{t−1} + b_hh, c_{t−1})           (shaders/cells.wgsl)
//   backward: dh_t = dHin[t+1] + direct_{t+1} + W_hhᵀ dR[t+1]; dA, dR from cellBackward
// Layouts as in step.wgsl / bptt.wgsl. Workgroup memory holds the RB rows' h_{t−1} [RB, H]
// (forward) or dR_{t+1} [RB, G·H] (backward); c_t, and the carried direct / dc terms, stay in the
// registers of the invocation that owns unit j.
// Split: workgroup w owns batch rows w·RB … w·RB + RB − 1; invocation li owns units j = li + q·WGS
// (q < NQ ≤ 4) of each of those rows.
override H: u32;
override B: u32;
override CELL: u32;
override ACT: u32 = 0u;
override WHH_OFF: u32;
override WHH_LD: u32;
override BHH_OFF: u32 = 0u;
override HAS_BHH: bool = true;
override WGS: u32 = 64u;
override NQ: u32 = 1u;
override RB: u32 = 1u;    // ≤ 4
override SHARED: u32 = 1u; // RB·H (forward) or RB·G·H (backward)

@group(0) @binding(0) var<storage, read> params: array<f32>;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read_write> hs: array<f32>;
@group(0) @binding(3) var<storage, read_write> cs: array<f32>;
@group(0) @binding(4) var<storage, read_write> cache: array<f32>;
@group(0) @binding(5) var<storage, read> dHin: array<f32>;
@group(0) @binding(6) var<storage, read_write> dAR: array<f32>;
@group(0) @binding(7) var<storage, read_write> carry: array<f32>;
@group(0) @binding(8) var<uniform> step: Step;

var<workgroup> sh: array<f32, SHARED>;

fn gates() -> u32 { return gateCount(CELL); }

@compute @workgroup_size(WGS)
fn forward(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let b0 = wid.x * RB;
  let G = gates();
  var c = array<array<f32, 4>, 4>(); // [row][q]; explicit zeros: Tint may hoist a declaration out of a loop
  for (var i = 0u; i < RB; i++) {
    let b = min(b0 + i, B - 1u);
    for (var q = 0u; q < NQ; q++) {
      let j = li + q * WGS;
      if (j < H) {
        sh[i * H + j] = hs[b * H + j];
        if (CELL == 1u) { c[i][q] = cs[b * H + j]; }
      }
    }
  }
  workgroupBarrier();
  for (var t = 0u; t < step.T; t++) {
    var hn = array<array<f32, 4>, 4>();
    for (var q = 0u; q < NQ; q++) {
      let j = li + q * WGS;
      if (j >= H) { continue; }
      // r[g][i] = W_hh[g·H + j, :] · h_{t−1}[row i] + b_hh
      var r = array<array<f32, 4>, 4>();
      for (var g = 0u; g < G; g++) {
        let w0 = WHH_OFF + (g * H + j) * WHH_LD;
        for (var k = 0u; k < H; k++) {
          let w = params[w0 + k];
          for (var i = 0u; i < RB; i++) { r[g][i] += w * sh[i * H + k]; }
        }
        if (HAS_BHH) { for (var i = 0u; i < RB; i++) { r[g][i] += params[BHH_OFF + g * H + j]; } }
      }
      for (var i = 0u; i < RB; i++) {
        let b = b0 + i;
        if (b >= B) { continue; }
        let a0 = (t * B + b) * G * H;
        var a = vec4<f32>();
        for (var g = 0u; g < G; g++) { a[g] = A[a0 + g * H + j]; }
        let o = cellForward(CELL, ACT, a, vec4<f32>(r[0][i], r[1][i], r[2][i], r[3][i]), sh[i * H + j], c[i][q]);
        hn[i][q] = o.h;
        c[i][q] = o.c;
        if (CELL == 1u) { cs[((t + 1u) * B + b) * H + j] = o.c; }
        if (CELL != 0u) {
          let c0 = (t * B + b) * 4u * H;
          for (var g = 0u; g < 4u; g++) { cache[c0 + g * H + j] = o.saved[g]; }
        }
      }
    }
    workgroupBarrier();
    for (var q = 0u; q < NQ; q++) {
      let j = li + q * WGS;
      if (j >= H) { continue; }
      for (var i = 0u; i < RB; i++) {
        let b = b0 + i;
        if (b >= B) { continue; }
        sh[i * H + j] = hn[i][q];
        hs[((t + 1u) * B + b) * H + j] = hn[i][q];
      }
    }
    workgroupBarrier();
  }
}

// W_hhᵀ dR for unit j and each of the RB rows: column j of W_hh against the rows' dR in workgroup memory.
fn whhT(j: u32) -> array<f32, 4> {
  let GH = gates() * H;
  var rec = array<f32, 4>();
  for (var k = 0u; k < GH; k++) {
    let w = params[WHH_OFF + k * WHH_LD + j];
    for (var i = 0u; i < RB; i++) { rec[i] += w * sh[i * GH + k]; }
  }
  return rec;
}

@compute @workgroup_size(WGS)
fn backward(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let b0 = wid.x * RB;
  let G = gates();
  let GH = G * H;
  var direct = array<array<f32, 4>, 4>(); // GRU's z ⊙ dh, handed to step t − 1
  var dc = array<array<f32, 4>, 4>();     // LSTM's dc ⊙ f, handed to step t − 1
  for (var t = step.T; t > 0u; t--) {
    let s = t - 1u;
    var dR = array<array<array<f32, 4>, 4>, 4>(); // [row][q][gate], published after the barrier
    for (var q = 0u; q < NQ; q++) {
      let j = li + q * WGS;
      if (j >= H) { continue; }
      var rec = array<f32, 4>();
      if (t < step.T) { rec = whhT(j); }
      for (var i = 0u; i < RB; i++) {
        let b = b0 + i;
        if (b >= B) { continue; }
        let hp = (s * B + b) * H;
        let hn = ((s + 1u) * B + b) * H;
        let c0 = (s * B + b) * 4u * H;
        var saved = vec4<f32>();
        if (CELL != 0u) { saved = vec4<f32>(cache[c0 + j], cache[c0 + H + j], cache[c0 + 2u * H + j], cache[c0 + 3u * H + j]); }
        let d = cellBackward(CELL, ACT, dHin[hn + j] + direct[i][q] + rec[i], dc[i][q], hs[hn + j], cs[hn + j], cs[hp + j], hs[hp + j], saved);
        let a0 = (s * B + b) * GH;
        let r0 = select(0u, step.T * B * GH, CELL == 2u) + a0; // dR is dA but for the GRU
        for (var g = 0u; g < G; g++) {
          dAR[a0 + g * H + j] = d.dA[g];
          dAR[r0 + g * H + j] = d.dR[g];
          dR[i][q][g] = d.dR[g];
        }
        direct[i][q] = d.dhPrevDirect;
        dc[i][q] = d.dcPrev;
      }
    }
    workgroupBarrier();
    for (var q = 0u; q < NQ; q++) {
      let j = li + q * WGS;
      if (j >= H) { continue; }
      for (var i = 0u; i < RB; i++) {
        for (var g = 0u; g < G; g++) { sh[i * GH + g * H + j] = dR[i][q][g]; }
      }
    }
    workgroupBarrier();
  }
  // d h0 = direct_0 + W_hhᵀ dR_0 + dHin[slot 0];  d c0 = dc_0   (into carry, as bptt.wgsl's to_h0)
  for (var q = 0u; q < NQ; q++) {
    let j = li + q * WGS;
    if (j >= H) { continue; }
    let rec = whhT(j);
    for (var i = 0u; i < RB; i++) {
      let b = b0 + i;
      if (b >= B) { continue; }
      carry[b * H + j] = direct[i][q] + rec[i] + dHin[b * H + j];
      carry[(B + b) * H + j] = dc[i][q];
    }
  }
}
