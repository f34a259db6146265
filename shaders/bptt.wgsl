// Backpropagation through time, one step t per dispatch, from t = T−1 down to 0 (entries `back_*`),
// then d h0 (entries `h0_*`).
//   dh_t = dHin[t+1] + direct_{t+1} + Σ_i W_hh[i, j] · dR[t+1, b, i]      (the last two are 0 at t = T−1)
//   then dA, dR (and dc_{t-1}, GRU's direct dh_{t-1}) from the cell's gradient in shaders/cells.wgsl
// dA [T, B, G·H] = d loss/d(W_ih x + b_ih), dR = d loss/d(W_hh h + b_hh). They differ only for the
// GRU (r multiplies W_hn h + b_hn); for the other cells dR is dA, one buffer, written once.
// carry [2, B, H]: the direct part of dh_{t-1} (GRU) and dc_{t-1} (LSTM), handed from step to step
// by the same invocation (b, j), so no other invocation touches them.
// Only index j of each gate block is needed, so the gate math is local to (b, j); the recurrent
// term is the GEMM dR_{t+1} [B, G·H] · W_hh [G·H, H] with the gate math as its epilogue.
// Split, GPUs (`*_tiled`): a workgroup computes TM = 8·RB rows (RB = 4, 2 or 1, smaller where few
//   tiles would leave SMs idle) × 32 units with 8×8×KS invocations that split K = G·H: a chunk of
//   KC = 16·KS i is staged in workgroup memory (coalesced: dR read along i, W_hh's rows along j; the
//   next chunk's loads in flight while this one is multiplied), group kg takes 16 i of it, each
//   invocation 4·RB sums in vec4 registers; the KS partial sums meet in workgroup memory and the
//   cell's backward runs once per (row, unit), spread over all invocations.
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
@group(0) @binding(5) var<storage, read_write> dAR: array<f32>; // dA [T, B, G·H], then dR (GRU)
@group(0) @binding(6) var<storage, read_write> carry: array<f32>;
@group(0) @binding(7) var<uniform> step: Step;

fn gates() -> u32 { return gateCount(CELL); }

// Where dR starts in dAR: after dA for the GRU, else dR is dA.
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
    let d = vec4<f32>(dAR[r0 + i], dAR[r1 + i], dAR[r2 + i], dAR[r3 + i]);
    let w = i * WHH_LD;
    o.u0 += params[c.x + w] * d;
    o.u1 += params[c.y + w] * d;
    o.u2 += params[c.z + w] * d;
    o.u3 += params[c.w + w] * d;
  }
  return o;
}

fn unitOf(o: Block4, u: u32) -> vec4<f32> {
  return select(select(select(o.u3, o.u2, u == 2u), o.u1, u == 1u), o.u0, u == 0u);
}

override RB: u32 = 4u; // rows per invocation: 1, 2 or 4
override KS: u32 = 4u; // K split: the KS groups of 8×8 take 16 i each of a K chunk
const TN: u32 = 32u;
const LDW: u32 = TN + 1u; // padded rows of tileW and of the partial sums: no bank conflicts
override TM: u32 = 8u * RB;
override KC: u32 = 16u * KS; // K chunk: one pair of barriers per KC
override LDD: u32 = KC + 1u;
override W_AT: u32 = TM * LDD; // tileD [TM][LDD] at 0, tileW [KC][LDW] at W_AT
// The tiles, then (after the K loop, the same memory) partial sums [KS][TM][LDW].
var<workgroup> sm: array<f32, max(TM * LDD + KC * LDW, KS * TM * LDW)>;

// Σ_i dR[t, b, i] · W_hh[i, j] for this tile's rows m0 … m0 + TM − 1 and units n0 … n0 + 31
// (none when `skip`), left in the partial sums (partialSum). Loads: dR along i, W_hh along j.
fn whhTTile(t: u32, skip: bool, lid: vec3<u32>, li: u32, m0: u32, n0: u32) {
  let GH = gates() * H;
  let base = dROffset() + t * B * GH;
  let K = select(GH, 0u, skip);
  let kl = li % KC; // dR: k = kl of rows li / KC + 4i (+ 16)
  let r0 = li / KC;
  let jl = li % 32u; // W_hh: unit n0 + jl of rows li / 32 + 2·KS·i, i < 8
  let i0 = li / 32u;
  var pd0 = vec4<f32>();
  var pd1 = vec4<f32>();
  var pw0 = vec4<f32>();
  var pw1 = vec4<f32>();
  var acc0 = vec4<f32>();
  var acc1 = vec4<f32>();
  var acc2 = vec4<f32>();
  var acc3 = vec4<f32>();
  for (var k0 = 0u; k0 < K + KC; k0 += KC) {
    // global loads of chunk k0 into registers, while the other invocations may still compute on k0 − KC
    if (k0 < K) {
      let k = k0 + kl;
      for (var i = 0u; i < 4u; i++) {
        let b = m0 + r0 + 4u * i;
        pd0[i] = select(0.0, dAR[base + b * GH + k], b < B && k < GH && r0 + 4u * i < TM);
        pd1[i] = select(0.0, dAR[base + (b + 16u) * GH + k], b + 16u < B && k < GH && r0 + 4u * i + 16u < TM);
        let kw = k0 + i0 + 2u * KS * i;
        pw0[i] = select(0.0, params[WHH_OFF + kw * WHH_LD + n0 + jl], kw < GH && n0 + jl < H);
        let kw2 = kw + 8u * KS;
        pw1[i] = select(0.0, params[WHH_OFF + kw2 * WHH_LD + n0 + jl], kw2 < GH && n0 + jl < H);
      }
    }
    if (k0 > 0u) {
      // multiply-adds over chunk k0 − KC, already in workgroup memory: kg's 16 i of it
      let db = lid.y * LDD + lid.z * 16u;
      let wb = W_AT + lid.z * 16u * LDW + lid.x;
      for (var kk = 0u; kk < 16u; kk++) {
        let w = vec4<f32>(sm[wb + kk * LDW], sm[wb + kk * LDW + 8u], sm[wb + kk * LDW + 16u], sm[wb + kk * LDW + 24u]);
        acc0 += sm[db + kk] * w;
        if (RB > 1u) { acc1 += sm[db + 8u * LDD + kk] * w; }
        if (RB > 2u) {
          acc2 += sm[db + 16u * LDD + kk] * w;
          acc3 += sm[db + 24u * LDD + kk] * w;
        }
      }
    }
    workgroupBarrier();
    if (k0 < K) {
      for (var i = 0u; i < 4u; i++) {
        let r = r0 + 4u * i;
        if (r < TM) { sm[r * LDD + kl] = pd0[i]; }
        if (r + 16u < TM) { sm[(r + 16u) * LDD + kl] = pd1[i]; }
        let kw = i0 + 2u * KS * i;
        sm[W_AT + kw * LDW + jl] = pw0[i];
        sm[W_AT + (kw + 8u * KS) * LDW + jl] = pw1[i];
      }
    }
    workgroupBarrier();
  }
  // this invocation's sums (rows ty + 8i, units tx + 8j) into the partials [kg][TM][LDW]
  let p = (lid.z * TM + lid.y) * LDW + lid.x;
  for (var j = 0u; j < 4u; j++) {
    sm[p + 8u * j] = acc0[j];
    if (RB > 1u) { sm[p + 8u * LDW + 8u * j] = acc1[j]; }
    if (RB > 2u) {
      sm[p + 16u * LDW + 8u * j] = acc2[j];
      sm[p + 24u * LDW + 8u * j] = acc3[j];
    }
  }
  workgroupBarrier();
}

// Σ over the KS groups of the partial sums at (row, unit) of the tile.
fn partialSum(row: u32, col: u32) -> f32 {
  var s = 0.0;
  for (var g = 0u; g < KS; g++) { s += sm[(g * TM + row) * LDW + col]; }
  return s;
}

@compute @workgroup_size(8, 8, KS)
fn back_tiled(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
              @builtin(local_invocation_index) li: u32) {
  let t = step.t0;
  let m0 = wid.y * TM;
  let n0 = wid.x * TN;
  whhTTile(t + 1u, step.first != 0u, lid, li, m0, n0);
  for (var e = li; e < TM * TN; e += 64u * KS) {
    let b = m0 + e / TN;
    let u = n0 + e % TN;
    if (b < B && u < H) { backElement(t, b, u, partialSum(e / TN, e % TN)); }
  }
}

@compute @workgroup_size(8, 8, KS)
fn h0_tiled(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
            @builtin(local_invocation_index) li: u32) {
  let m0 = wid.y * TM;
  let n0 = wid.x * TN;
  whhTTile(0u, false, lid, li, m0, n0);
  for (var e = li; e < TM * TN; e += 64u * KS) {
    let b = m0 + e / TN;
    let u = n0 + e % TN;
    if (b < B && u < H) { carry[b * H + u] = carry[b * H + u] + partialSum(e / TN, e % TN) + dHin[b * H + u]; }
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
    let v = unitOf(o, u);
    for (var i = 0u; i < 4u; i++) {
      if (b0 + i < B) { backElement(t, b0 + i, j0 + u, v[i]); }
    }
  }
}

fn backElement(t: u32, b: u32, j: u32, recurrent: f32) {
  let G = gates();
  let GH = G * H;
  let hp = (t * B + b) * H;
  let hn = ((t + 1u) * B + b) * H;
  var dh = dHin[hn + j];
  var dcNext = 0.0;
  if (step.first == 0u) {
    dh += carry[b * H + j] + recurrent;
    dcNext = carry[(B + b) * H + j];
  }
  let c0 = (t * B + b) * 4u * H;
  var saved = vec4<f32>();
  if (CELL != 0u) { saved = vec4<f32>(cache[c0 + j], cache[c0 + H + j], cache[c0 + 2u * H + j], cache[c0 + 3u * H + j]); }
  let d = cellBackward(CELL, ACT, dh, dcNext, hs[hn + j], cs[hn + j], cs[hp + j], hs[hp + j], saved);
  let a0 = (t * B + b) * GH;
  let r0 = dROffset() + a0;
  for (var g = 0u; g < G; g++) {
    dAR[a0 + g * H + j] = d.dA[g];
    dAR[r0 + g * H + j] = d.dR[g]; // the same place as dA but for the GRU
  }
  carry[b * H + j] = d.dhPrevDirect;
  if (CELL == 1u) { carry[(B + b) * H + j] = d.dcPrev; }
}

// d loss / d h0 = direct_0 + W_hhᵀ dR[0] + dHin[slot 0] (the tutorial head reads h0), written to
// carry[0] in place; carry[1] already holds d loss / d c0. (h0_tiled, above, is the GPU form.)
@compute @workgroup_size(64)
fn h0_blocked(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = flatId(gid, nwg);
  let nj = (H + 3u) / 4u;
  if (idx >= ((B + 3u) / 4u) * nj) { return; }
  let b0 = (idx / nj) * 4u;
  let j0 = (idx % nj) * 4u;
  let o = whhT4(0u, b0, j0);
  for (var u = 0u; u < 4u; u++) {
    let v = unitOf(o, u);
    for (var i = 0u; i < 4u; i++) {
      let b = b0 + i;
      let j = j0 + u;
      if (b < B && j < H) { carry[b * H + j] = carry[b * H + j] + v[i] + dHin[b * H + j]; }
    }
  }
}
