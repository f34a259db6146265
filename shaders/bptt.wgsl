// Backpropagation through time, one step t per dispatch, from t = T−1 down to 0 (entries `back_*`),
// then d h0 (entries `h0_*`).
//   dh_t = dHin[t+1] + direct_{t+1} + Σ_i W_hh[i, j] · dR[t+1, b, i]      (the last two are 0 at t = T−1)
//   then dA, dR (and dc_{t-1}, GRU's direct dh_{t-1}) from the cell's gradient in shaders/cells.wgsl
// dA [T, B, G·H] = d loss/d(W_ih x + b_ih), dR = d loss/d(W_hh h + b_hh). They differ only for the
// GRU (r multiplies W_hn h + b_hn); for the other cells dR is dA, one buffer, written once.
// carry [2, B, H]: the direct part of dh_{t-1} (GRU) and dc_{t-1} (LSTM), handed from step to step
// by the same invocation (b, j), so no other invocation touches them; d h0 and d c0 at the end.
// Only index j of each gate block is needed, so the gate math is local to (b, j); the recurrent
// term is the GEMM dR_{t+1} [B, G·H] · W_hh [G·H, H] with the gate math as its epilogue.
// Split, GPUs (`*_tiled`): a workgroup computes TM = 8·ROWS_PER_INV rows (ROWS_PER_INV = 4, 2 or 1, smaller where few
//   tiles would leave SMs idle) × 32 units with 8×8×K_SLICES invocations that split K = G·H: a chunk of
//   KC = 16·K_SLICES i is staged in workgroup memory (coalesced: dR read along i, W_hh's rows along j; the
//   next chunk's loads in flight while this one is multiplied), group kg takes 16 i of it, each
//   invocation 4·ROWS_PER_INV sums in vec4 registers (the register tile of shaders/tile.wgsl); the K_SLICES partial
//   sums meet in workgroup memory and the cell's backward runs once per (row, unit), spread over all
//   invocations.
// Split, CPU adapters (`*_blocked`): one invocation per 4 rows × 4 units, four vec4 accumulators.
override H: u32;
override B: u32;
override CELL: u32;
override ACT: u32 = 0u;
override WHH_OFF: u32;
override WHH_LD: u32;

@group(0) @binding(0) var<storage, read> params: array<f32>;
@group(0) @binding(1) var<storage, read> hs: array<f32>;
@group(0) @binding(2) var<storage, read> cs: array<f32>;
@group(0) @binding(3) var<storage, read> cache: array<f32>;
@group(0) @binding(4) var<storage, read> dHin: array<f32>;
@group(0) @binding(5) var<storage, read_write> dPreact: array<f32>; // dA [T, B, G·H], then dR (GRU)
@group(0) @binding(6) var<storage, read_write> carry: array<f32>;
@group(0) @binding(7) var<uniform> step: Step;

fn gates() -> u32 { return gateCount(CELL); }

// Where dR starts in dPreact: after dA for the GRU, else dR is dA.
fn dROffset() -> u32 { return select(0u, step.T * B * gates() * H, CELL == 2u); }

// Σ_i W_hh[i, j] · dR[t, b, i], the recurrent part of dh_{t-1}, for 4 rows × 4 units:: u-th result = unit j0 + u, lanes = rows b0 … b0 + 3 (clamped).
struct Block4 { u0: vec4<f32>, u1: vec4<f32>, u2: vec4<f32>, u3: vec4<f32> }

fn whhT4(t: u32, b0: u32, j0: u32) -> Block4 {
  let GH = gates() * H;
  let base = dROffset() + t * B * GH;
  let r0 = base + min(b0, B - 1u) * GH;
  let r1 = base + min(b0 + 1u, B - 1u) * GH;
  let r2 = base + min(b0 + 2u, B - 1u) * GH;
  let r3 = base + min(b0 + 3u, B - 1u) * GH;
  let c = vec4<u32>(min(j0, H - 1u), min(j0 + 1u, H - 1u), min(j0 + 2u, H - 1u), min(j0 + 3u, H - 1u)) + WHH_OFF;
  var o = Block4();
  for (var i = 0u; i < GH; i++) {
    let d = vec4<f32>(dPreact[r0 + i], dPreact[r1 + i], dPreact[r2 + i], dPreact[r3 + i]);
    let w = i * WHH_LD;
    o.u0 += params[c.x + w] * d;
    o.u1 += params[c.y + w] * d;
    o.u2 += params[c.z + w] * d;
    o.u3 += params[c.w + w] * d;
  }
  return o;
}

// Σ_i dR[t, b, i] · W_hh[i, j] for this tile's rows m0 … m0 + TM − 1 and units n0 … n0 + 31
// (none when `skip`), left in the partial sums (partialSum). Loads: dR along i, W_hh along j.
fn whhTTile(t: u32, skip: bool, lid: vec3<u32>, li: u32, m0: u32, n0: u32) {
  let GH = gates() * H;
  let base = dROffset() + t * B * GH;
  let K = select(GH, 0u, skip);
  let kl = li % KC; // dR: k = kl of rows li / KC + 4i (+ 16)
  let r0 = li / KC;
  let jl = li % 32u; // W_hh: unit n0 + jl of rows li / 32 + 2·K_SLICES·i, i < 8
  let i0 = li / 32u;
  let dRows0 = xRows(false);
  let dRows1 = xRows(true);
  var pd0 = vec4<f32>(); // prefetched dR: rows r0 + 4i (pd1: + 16)
  var pd1 = vec4<f32>();
  var pw0 = vec4<f32>(); // prefetched W_hh: rows i0 + 2·K_SLICES·i (pw1: + 8·K_SLICES)
  var pw1 = vec4<f32>();
  var acc = Acc();
  for (var k0 = 0u; k0 < K + KC; k0 += KC) {
    // global loads of chunk k0 into registers, while the other invocations may still compute on k0 − KC
    if (k0 < K) {
      pd0 = loadD4(base, m0 + r0, k0 + kl, dRows0);
      pd1 = loadD4(base, m0 + r0 + 16u, k0 + kl, dRows1);
      pw0 = loadW4(k0 + i0, n0 + jl);
      pw1 = loadW4(k0 + i0 + 8u * K_SLICES, n0 + jl);
    }
    if (k0 > 0u) {
      acc = mulChunk(lid, acc); // chunk k0 − KC, already in workgroup memory
    }
    workgroupBarrier();
    if (k0 < K) {
      storeCol4(r0 * LDX + kl, 4u * LDX, dRows0, pd0);
      storeCol4((r0 + 16u) * LDX + kl, 4u * LDX, dRows1, pd1);
      storeCol4(Y_AT + i0 * LDW + jl, 2u * K_SLICES * LDW, 4u, pw0);
      storeCol4(Y_AT + (i0 + 8u * K_SLICES) * LDW + jl, 2u * K_SLICES * LDW, 4u, pw1);
    }
    workgroupBarrier();
  }
  storePartials(lid, acc);
  workgroupBarrier();
}

// dR[t, b + 4i, k] (base: dR at step t) for the first `rows` of i < 4 (zeros past B, G·H).
fn loadD4(base: u32, b: u32, k: u32, rows: u32) -> vec4<f32> {
  let GH = gates() * H;
  var v = vec4<f32>();
  if (k < GH) {
    let p = base + b * GH + k;
    if (rows > 0u && b < B) { v.x = dPreact[p]; }
    if (rows > 1u && b + 4u < B) { v.y = dPreact[p + 4u * GH]; }
    if (rows > 2u && b + 8u < B) { v.z = dPreact[p + 8u * GH]; }
    if (rows > 3u && b + 12u < B) { v.w = dPreact[p + 12u * GH]; }
  }
  return v;
}

// W_hh[i + 2·K_SLICES·l, j] for l < 4 (zeros past G·H, H).
fn loadW4(i: u32, j: u32) -> vec4<f32> {
  let GH = gates() * H;
  let s = 2u * K_SLICES;
  var v = vec4<f32>();
  if (j < H) {
    let p = WHH_OFF + i * WHH_LD + j;
    if (i < GH) { v.x = params[p]; }
    if (i + s < GH) { v.y = params[p + s * WHH_LD]; }
    if (i + 2u * s < GH) { v.z = params[p + 2u * s * WHH_LD]; }
    if (i + 3u * s < GH) { v.w = params[p + 3u * s * WHH_LD]; }
  }
  return v;
}

@compute @workgroup_size(8, 8, K_SLICES)
fn back_tiled(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
              @builtin(local_invocation_index) li: u32) {
  let t = step.t0;
  let m0 = wid.y * TM;
  let n0 = wid.x * TN;
  whhTTile(t + 1u, step.first != 0u, lid, li, m0, n0);
  for (var e = li; e < TM * TN; e += 64u * K_SLICES) {
    let b = m0 + e / TN;
    let u = n0 + e % TN;
    if (b < B && u < H) { backElement(t, b, u, partialSum(e / TN, e % TN), step.first != 0u); }
  }
}

@compute @workgroup_size(8, 8, K_SLICES)
fn h0_tiled(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
            @builtin(local_invocation_index) li: u32) {
  let m0 = wid.y * TM;
  let n0 = wid.x * TN;
  whhTTile(0u, false, lid, li, m0, n0);
  for (var e = li; e < TM * TN; e += 64u * K_SLICES) {
    let b = m0 + e / TN;
    let u = n0 + e % TN;
    if (b < B && u < H) { h0Element(b, u, partialSum(e / TN, e % TN)); }
  }
}

@compute @workgroup_size(64)
fn back_blocked(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = flatId(gid, nwg);
  let t = step.t0;
  let nj = (H + 3u) / 4u;
  if (idx >= ((B + 3u) / 4u) * nj) { return; }
  let b0 = (idx / nj) * 4u;
  let j0 = (idx % nj) * 4u;
  var o = Block4();
  if (step.first == 0u) { o = whhT4(t + 1u, b0, j0); }
  for (var u = 0u; u < 4u; u++) {
    if (j0 + u >= H) { break; }
    let v = pick4(u, o.u0, o.u1, o.u2, o.u3);
    for (var i = 0u; i < 4u; i++) {
      if (b0 + i < B) { backElement(t, b0 + i, j0 + u, comp4(v, i), step.first != 0u); }
    }
  }
}

fn backElement(t: u32, b: u32, j: u32, recurrent: f32, first: bool) {
  let G = gates();
  let GH = G * H;
  let hp = (t * B + b) * H;
  let hn = ((t + 1u) * B + b) * H;
  var dh = dHin[hn + j];
  var dcNext = 0.0;
  if (!first) {
    dh += directDh(b * H + j) + recurrent;
    if (CELL == 1u) { dcNext = carry[(B + b) * H + j]; }
  }
  let c0 = (t * B + b) * 4u * H;
  var saved = vec4<f32>();
  if (CELL != 0u) { saved = vec4<f32>(cache[c0 + j], cache[c0 + H + j], cache[c0 + 2u * H + j], cache[c0 + 3u * H + j]); }
  // only what the cell reads (RNN h_t, LSTM c_t and c_{t-1}, GRU h_{t-1}): CPU adapters pay per load
  var h = 0.0;
  var c = 0.0;
  var cPrev = 0.0;
  var hPrev = 0.0;
  if (CELL == 0u) { h = hs[hn + j]; }
  if (CELL == 1u) { c = cs[hn + j]; cPrev = cs[hp + j]; }
  if (CELL == 2u) { hPrev = hs[hp + j]; }
  let d = cellBackward(CELL, ACT, dh, dcNext, h, c, cPrev, hPrev, saved);
  let a0 = (t * B + b) * GH;
  let r0 = dROffset() + a0;
  // gate by gate with constant components (G is 1, 3 or 4), as in step.wgsl's cellUpdate
  dPreact[a0 + j] = d.dA.x;
  if (G > 1u) { dPreact[a0 + H + j] = d.dA.y; dPreact[a0 + 2u * H + j] = d.dA.z; }
  if (G > 3u) { dPreact[a0 + 3u * H + j] = d.dA.w; }
  if (CELL == 2u) { // elsewhere dR is dA
    dPreact[r0 + j] = d.dR.x;
    dPreact[r0 + H + j] = d.dR.y;
    dPreact[r0 + 2u * H + j] = d.dR.z;
  }
  if (CELL == 2u) { carry[b * H + j] = d.dhPrevDirect; }
  if (CELL == 1u) { carry[(B + b) * H + j] = d.dcPrev; }
}

// The direct part of dh_{t-1} left in carry[0] at i = b·H + j: only the GRU has one (h_t = … + z·h_{t-1});
// for the other cells carry[0] is never written (CPU adapters pay per load and store).
fn directDh(i: u32) -> f32 {
  if (CELL == 2u) { return carry[i]; }
  return 0.0;
}

// d loss / d h0 at (b, j) = direct_0 + recurrent (Σ_i dR[0, b, i] W_hh[i, j]) + dHin[slot 0] (the
// tutorial head reads h0), written to carry[0] in place; carry[1] already holds d loss / d c0.
// The per-step and team forms of d h0 end here (h0_tiled, h0_blocked, bptt_team.wgsl,
// bptt_rows.wgsl; shaders/sequence.wgsl, a module of its own, writes the same sum itself).
fn h0Element(b: u32, j: u32, recurrent: f32) {
  let i = b * H + j;
  carry[i] = directDh(i) + recurrent + dHin[i];
}

// d h0 on the 4×4 blocks (h0_tiled, above, is the GPU form).
@compute @workgroup_size(64)
fn h0_blocked(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = flatId(gid, nwg);
  let nj = (H + 3u) / 4u;
  if (idx >= ((B + 3u) / 4u) * nj) { return; }
  let b0 = (idx / nj) * 4u;
  let j0 = (idx % nj) * 4u;
  let o = whhT4(0u, b0, j0);
  for (var u = 0u; u < 4u; u++) {
    let v = pick4(u, o.u0, o.u1, o.u2, o.u3);
    for (var i = 0u; i < 4u; i++) {
      let b = b0 + i;
      let j = j0 + u;
      if (b < B && j < H) { h0Element(b, j, comp4(v, i)); }
    }
  }
}
