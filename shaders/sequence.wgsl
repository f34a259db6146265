// The recurrence over ALL T steps in one dispatch, for shapes where a group of batch rows fits one
// workgroup (rows are independent, so workgroups never need to meet): `forward` runs the step of
// step.wgsl for t = 0 … T−1, `backward` the BPTT of bptt.wgsl for t = T−1 … 0 and then d h0.
// Between steps a workgroup barrier replaces a dispatch boundary.
//   forward:  h_t = cell(A[t], W_hh h_{t−1} + b_hh, c_{t−1})     (formulas: step.wgsl)
//   backward: dh_t = dHin[t+1] + direct_{t+1} + W_hhᵀ dR[t+1]; dA, dR from the gate math (bptt.wgsl)
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

fn gates() -> u32 { return select(select(1u, 4u, CELL == 1u), 3u, CELL == 2u); }

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
        let c0 = (t * B + b) * 4u * H;
        if (CELL == 0u) {
          let p = A[a0 + j] + r[0][i];
          hn[i][q] = select(select(p, max(p, 0.0), ACT == 1u), tanh_(p), ACT == 0u);
        } else if (CELL == 1u) {
          let ig = sigmoid(A[a0 + j] + r[0][i]);
          let fg = sigmoid(A[a0 + H + j] + r[1][i]);
          let gg = tanh_(A[a0 + 2u * H + j] + r[2][i]);
          let og = sigmoid(A[a0 + 3u * H + j] + r[3][i]);
          c[i][q] = fg * c[i][q] + ig * gg;
          hn[i][q] = og * tanh_(c[i][q]);
          cs[((t + 1u) * B + b) * H + j] = c[i][q];
          cache[c0 + j] = ig;
          cache[c0 + H + j] = fg;
          cache[c0 + 2u * H + j] = gg;
          cache[c0 + 3u * H + j] = og;
        } else {
          let rg = sigmoid(A[a0 + j] + r[0][i]);
          let z = sigmoid(A[a0 + H + j] + r[1][i]);
          let n = tanh_(A[a0 + 2u * H + j] + rg * r[2][i]);
          hn[i][q] = (1.0 - z) * n + z * sh[i * H + j];
          cache[c0 + j] = rg;
          cache[c0 + H + j] = z;
          cache[c0 + 2u * H + j] = n;
          cache[c0 + 3u * H + j] = r[2][i];
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
      // W_hhᵀ dR_{s+1} for unit j: column j of W_hh against the rows' dR in workgroup memory
      var rec = array<f32, 4>();
      if (t < step.T) {
        for (var k = 0u; k < GH; k++) {
          let w = params[WHH_OFF + k * WHH_LD + j];
          for (var i = 0u; i < RB; i++) { rec[i] += w * sh[i * GH + k]; }
        }
      }
      for (var i = 0u; i < RB; i++) {
        let b = b0 + i;
        if (b >= B) { continue; }
        let hp = (s * B + b) * H;
        let hn = ((s + 1u) * B + b) * H;
        let dh = dHin[hn + j] + direct[i][q] + rec[i];
        let a0 = (s * B + b) * GH;
        let r0 = select(0u, step.T * B * GH, CELL == 2u) + a0; // dR is dA but for the GRU
        let c0 = (s * B + b) * 4u * H;
        if (CELL == 0u) {
          let h = hs[hn + j];
          var d = dh;
          if (ACT == 0u) { d = dh * (1.0 - h * h); } else if (ACT == 1u) { d = select(0.0, dh, h > 0.0); }
          dAR[a0 + j] = d;
          dAR[r0 + j] = d;
          dR[i][q][0] = d;
        } else if (CELL == 1u) {
          let ig = cache[c0 + j];
          let fg = cache[c0 + H + j];
          let gg = cache[c0 + 2u * H + j];
          let og = cache[c0 + 3u * H + j];
          let tc = tanh_(cs[hn + j]);
          let dct = dc[i][q] + dh * og * (1.0 - tc * tc);
          let d = vec4<f32>(dct * gg * ig * (1.0 - ig), dct * cs[hp + j] * fg * (1.0 - fg), dct * ig * (1.0 - gg * gg), dh * tc * og * (1.0 - og));
          for (var g = 0u; g < 4u; g++) {
            dAR[a0 + g * H + j] = d[g];
            dAR[r0 + g * H + j] = d[g];
            dR[i][q][g] = d[g];
          }
          dc[i][q] = dct * fg;
        } else {
          let rg = cache[c0 + j];
          let z = cache[c0 + H + j];
          let n = cache[c0 + 2u * H + j];
          let rn = cache[c0 + 3u * H + j];
          let dn = dh * (1.0 - z) * (1.0 - n * n);
          let dz = dh * (hs[hp + j] - n) * z * (1.0 - z);
          let dr = dn * rn * rg * (1.0 - rg);
          dAR[a0 + j] = dr;          dAR[r0 + j] = dr;
          dAR[a0 + H + j] = dz;      dAR[r0 + H + j] = dz;
          dAR[a0 + 2u * H + j] = dn; dAR[r0 + 2u * H + j] = dn * rg;
          dR[i][q][0] = dr;
          dR[i][q][1] = dz;
          dR[i][q][2] = dn * rg;
          direct[i][q] = dh * z;
        }
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
    var rec = array<f32, 4>();
    for (var k = 0u; k < GH; k++) {
      let w = params[WHH_OFF + k * WHH_LD + j];
      for (var i = 0u; i < RB; i++) { rec[i] += w * sh[i * GH + k]; }
    }
    for (var i = 0u; i < RB; i++) {
      let b = b0 + i;
      if (b >= B) { continue; }
      carry[b * H + j] = direct[i][q] + rec[i] + dHin[b * H + j];
      carry[(B + b) * H + j] = dc[i][q];
    }
  }
}
