// The fused recurrent step at time t: recurrent GEMV for all gates + bias + gate math, one kernel.
//   r_g = W_hh[g·H + j, :] · h_{t-1} + b_hh[g·H + j]      a_g = A[t, b, g·H + j] = W_ih x_t + b_ih
//   then h_t (c_t) = the cell's update of shaders/cells.wgsl (RNN act(a + r); LSTM i,f,g,o; GRU r,z,n)
// With A_TOKENS (layer 0 of one-hot inputs, team kernels) a_g is read from the token ids instead:
//   W_ih[g·H + j, ids[t, b]] + b_ih[g·H + j], the projection pass (linear.wgsl) skipped.
// Layouts: A [T, B, G·H]; ids [T, B]; hs, cs time-major [T+1, B, H] (slot t+1 = step t, slot 0 = h0);
// cache [T, B, 4H] keeps what BPTT needs: LSTM i,f,g,o; GRU r,z,n and r_n (W_hn h + b_hn).
// The recurrent product is the GEMM [B, H] · W_hhᵀ [H, G·H] with the gate math as its epilogue, so
// each invocation must hold all G gates of the units it finishes. Columns are (gate, unit) pairs.
// Split, GPUs (`tiled`): a workgroup computes TM = 8·ROWS_PER_INV rows (ROWS_PER_INV = 4, 2 or 1, smaller where few
//   tiles would leave SMs idle) × 32 columns, column c being gate c / NU of unit u0 + c % NU,
//   NU = ⌊32 / G⌋ units a tile (RNN 32, GRU 10, LSTM 8). Its 8×8×K_SLICES invocations split K: a chunk of
//   KC = 16·K_SLICES k is staged in workgroup memory (coalesced: neighbours load neighbouring k, the next
//   chunk's loads in flight while this one is multiplied), group kg takes 16 k of it, each invocation
//   4·ROWS_PER_INV sums in vec4 registers (the register tile of shaders/tile.wgsl); the K_SLICES partial sums meet
//   in workgroup memory, and the cell update runs once per (row, unit) of the tile, spread over all
//   invocations.
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
override A_TOKENS: bool = false;
override WIH_OFF: u32 = 0u;
override WIH_LD: u32 = 1u;
override BIH_OFF: u32 = 0u;

@group(0) @binding(0) var<storage, read> params: array<f32>;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read_write> hs: array<f32>;
@group(0) @binding(3) var<storage, read_write> cs: array<f32>;
@group(0) @binding(4) var<storage, read_write> cache: array<f32>;
@group(0) @binding(5) var<uniform> step: Step;
@group(0) @binding(6) var<storage, read> ids: array<u32>;

fn gates() -> u32 { return gateCount(CELL); }

// h_t (and c_t, the cache) at (b, j) from the recurrent pre-activations rv[g] = W_hh h_{t-1} (no bias yet).
fn cellUpdate(t: u32, b: u32, j: u32, rv: vec4<f32>) {
  let G = gates();
  // gate by gate with constant components (G is 1, 3 or 4): a vector indexed by a loop variable
  // would live in memory on CPU adapters
  var a: vec4<f32>;
  if (A_TOKENS) {
    let w = WIH_OFF + j * WIH_LD + ids[t * B + b]; // W_ih[j, id]; gate g's row is H further
    let g = H * WIH_LD;
    a = vec4<f32>(params[w] + params[BIH_OFF + j], 0.0, 0.0, 0.0);
    if (G > 1u) { a.y = params[w + g] + params[BIH_OFF + H + j]; a.z = params[w + 2u * g] + params[BIH_OFF + 2u * H + j]; }
    if (G > 3u) { a.w = params[w + 3u * g] + params[BIH_OFF + 3u * H + j]; }
  } else {
    let a0 = (t * B + b) * G * H;
    a = vec4<f32>(A[a0 + j], 0.0, 0.0, 0.0);
    if (G > 1u) { a.y = A[a0 + H + j]; a.z = A[a0 + 2u * H + j]; }
    if (G > 3u) { a.w = A[a0 + 3u * H + j]; }
  }
  var r = rv;
  if (HAS_BHH) {
    r.x += params[BHH_OFF + j];
    if (G > 1u) { r.y += params[BHH_OFF + H + j]; r.z += params[BHH_OFF + 2u * H + j]; }
    if (G > 3u) { r.w += params[BHH_OFF + 3u * H + j]; }
  }
  let hp = (t * B + b) * H;        // h_{t-1}
  let hn = ((t + 1u) * B + b) * H; // h_t
  // only what the cell reads (GRU h_{t-1}, LSTM c_{t-1}): CPU adapters pay per load
  var hPrev = 0.0;
  var cPrev = 0.0;
  if (CELL == 2u) { hPrev = hs[hp + j]; }
  if (CELL == 1u) { cPrev = cs[hp + j]; }
  let o = cellForward(CELL, ACT, a, r, hPrev, cPrev);
  hs[hn + j] = o.h;
  if (CELL == 1u) { cs[hn + j] = o.c; }
  if (CELL != 0u) {
    let c0 = (t * B + b) * 4u * H;
    cache[c0 + j] = o.saved.x;
    cache[c0 + H + j] = o.saved.y;
    cache[c0 + 2u * H + j] = o.saved.z;
    cache[c0 + 3u * H + j] = o.saved.w;
  }
}

// `tiled`: the product through shaders/tile.wgsl, its X = h_{t-1}, its Y = W_hhᵀ's tile columns.
@compute @workgroup_size(8, 8, K_SLICES)
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
  let c = vec4<u32>(r0, r0 + 4u, r0 + 8u, r0 + 12u);
  let w0 = vec4<u32>(whhRow(u0, c.x), whhRow(u0, c.y), whhRow(u0, c.z), whhRow(u0, c.w));
  let w1 = vec4<u32>(whhRow(u0, c.x + 16u), whhRow(u0, c.y + 16u), whhRow(u0, c.z + 16u), whhRow(u0, c.w + 16u));
  let hRows0 = xRows(false);
  let hRows1 = xRows(true);
  var ph0 = vec4<f32>(); // prefetched h: rows r0 + 4i (ph1: + 16)
  var ph1 = vec4<f32>();
  var pw0 = vec4<f32>(); // prefetched W_hh: columns r0 + 4i (pw1: + 16)
  var pw1 = vec4<f32>();
  var acc = Acc();
  for (var k0 = 0u; k0 < H + KC; k0 += KC) {
    // global loads of chunk k0 into registers, while the other invocations may still compute on k0 − KC
    if (k0 < H) {
      let k = k0 + kl;
      ph0 = loadH4(t, m0 + r0, k, hRows0);
      ph1 = loadH4(t, m0 + r0 + 16u, k, hRows1);
      pw0 = loadW4(w0, k);
      pw1 = loadW4(w1, k);
    }
    if (k0 > 0u) {
      acc = mulChunk(lid, acc); // chunk k0 − KC, already in workgroup memory
    }
    workgroupBarrier();
    if (k0 < H) {
      storeCol4(r0 * LDX + kl, 4u * LDX, hRows0, ph0);
      storeCol4((r0 + 16u) * LDX + kl, 4u * LDX, hRows1, ph1);
      storeCol4(Y_AT + kl * LDW + r0, 4u, 4u, pw0);
      storeCol4(Y_AT + kl * LDW + r0 + 16u, 4u, 4u, pw1);
    }
    workgroupBarrier();
  }
  storePartials(lid, acc);
  workgroupBarrier();
  for (var e = li; e < TM * NU; e += 64u * K_SLICES) {
    let b = m0 + e / NU;
    let u = e % NU;
    if (b < B && u0 + u < H) {
      var r = vec4<f32>();
      for (var g = 0u; g < G; g++) { r[g] = partialSum(e / NU, g * NU + u); }
      cellUpdate(t, b, u0 + u, r);
    }
  }
}

// The W_hh row of tile column c (gate c / NU of unit u0 + c % NU), G·H past the end.
fn whhRow(u0: u32, c: u32) -> u32 {
  let NU = TN / gates();
  return select(gates() * H, (c / NU) * H + u0 + c % NU, c / NU < gates() && u0 + c % NU < H);
}

// h_{t-1}[b + 4i, k] for the first `rows` of i < 4 (zeros past B, H): one word per lane.
fn loadH4(t: u32, b: u32, k: u32, rows: u32) -> vec4<f32> {
  var v = vec4<f32>();
  if (k < H) {
    let p = (t * B + b) * H + k;
    if (rows > 0u && b < B) { v.x = hs[p]; }
    if (rows > 1u && b + 4u < B) { v.y = hs[p + 4u * H]; }
    if (rows > 2u && b + 8u < B) { v.z = hs[p + 8u * H]; }
    if (rows > 3u && b + 12u < B) { v.w = hs[p + 12u * H]; }
  }
  return v;
}

// W_hh[row_i, k] for the four rows (zeros for a row G·H, past the tile).
fn loadW4(row: vec4<u32>, k: u32) -> vec4<f32> {
  var v = vec4<f32>();
  if (k < H) {
    let end = gates() * H;
    if (row.x < end) { v.x = params[WHH_OFF + row.x * WHH_LD + k]; }
    if (row.y < end) { v.y = params[WHH_OFF + row.y * WHH_LD + k]; }
    if (row.z < end) { v.z = params[WHH_OFF + row.z * WHH_LD + k]; }
    if (row.w < end) { v.w = params[WHH_OFF + row.w * WHH_LD + k]; }
  }
  return v;
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
        if (j0 + c < H) { cellUpdate(t, b, j0 + c, vec4<f32>(comp4(pick4(c, acc0, acc1, acc2, acc3), i), 0.0, 0.0, 0.0)); }
      }
    } else {
      cellUpdate(t, b, j0, vec4<f32>(comp4(acc0, i), comp4(acc1, i), comp4(acc2, i), comp4(acc3, i)));
    }
  }
}
