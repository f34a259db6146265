// The fused recurrent step at time t: recurrent GEMV for all gates + bias + gate math, one kernel.
//   r_g = W_hh[g·H + j, :] · h_{t-1} + b_hh[g·H + j]      a_g = A[t, b, g·H + j] = W_ih x_t + b_ih
//   then h_t (c_t) = the cell's update of shaders/cells.wgsl (RNN act(a + r); LSTM i,f,g,o; GRU r,z,n)
// Layouts: A [T, B, G·H]; hs, cs time-major [T+1, B, H] (slot t+1 = step t, slot 0 = h0);
// cache [T, B, 4H] keeps what BPTT needs: LSTM i,f,g,o; GRU r,z,n and r_n (W_hn h + b_hn).
// The recurrent product is the GEMM [B, H] · W_hhᵀ [H, G·H] with the gate math as its epilogue, so
// each invocation must hold all G gates of the units it finishes. Columns are (gate, unit) pairs.
// Split, GPUs (`tiled`): a workgroup computes TM = 8·RB rows (RB = 4, 2 or 1, smaller where few
//   tiles would leave SMs idle) × 32 columns, column c being gate c / NU of unit u0 + c % NU,
//   NU = ⌊32 / G⌋ units a tile (RNN 32, GRU 10, LSTM 8). Its 8×8×KS invocations split K: a chunk of
//   KC = 16·KS k is staged in workgroup memory (coalesced: neighbours load neighbouring k, the next
//   chunk's loads in flight while this one is multiplied), group kg takes 16 k of it, each invocation
//   4·RB sums in vec4 registers; the KS partial sums meet in workgroup memory, and the cell update
//   runs once per (row, unit) of the tile, spread over all invocations.
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

// `tiled`: the workgroup's tile is TM = 8·RB rows × 32 columns; 8×8×KS invocations, invocation
// (tx, ty, kg) holding rows ty + 8i (i < RB) × columns tx + 8j (j < 4) in named vec4 registers.
override RB: u32 = 4u; // rows per invocation: 1, 2 or 4
override KS: u32 = 4u; // K split: the KS groups of 8×8 take 16 k each of a K chunk
const TN: u32 = 32u;
const LDW: u32 = TN + 1u; // padded rows of tileW and of the partial sums: no bank conflicts
override TM: u32 = 8u * RB;
override KC: u32 = 16u * KS; // K chunk: one pair of barriers per KC
override LDH: u32 = KC + 1u;
override W_AT: u32 = TM * LDH; // tileH [TM][LDH] at 0, tileW [KC][LDW] at W_AT
// The tiles, then (after the K loop, the same memory) partial sums [KS][TM][LDW].
var<workgroup> sm: array<f32, max(TM * LDH + KC * LDW, KS * TM * LDW)>;

@compute @workgroup_size(8, 8, KS)
fn tiled(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
         @builtin(local_invocation_index) li: u32) {
  let t = step.t0;
  let G = gates();
  let NU = TN / G; // units per tile: column c is gate c / NU of unit u0 + c % NU
  let u0 = wid.x * NU;
  let m0 = wid.y * TM;
  // loads: invocation li takes k = li % KC of rows / columns li / KC + 4i, so neighbours read
  // neighbouring words of h and of W_hh's rows
  let kl = li % KC;
  let r0 = li / KC;
  var wrow = vec4<u32>(); // W_hh rows of columns r0 + 4i for i < 8 (i ≥ 4: + 16), or H·G when past the tile
  var wrow2 = vec4<u32>();
  for (var i = 0u; i < 4u; i++) {
    let c = r0 + 4u * i;
    wrow[i] = select(G * H, (c / NU) * H + u0 + c % NU, c / NU < G && u0 + c % NU < H);
    let c2 = c + 16u;
    wrow2[i] = select(G * H, (c2 / NU) * H + u0 + c2 % NU, c2 / NU < G && u0 + c2 % NU < H);
  }
  var ph0 = vec4<f32>(); // prefetched h: rows r0 + 4i (ph1: + 16)
  var ph1 = vec4<f32>();
  var pw0 = vec4<f32>(); // prefetched W_hh: columns r0 + 4i (pw1: + 16)
  var pw1 = vec4<f32>();
  var acc0 = vec4<f32>();
  var acc1 = vec4<f32>();
  var acc2 = vec4<f32>();
  var acc3 = vec4<f32>();
  for (var k0 = 0u; k0 < H + KC; k0 += KC) {
    // global loads of chunk k0 into registers, while the other invocations may still compute on k0 − KC
    if (k0 < H) {
      let k = k0 + kl;
      for (var i = 0u; i < 4u; i++) {
        let b = m0 + r0 + 4u * i;
        ph0[i] = select(0.0, hs[(t * B + b) * H + k], b < B && k < H && r0 + 4u * i < TM);
        ph1[i] = select(0.0, hs[(t * B + b + 16u) * H + k], b + 16u < B && k < H && r0 + 4u * i + 16u < TM);
        pw0[i] = select(0.0, params[WHH_OFF + wrow[i] * WHH_LD + k], wrow[i] < G * H && k < H);
        pw1[i] = select(0.0, params[WHH_OFF + wrow2[i] * WHH_LD + k], wrow2[i] < G * H && k < H);
      }
    }
    if (k0 > 0u) {
      // multiply-adds over chunk k0 − KC, already in workgroup memory: kg's 16 k of it
      let hb = lid.y * LDH + lid.z * 16u;
      let wb = W_AT + lid.z * 16u * LDW + lid.x;
      for (var kk = 0u; kk < 16u; kk++) {
        let w = vec4<f32>(sm[wb + kk * LDW], sm[wb + kk * LDW + 8u], sm[wb + kk * LDW + 16u], sm[wb + kk * LDW + 24u]);
        acc0 += sm[hb + kk] * w;
        if (RB > 1u) { acc1 += sm[hb + 8u * LDH + kk] * w; }
        if (RB > 2u) {
          acc2 += sm[hb + 16u * LDH + kk] * w;
          acc3 += sm[hb + 24u * LDH + kk] * w;
        }
      }
    }
    workgroupBarrier();
    if (k0 < H) {
      for (var i = 0u; i < 4u; i++) {
        let r = r0 + 4u * i;
        if (r < TM) { sm[r * LDH + kl] = ph0[i]; }
        if (r + 16u < TM) { sm[(r + 16u) * LDH + kl] = ph1[i]; }
        sm[W_AT + kl * LDW + r] = pw0[i];
        sm[W_AT + kl * LDW + r + 16u] = pw1[i];
      }
    }
    workgroupBarrier();
  }
  storePartials(lid, acc0, acc1, acc2, acc3);
  workgroupBarrier();
  for (var e = li; e < TM * NU; e += 64u * KS) {
    let b = m0 + e / NU;
    let u = e % NU;
    if (b < B && u0 + u < H) {
      var r = vec4<f32>();
      for (var g = 0u; g < G; g++) { r[g] = partialSum(e / NU, g * NU + u); }
      cellUpdate(t, b, u0 + u, r);
    }
  }
}

// This invocation's sums (rows ty + 8i, columns tx + 8j) into the partials [kg][TM][LDW].
fn storePartials(lid: vec3<u32>, acc0: vec4<f32>, acc1: vec4<f32>, acc2: vec4<f32>, acc3: vec4<f32>) {
  let p = (lid.z * TM + lid.y) * LDW + lid.x;
  for (var j = 0u; j < 4u; j++) {
    sm[p + 8u * j] = acc0[j];
    if (RB > 1u) { sm[p + 8u * LDW + 8u * j] = acc1[j]; }
    if (RB > 2u) {
      sm[p + 16u * LDW + 8u * j] = acc2[j];
      sm[p + 24u * LDW + 8u * j] = acc3[j];
    }
  }
}

// Σ over the KS groups of the partial sums at (row, column) of the tile.
fn partialSum(row: u32, col: u32) -> f32 {
  var s = 0.0;
  for (var g = 0u; g < KS; g++) { s += sm[(g * TM + row) * LDW + col]; }
  return s;
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
