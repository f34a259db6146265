// The recurrence over ALL T steps in one dispatch, for shapes where four batch rows' recurrence
// fits one workgroup (rows are independent, so workgroups never need to meet): `forward` runs the
// step of step.wgsl for t = 0 … T−1, `backward` the BPTT of bptt.wgsl for t = T−1 … 0 and then
// d h0. Between steps a workgroup barrier replaces a dispatch boundary.
//   forward:  h_t = cellForward(A[t], W_hh h_{t−1} + b_hh, c_{t−1})           (shaders/cells.wgsl)
//   backward: dh_t = dHin[t+1] + direct_{t+1} + W_hhᵀ dR[t+1]; dA, dR from cellBackward
// Layouts as in step.wgsl / bptt.wgsl; whhT = W_hhᵀ [H, G·H] row-major (shaders/transpose.wgsl,
// recorded before the forward), so that the forward's loads coalesce.
// Split: workgroup w owns batch rows 4w … 4w+3, one per vec4 lane (rows ≥ B are computed on
// clamped inputs and never stored). Invocation li = s·H + j owns unit j and the s-th of K_SLICES slices
// of the dot products' index (k < H forward, gate row c < G·H backward). Each step: every
// invocation accumulates its slice for its unit (all gates) and the four rows in vec4 registers,
// the s > 0 slices go to workgroup memory, and after a barrier the s = 0 invocation of unit j adds
// them up and runs the cell, publishing h_t (forward) or dR_t (backward) in workgroup memory for
// the next step. Loads coalesce: consecutive j read consecutive words of whhT (forward) or of
// W_hh's rows (backward); the state in workgroup memory is read as a broadcast. c_t, and the carried
// direct / dc terms, stay in the registers of the s = 0 invocation. No private arrays: Dawn clamps
// their indices, which keeps them out of registers on some GPUs. A step is a chain of latencies, not
// of arithmetic (on an H100: ~9 µs per step at RNN H256 with a 2-way unroll), so the slice loops are
// unrolled 8 ways and the cell's other inputs are loaded before the dot products.
override H: u32;
override B: u32;
override CELL: u32;
override ACT: u32 = 0u;
override WHH_OFF: u32 = 0u;
override WHH_LD: u32 = 1u;
override BHH_OFF: u32 = 0u;
override HAS_BHH: bool = true;
override K_SLICES: u32 = 1u;   // slices per unit
override WG_SIZE: u32 = 64u; // H·K_SLICES
override SV: u32 = 1u;   // vec4 slots of state: H (forward) or G·H (backward)
override PART: u32 = 1u; // vec4 slots of partial sums: (K_SLICES−1)·G·H (forward) or (K_SLICES−1)·H (backward), ≥ 1

@group(0) @binding(0) var<storage, read> params: array<f32>;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read_write> hs: array<f32>;
@group(0) @binding(3) var<storage, read_write> cs: array<f32>;
@group(0) @binding(4) var<storage, read_write> cache: array<f32>;
@group(0) @binding(5) var<storage, read> dHin: array<f32>;
@group(0) @binding(6) var<storage, read_write> dPreact: array<f32>;
@group(0) @binding(7) var<storage, read_write> carry: array<f32>;
@group(0) @binding(8) var<uniform> step: Step;
@group(0) @binding(9) var<storage, read> whhT: array<f32>;

var<workgroup> sv: array<vec4<f32>, SV>;
var<workgroup> part: array<vec4<f32>, PART>;

fn gates() -> u32 { return gateCount(CELL); }

// Σ_{k in slice s} whhT[k, g·H + j] · h_{t−1}[k] for the gates g < G (vec4 lanes = rows).
struct Acc {
  r0: vec4<f32>,
  r1: vec4<f32>,
  r2: vec4<f32>,
  r3: vec4<f32>,
}

// One k of the forward slice: the G weights of unit j at row k of whhT times h_{t−1}[k].
fn fwdTerm(a: ptr<function, Acc>, k: u32, j: u32) {
  let G = gates();
  let GH = G * H;
  let h = sv[k];
  let w = k * GH + j;
  (*a).r0 += whhT[w] * h;
  if (G > 1u) {
    (*a).r1 += whhT[w + H] * h;
    (*a).r2 += whhT[w + 2u * H] * h;
  }
  if (G > 3u) { (*a).r3 += whhT[w + 3u * H] * h; }
}

// Unrolled 8 ways so that 8·G independent loads are in flight: the loop is latency-bound.
fn forwardSlice(j: u32, s: u32) -> Acc {
  let len = (H + K_SLICES - 1u) / K_SLICES;
  let k0 = s * len;
  let k1 = min(H, k0 + len);
  var a = Acc(vec4<f32>(), vec4<f32>(), vec4<f32>(), vec4<f32>());
  var k = k0;
  for (; k + 8u <= k1; k += 8u) {
    fwdTerm(&a, k, j);
    fwdTerm(&a, k + 1u, j);
    fwdTerm(&a, k + 2u, j);
    fwdTerm(&a, k + 3u, j);
    fwdTerm(&a, k + 4u, j);
    fwdTerm(&a, k + 5u, j);
    fwdTerm(&a, k + 6u, j);
    fwdTerm(&a, k + 7u, j);
  }
  for (; k < k1; k++) { fwdTerm(&a, k, j); }
  return a;
}

// A[t, b, g·H + j] for the gates g < G (zeros for a row b ≥ B).
fn inputsA(t: u32, b: u32, j: u32) -> vec4<f32> {
  let G = gates();
  var x = vec4<f32>();
  if (b < B) {
    let a0 = (t * B + b) * G * H + j;
    x.x = A[a0];
    if (G > 1u) {
      x.y = A[a0 + H];
      x.z = A[a0 + 2u * H];
    }
    if (G > 3u) { x.w = A[a0 + 3u * H]; }
  }
  return x;
}

@compute @workgroup_size(WG_SIZE)
fn forward(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let G = gates();
  let GH = G * H;
  let j = li % H;
  let s = li / H;
  let b0 = wid.x * 4u;
  var c = vec4<f32>(); // c_{t−1} of the four rows (LSTM), in the s = 0 invocation
  var bh = vec4<f32>(); // b_hh of unit j, per gate
  if (s == 0u) {
    var h = vec4<f32>();
    for (var i = 0u; i < 4u; i++) {
      let b = min(b0 + i, B - 1u);
      h[i] = hs[b * H + j];
      if (CELL == 1u) { c[i] = cs[b * H + j]; }
    }
    sv[j] = h;
    if (HAS_BHH) {
      for (var g = 0u; g < G; g++) { bh[g] = params[BHH_OFF + g * H + j]; }
    }
  }
  workgroupBarrier();
  for (var t = 0u; t < step.T; t++) {
    // the cell's inputs A[t] of the four rows, loaded before the dot products (latency overlaps)
    var x0 = vec4<f32>();
    var x1 = vec4<f32>();
    var x2 = vec4<f32>();
    var x3 = vec4<f32>();
    if (s == 0u) {
      x0 = inputsA(t, b0, j);
      x1 = inputsA(t, b0 + 1u, j);
      x2 = inputsA(t, b0 + 2u, j);
      x3 = inputsA(t, b0 + 3u, j);
    }
    var a = forwardSlice(j, s);
    if (s > 0u) {
      let p = (s - 1u) * GH + j;
      part[p] = a.r0;
      if (G > 1u) {
        part[p + H] = a.r1;
        part[p + 2u * H] = a.r2;
      }
      if (G > 3u) { part[p + 3u * H] = a.r3; }
    }
    workgroupBarrier();
    if (s == 0u) {
      for (var q = 1u; q < K_SLICES; q++) {
        let p = (q - 1u) * GH + j;
        a.r0 += part[p];
        if (G > 1u) {
          a.r1 += part[p + H];
          a.r2 += part[p + 2u * H];
        }
        if (G > 3u) { a.r3 += part[p + 3u * H]; }
      }
      let hp = sv[j];
      var hn = vec4<f32>();
      for (var i = 0u; i < 4u; i++) {
        let b = b0 + i;
        if (b >= B) { break; }
        let o = cellForward(CELL, ACT, pick4(i, x0, x1, x2, x3), vec4<f32>(a.r0[i], a.r1[i], a.r2[i], a.r3[i]) + bh, hp[i], c[i]);
        hn[i] = o.h;
        c[i] = o.c;
        let n = ((t + 1u) * B + b) * H + j;
        hs[n] = o.h;
        if (CELL == 1u) { cs[n] = o.c; }
        if (CELL != 0u) {
          let c0 = (t * B + b) * 4u * H + j;
          cache[c0] = o.saved.x;
          cache[c0 + H] = o.saved.y;
          cache[c0 + 2u * H] = o.saved.z;
          cache[c0 + 3u * H] = o.saved.w;
        }
      }
      sv[j] = hn; // every invocation has finished reading h_{t−1} (the barrier above)
    }
    workgroupBarrier();
  }
}

// The gate cache of step t at (row b, unit j): LSTM i,f,g,o; GRU r,z,n,r_n (row clamped to B − 1).
fn savedGates(t: u32, b: u32, j: u32) -> vec4<f32> {
  let c0 = (t * B + min(b, B - 1u)) * 4u * H + j;
  return vec4<f32>(cache[c0], cache[c0 + H], cache[c0 + 2u * H], cache[c0 + 3u * H]);
}

// Σ_{c in slice s} W_hh[c, j] · dR[c] over the gate rows c < G·H (vec4 lanes = rows).
fn backwardSlice(j: u32, s: u32) -> vec4<f32> {
  let GH = gates() * H;
  let len = (GH + K_SLICES - 1u) / K_SLICES;
  let c0 = s * len;
  let c1 = min(GH, c0 + len);
  // unrolled 8 ways (independent loads in flight), two accumulators
  var r = vec4<f32>();
  var q = vec4<f32>();
  var c = c0;
  let L = WHH_LD;
  for (; c + 8u <= c1; c += 8u) {
    let w = WHH_OFF + c * L + j;
    r += params[w] * sv[c] + params[w + L] * sv[c + 1u] + params[w + 2u * L] * sv[c + 2u] + params[w + 3u * L] * sv[c + 3u];
    q += params[w + 4u * L] * sv[c + 4u] + params[w + 5u * L] * sv[c + 5u] + params[w + 6u * L] * sv[c + 6u] + params[w + 7u * L] * sv[c + 7u];
  }
  for (; c < c1; c++) { r += params[WHH_OFF + c * L + j] * sv[c]; }
  return r + q;
}

// W_hhᵀ dR summed over the K_SLICES slices, valid in the s = 0 invocations; ends with a barrier.
fn recurrent(j: u32, s: u32) -> vec4<f32> {
  var r = backwardSlice(j, s);
  if (s > 0u) { part[(s - 1u) * H + j] = r; }
  workgroupBarrier();
  if (s == 0u) {
    for (var q = 1u; q < K_SLICES; q++) { r += part[(q - 1u) * H + j]; }
  }
  return r;
}

@compute @workgroup_size(WG_SIZE)
fn backward(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let G = gates();
  let GH = G * H;
  let j = li % H;
  let s = li / H;
  let b0 = wid.x * 4u;
  var direct = vec4<f32>(); // GRU's z ⊙ dh, handed to step t − 1
  var dc = vec4<f32>();     // LSTM's dc ⊙ f, handed to step t − 1
  for (var t = step.T; t > 0u; t--) {
    let ts = t - 1u;
    // what the cell's backward needs besides W_hhᵀ dR, loaded before the dot products
    var dh = vec4<f32>();
    var hN = vec4<f32>();
    var hP = vec4<f32>();
    var cN = vec4<f32>();
    var cP = vec4<f32>();
    var s0 = vec4<f32>();
    var s1 = vec4<f32>();
    var s2 = vec4<f32>();
    var s3 = vec4<f32>();
    if (s == 0u) {
      for (var i = 0u; i < 4u; i++) {
        let b = min(b0 + i, B - 1u);
        let hp = (ts * B + b) * H + j;
        let hn = ((ts + 1u) * B + b) * H + j;
        dh[i] = dHin[hn];
        hN[i] = hs[hn];
        hP[i] = hs[hp];
        if (CELL == 1u) {
          cN[i] = cs[hn];
          cP[i] = cs[hp];
        }
      }
      if (CELL != 0u) {
        s0 = savedGates(ts, b0, j);
        s1 = savedGates(ts, b0 + 1u, j);
        s2 = savedGates(ts, b0 + 2u, j);
        s3 = savedGates(ts, b0 + 3u, j);
      }
    }
    var rec = vec4<f32>();
    if (t < step.T) {
      rec = recurrent(j, s);
    } else {
      workgroupBarrier(); // the same barriers on every step: uniform control flow
    }
    if (s == 0u) {
      var d0 = vec4<f32>();
      var d1 = vec4<f32>();
      var d2 = vec4<f32>();
      var d3 = vec4<f32>();
      for (var i = 0u; i < 4u; i++) {
        let b = b0 + i;
        if (b >= B) { break; }
        let d = cellBackward(CELL, ACT, dh[i] + direct[i] + rec[i], dc[i], hN[i], cN[i], cP[i], hP[i], pick4(i, s0, s1, s2, s3));
        let a0 = (ts * B + b) * GH + j;
        let r0 = select(0u, step.T * B * GH, CELL == 2u) + a0; // dR is dA but for the GRU
        for (var g = 0u; g < G; g++) {
          dPreact[a0 + g * H] = d.dA[g];
          dPreact[r0 + g * H] = d.dR[g];
        }
        d0[i] = d.dR.x;
        d1[i] = d.dR.y;
        d2[i] = d.dR.z;
        d3[i] = d.dR.w;
        direct[i] = d.dhPrevDirect;
        dc[i] = d.dcPrev;
      }
      // every invocation has finished reading dR_{t+1} (the barrier in recurrent())
      sv[j] = d0;
      if (G > 1u) {
        sv[H + j] = d1;
        sv[2u * H + j] = d2;
      }
      if (G > 3u) { sv[3u * H + j] = d3; }
    }
    workgroupBarrier();
  }
  // d h0 = direct_0 + W_hhᵀ dR_0 + dHin[slot 0];  d c0 = dc_0   (into carry, as bptt.wgsl's to_h0)
  let rec = recurrent(j, s);
  if (s == 0u) {
    for (var i = 0u; i < 4u; i++) {
      let b = b0 + i;
      if (b >= B) { break; }
      carry[b * H + j] = direct[i] + rec[i] + dHin[b * H + j];
      carry[(B + b) * H + j] = dc[i];
    }
  }
}
