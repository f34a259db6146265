// The whole generation loop in ONE dispatch of ONE workgroup (batch 1): for each position p the
// token x_p goes through every layer's cell, and from the last prime token on the head and the
// sampler pick x_{p+1} (shaders/sample.wgsl's rule and random numbers), all without leaving the GPU:
//   layer k:  a = b_ih + (k = 0 ? W_ih[:, x_p] : W_ih · h^{k−1}), r = W_hh · h^k + b_hh → cellForward
//   head:     z = fc.weight · h^{L−1} + fc.bias;   x_{p+1} ~ softmax(z / temperature) over the top k
// Layout: every layer's h (and c) lives in workgroup memory [L, H]; parameter offsets come from
// `lay` (per layer: W_ih, its leading dimension, W_hh, b_ih, b_hh; then fc.weight, H, fc.bias).
// Weights are row-major, a row's H words contiguous.
// Split, cell: S = 1: invocation li owns units j = li + q·WG_SIZE (q < NQ ≤ 4) and walks its rows'
// dot products alone (few invocations, few barriers: the CPU adapter's choice). S > 1: each row of
// W_hh (and of W_ih above layer 0) is cut into S k-slices i ≡ s (mod S); invocation w = row·S + s
// (w = li + n·WG_SIZE) sums its slice, so consecutive invocations read consecutive words of a row, and
// writes the partial sum to pw[s, row]; after a barrier unit j's owner adds the S partials per gate.
// Split, head: the same with HEAD_SLICES slices per logit row (HEAD_SLICES = 1: invocation o sums row o alone).
// V4 (H % 4 = 0, rows 16-byte aligned): a slice is every S-th (HEAD_SLICES-th) vec4 of the row instead of
// every S-th word, one 16-byte load per four terms.
// Sampling, two-level over chunks of CHUNK logits (NC = ⌈O/CHUNK⌉ chunks, invocation c owns chunk c):
// each chunk's argmax, then its sum of e_o = exp((z_o − max z)/temperature) over the kept o, then
// the inverse CDF: F(o) = (Σ_{c' < c} T_c', summed in chunk order) + (running sum inside chunk c);
// total = F(O − 1) exactly, and the one chunk with F(before it) ≤ u·total picks its first o with
// F(o) > u·total. The top-k selection (each o counts the logits above it) is parallel over o.
override H: u32;
override L: u32;
override O: u32;
override CELL: u32; // 0 RNN, 1 LSTM, 2 GRU
override ACT: u32 = 0u;
override WG_SIZE: u32 = 64u;
override NQ: u32 = 1u;
override HL: u32 = 1u; // L·H
override CL: u32 = 1u; // L·H for LSTM, else 1
override S: u32 = 1u;  // k-slices per cell row
override HEAD_SLICES: u32 = 1u; // k-slices per head row
override PARTIALS: u32 = 1u; // partial sums: max(rows of a layer · S, O · HEAD_SLICES), 1 when S = HEAD_SLICES = 1
override CHUNK: u32 = 1u; // logits per sampling chunk
override NC: u32 = 1u; // ⌈O / CHUNK⌉
override V4: bool = false; // every weight row 16-byte aligned (H % 4 = 0): k-slices of vec4s

struct Sampling {
  temperature: f32,
  topK: u32,
  seed: u32,
  P: u32,    // prime length
  NGEN: u32, // tokens to draw
}

@group(0) @binding(0) var<storage, read> params: array<f32>;
@group(0) @binding(1) var<storage, read> lay: array<u32>;
@group(0) @binding(2) var<storage, read_write> ids: array<u32>;
@group(0) @binding(3) var<uniform> s: Sampling;
@group(0) @binding(4) var<storage, read> params4: array<vec4<f32>>; // params again, for 16-byte loads

var<workgroup> hw: array<f32, HL>;
var<workgroup> cw: array<f32, CL>;
var<workgroup> zw: array<f32, O>;
var<workgroup> keep: array<u32, O>;
var<workgroup> pw: array<f32, PARTIALS>; // [slice, row]
var<workgroup> bw: array<u32, NC>; // each chunk's argmax
var<workgroup> tw: array<f32, NC>; // each chunk's Σ e_o
var<workgroup> tokw: u32;

fn pcg(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

fn gates() -> u32 { return gateCount(CELL); }

// One k-slice of a dot product: Σ params[w0 + i]·hw[v0 + i] over i = sl + n·st < H, n < ⌈H/st⌉
// (a trip count fixed at pipeline creation, terms past H masked, so the compiler may unroll and
// keep many loads in flight), four terms per iteration into a vec4 accumulator.
fn term(w0: u32, v0: u32, i: u32) -> f32 { return select(0.0, params[w0 + i] * hw[v0 + i], i < H); }

fn dotSlice(w0: u32, v0: u32, sl: u32, st: u32) -> f32 {
  var a = vec4<f32>();
  if (V4) { // slice sl of the row's H/4 vec4s: q = sl + n·st, one 16-byte load each
    let H4 = H / 4u;
    for (var t = 0u; t < (H4 + st - 1u) / st; t++) {
      let q = sl + t * st;
      if (H4 % st == 0u || q < H4) {
        let i = v0 + 4u * q;
        a += params4[w0 / 4u + q] * vec4<f32>(hw[i], hw[i + 1u], hw[i + 2u], hw[i + 3u]);
      }
    }
    return (a.x + a.y) + (a.z + a.w);
  }
  let n = (H + st - 1u) / st;
  if (H % (4u * st) == 0u) { // no term past H: no masks
    for (var t = 0u; t < n; t += 4u) {
      let i = sl + t * st;
      a += vec4<f32>(params[w0 + i], params[w0 + i + st], params[w0 + i + 2u * st], params[w0 + i + 3u * st]) *
        vec4<f32>(hw[v0 + i], hw[v0 + i + st], hw[v0 + i + 2u * st], hw[v0 + i + 3u * st]);
    }
  } else {
    for (var t = 0u; t < n; t += 4u) {
      let i = sl + t * st;
      a += vec4<f32>(term(w0, v0, i), term(w0, v0, i + st), term(w0, v0, i + 2u * st), term(w0, v0, i + 3u * st));
    }
  }
  return (a.x + a.y) + (a.z + a.w);
}

// Rows of layer k's partial sums: W_hh's G·H, then (above layer 0) W_ih's G·H.
fn rowsOf(k: u32) -> u32 { return select(1u, 2u, k > 0u) * gates() * H; }

// Layer k's parameter offsets (lay's five words), read once per layer.
struct LayerAt {
  wih: u32,
  ld: u32,
  whh: u32,
  bih: u32,
  bhh: u32,
}

fn layerAt(k: u32) -> LayerAt {
  let m = k * 5u;
  return LayerAt(lay[m], lay[m + 1u], lay[m + 2u], lay[m + 3u], lay[m + 4u]);
}

// S > 1: every k-slice of layer k's rows into pw[s, row]; invocation li takes w = li + n·WG_SIZE.
fn cellPartials(lw: LayerAt, k: u32, li: u32) {
  let GH = gates() * H;
  let R = rowsOf(k);
  for (var n = 0u; n < (rowsOf(L - 1u) * S + WG_SIZE - 1u) / WG_SIZE; n++) {
    let w = li + n * WG_SIZE;
    let row = w / S;
    let sl = w % S;
    if (row < GH) {
      pw[sl * R + row] = dotSlice(lw.whh + row * H, k * H, sl, S);
    } else if (row < R) {
      pw[sl * R + row] = dotSlice(lw.wih + (row - GH) * lw.ld, (k - 1u) * H, sl, S);
    }
  }
}

// The parts of unit j's gate pre-activations that need no h, loaded before the dot products so
// their latency hides behind them: a = b_ih (+ W_ih[:, x_p] at layer 0), r = b_hh; gates unrolled
// so the gate vectors stay in registers.
struct Pre {
  a: vec4<f32>,
  r: vec4<f32>,
}

fn gateBase(lw: LayerAt, k: u32, g: u32, j: u32, tok: u32) -> vec2<f32> {
  let row = g * H + j;
  var a = params[lw.bih + row];
  if (k == 0u) { a += params[lw.wih + row * lw.ld + tok]; }
  return vec2<f32>(a, params[lw.bhh + row]);
}

fn unitBase(lw: LayerAt, k: u32, j: u32, tok: u32) -> Pre {
  var p = Pre();
  let p0 = gateBase(lw, k, 0u, j, tok);
  p.a.x = p0.x;
  p.r.x = p0.y;
  if (gates() > 1u) {
    let p1 = gateBase(lw, k, 1u, j, tok);
    let p2 = gateBase(lw, k, 2u, j, tok);
    p.a.y = p1.x;
    p.r.y = p1.y;
    p.a.z = p2.x;
    p.r.z = p2.y;
  }
  if (gates() > 3u) {
    let p3 = gateBase(lw, k, 3u, j, tok);
    p.a.w = p3.x;
    p.r.w = p3.y;
  }
  return p;
}

// (W_ih h^{k−1}, W_hh h^k) at gate g, unit j: from the partial sums (S > 1) or whole (S = 1).
fn gateSums(lw: LayerAt, k: u32, g: u32, j: u32) -> vec2<f32> {
  let row = g * H + j;
  var a = 0.0;
  var r = 0.0;
  if (S == 1u) {
    if (k > 0u) { a = dotSlice(lw.wih + row * lw.ld, (k - 1u) * H, 0u, 1u); }
    r = dotSlice(lw.whh + row * H, k * H, 0u, 1u);
  } else {
    let R = rowsOf(k);
    let GH = gates() * H;
    for (var sl = 0u; sl < S; sl++) { r += pw[sl * R + row]; }
    if (k > 0u) {
      for (var sl = 0u; sl < S; sl++) { a += pw[sl * R + GH + row]; }
    }
  }
  return vec2<f32>(a, r);
}

fn unitForward(lw: LayerAt, k: u32, j: u32, base: Pre) -> CellOut {
  var a = base.a;
  var r = base.r;
  let p0 = gateSums(lw, k, 0u, j);
  a.x += p0.x;
  r.x += p0.y;
  if (gates() > 1u) {
    let p1 = gateSums(lw, k, 1u, j);
    let p2 = gateSums(lw, k, 2u, j);
    a.y += p1.x;
    r.y += p1.y;
    a.z += p2.x;
    r.z += p2.y;
  }
  if (gates() > 3u) {
    let p3 = gateSums(lw, k, 3u, j);
    a.w += p3.x;
    r.w += p3.y;
  }
  return cellForward(CELL, ACT, a, r, hw[k * H + j], cw[min(k * H + j, CL - 1u)]);
}

fn store(k: u32, j: u32, o: CellOut) {
  hw[k * H + j] = o.h;
  if (CELL == 1u) { cw[k * H + j] = o.c; }
}

fn kept(o: u32) -> bool { return s.topK == 0u || s.topK >= O || keep[o] == 1u; }

// The first argmax over the chunks' argmaxes, in chunk order: the first argmax of z.
fn bestOf() -> u32 {
  var best = bw[0];
  var top = zw[best];
  for (var c = 1u; c < NC; c++) {
    let o = bw[c];
    let v = zw[o];
    if (v > top) {
      best = o;
      top = v;
    }
  }
  return best;
}

// e_o = exp((z_o − m)/temperature) for a kept o < O, else 0 (adding it changes no sum).
fn weight(o: u32, m: f32) -> f32 {
  let q = min(o, O - 1u);
  return select(0.0, exp((zw[q] - m) / s.temperature), o < O && kept(q));
}

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(local_invocation_index) li: u32) {
  for (var i = li; i < HL; i += WG_SIZE) { hw[i] = 0.0; }
  for (var i = li; i < CL; i += WG_SIZE) { cw[i] = 0.0; }
  if (li == 0u) { tokw = ids[0]; }
  workgroupBarrier();
  let last = s.P + s.NGEN - 1u;
  let c0 = li * CHUNK;
  let fcW = lay[L * 5u];
  let fcb = lay[L * 5u + 2u];
  for (var p = 0u; p < last; p++) {
    let tok = tokw;
    for (var k = 0u; k < L; k++) {
      let lw = layerAt(k);
      if (S == 1u) {
        // every unit's new state from h_{t−1} first, then (after the barrier) the writes
        var o0 = CellOut();
        var o1 = CellOut();
        var o2 = CellOut();
        var o3 = CellOut();
        if (li < H) { o0 = unitForward(lw, k, li, unitBase(lw, k, li, tok)); }
        if (NQ > 1u && li + WG_SIZE < H) { o1 = unitForward(lw, k, li + WG_SIZE, unitBase(lw, k, li + WG_SIZE, tok)); }
        if (NQ > 2u && li + 2u * WG_SIZE < H) { o2 = unitForward(lw, k, li + 2u * WG_SIZE, unitBase(lw, k, li + 2u * WG_SIZE, tok)); }
        if (NQ > 3u && li + 3u * WG_SIZE < H) { o3 = unitForward(lw, k, li + 3u * WG_SIZE, unitBase(lw, k, li + 3u * WG_SIZE, tok)); }
        workgroupBarrier();
        if (li < H) { store(k, li, o0); }
        if (NQ > 1u && li + WG_SIZE < H) { store(k, li + WG_SIZE, o1); }
        if (NQ > 2u && li + 2u * WG_SIZE < H) { store(k, li + 2u * WG_SIZE, o2); }
        if (NQ > 3u && li + 3u * WG_SIZE < H) { store(k, li + 3u * WG_SIZE, o3); }
      } else {
        var base = Pre();
        if (li < H) { base = unitBase(lw, k, li, tok); }
        cellPartials(lw, k, li);
        workgroupBarrier();
        // unit j's owner alone reads and writes h_j (and c_j) now
        if (li < H) { store(k, li, unitForward(lw, k, li, base)); }
        for (var q = 1u; q < NQ; q++) {
          let j = li + q * WG_SIZE;
          if (j < H) { store(k, j, unitForward(lw, k, j, unitBase(lw, k, j, tok))); }
        }
      }
      workgroupBarrier();
    }
    if (p + 1u >= s.P) {
      let top = (L - 1u) * H;
      if (HEAD_SLICES == 1u) {
        for (var o = li; o < O; o += WG_SIZE) { zw[o] = params[fcb + o] + dotSlice(fcW + o * H, top, 0u, 1u); }
      } else {
        // slice 0 also carries fc.bias, so no global load waits behind the barrier
        for (var n = 0u; n < (O * HEAD_SLICES + WG_SIZE - 1u) / WG_SIZE; n++) {
          let w = li + n * WG_SIZE;
          let o = w / HEAD_SLICES;
          let sl = w % HEAD_SLICES;
          if (o < O) { pw[sl * O + o] = select(0.0, params[fcb + o], sl == 0u) + dotSlice(fcW + o * H, top, sl, HEAD_SLICES); }
        }
      }
      workgroupBarrier();
      if (li < NC) {
        var best = c0;
        var top = -3.4e38;
        for (var i = 0u; i < CHUNK; i++) {
          let o = min(c0 + i, O - 1u);
          var z = zw[o];
          if (HEAD_SLICES > 1u) {
            z = 0.0;
            for (var sl = 0u; sl < HEAD_SLICES; sl++) { z += pw[sl * O + o]; }
            if (c0 + i < O) { zw[o] = z; }
          }
          if (c0 + i < O && (i == 0u || z > top)) {
            best = o;
            top = z;
          }
        }
        bw[li] = best;
      }
      workgroupBarrier();
      if (s.topK > 0u && s.topK < O) {
        for (var o = li; o < O; o += WG_SIZE) {
          var above = 0u;
          for (var i = 0u; i < O; i++) { if (zw[i] > zw[o]) { above++; } }
          keep[o] = select(0u, 1u, above < s.topK);
        }
        workgroupBarrier();
      }
      if (s.temperature <= 0.0) {
        if (li == 0u) {
          let best = bestOf();
          ids[p + 1u] = best;
          tokw = best;
        }
      } else {
        var best = 0u;
        var m = 0.0;
        if (li < NC) {
          best = bestOf();
          m = zw[best];
          var t = 0.0;
          for (var i = 0u; i < CHUNK; i++) { t += weight(c0 + i, m); }
          tw[li] = t;
        }
        if (NC > 1u) { workgroupBarrier(); }
        if (li < NC) {
          // off = Σ_{c < li} T_c and total = Σ_c T_c along one chain, so F(O − 1) = total exactly
          var off = 0.0;
          var total = 0.0;
          for (var c = 0u; c < NC; c++) {
            if (c == li) { off = total; }
            total += tw[c];
          }
          let goal = f32(pcg(s.seed ^ pcg(p + 1u)) >> 8u) / 16777216.0 * total;
          var pick = O;
          var run = 0.0;
          for (var i = 0u; i < CHUNK; i++) {
            run += weight(c0 + i, m);
            if (pick == O && off <= goal && off + run > goal) { pick = c0 + i; }
          }
          if (li == 0u && !(total > goal)) { pick = best; } // u·total rounded up to total
          if (pick < O) {
            ids[p + 1u] = pick;
            tokw = pick;
          }
        }
      }
    } else if (li == 0u) {
      tokw = ids[p + 1u];
    }
    workgroupBarrier();
  }
}
