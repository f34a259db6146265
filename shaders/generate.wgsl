// The whole generation loop in ONE dispatch of ONE workgroup (batch 1): for each position p the
// token x_p goes through every layer's cell, and from the last prime token on the head and the
// sampler pick x_{p+1} (shaders/sample.wgsl's rule and random numbers), all without leaving the GPU:
//   layer k:  a = b_ih + (k = 0 ? W_ih[:, x_p] : W_ih · h^{k−1}), r = W_hh · h^k + b_hh → cellForward
//   head:     z = fc.weight · h^{L−1} + fc.bias;   x_{p+1} ~ softmax(z / temperature) over the top k
// Layout: every layer's h (and c) lives in workgroup memory [L, H]; parameter offsets come from
// `lay` (per layer: W_ih, its leading dimension, W_hh, b_ih, b_hh; then fc.weight, H, fc.bias).
// Split: invocation li owns hidden units j = li + q·WGS (q < NQ ≤ 4) and logits o = li + q·WGS;
// workgroup barriers separate reading h_{t−1} from writing h_t. Sampling's selection of the top k is
// parallel (each o counts the logits above it); the final inverse-CDF scan is serial in invocation 0.
override H: u32;
override L: u32;
override O: u32;
override CELL: u32; // 0 RNN, 1 LSTM, 2 GRU
override ACT: u32 = 0u;
override WGS: u32 = 64u;
override NQ: u32 = 1u;
override HL: u32 = 1u; // L·H
override CL: u32 = 1u; // L·H for LSTM, else 1

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

var<workgroup> hw: array<f32, HL>;
var<workgroup> cw: array<f32, CL>;
var<workgroup> zw: array<f32, O>;
var<workgroup> keep: array<u32, O>;
var<workgroup> tokw: u32;

fn pcg(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

fn gates() -> u32 { return gateCount(CELL); }

// The pre-activations of gate g at unit j of layer k: a = W_ih x + b_ih, r = W_hh h + b_hh.
fn preact(k: u32, g: u32, j: u32, tok: u32) -> vec2<f32> {
  let m = k * 5u;
  let row = g * H + j;
  let ld = lay[m + 1u];
  var a = params[lay[m + 3u] + row];
  if (k == 0u) {
    a += params[lay[m] + row * ld + tok];
  } else {
    let w0 = lay[m] + row * ld;
    let h0 = (k - 1u) * H;
    for (var i = 0u; i < H; i++) { a += params[w0 + i] * hw[h0 + i]; }
  }
  var r = params[lay[m + 4u] + row];
  let w1 = lay[m + 2u] + row * H;
  for (var i = 0u; i < H; i++) { r += params[w1 + i] * hw[k * H + i]; }
  return vec2<f32>(a, r);
}

@compute @workgroup_size(WGS)
fn main(@builtin(local_invocation_index) li: u32) {
  for (var i = li; i < HL; i += WGS) { hw[i] = 0.0; }
  for (var i = li; i < CL; i += WGS) { cw[i] = 0.0; }
  if (li == 0u) { tokw = ids[0]; }
  workgroupBarrier();
  let last = s.P + s.NGEN - 1u;
  for (var p = 0u; p < last; p++) {
    let tok = tokw;
    for (var k = 0u; k < L; k++) {
      var hn = array<f32, 4>(); // explicit zeros: Tint may hoist a declaration out of a loop
      var cn = array<f32, 4>();
      for (var q = 0u; q < NQ; q++) {
        let j = li + q * WGS;
        if (j >= H) { continue; }
        var a = vec4<f32>();
        var r = vec4<f32>();
        for (var g = 0u; g < gates(); g++) {
          let v = preact(k, g, j, tok);
          a[g] = v.x;
          r[g] = v.y;
        }
        let o = cellForward(CELL, ACT, a, r, hw[k * H + j], cw[min(k * H + j, CL - 1u)]);
        hn[q] = o.h;
        cn[q] = o.c;
      }
      workgroupBarrier();
      for (var q = 0u; q < NQ; q++) {
        let j = li + q * WGS;
        if (j >= H) { continue; }
        hw[k * H + j] = hn[q];
        if (CELL == 1u) { cw[k * H + j] = cn[q]; }
      }
      workgroupBarrier();
    }
    if (p + 1u >= s.P) {
      let fc = L * 5u;
      let top = (L - 1u) * H;
      for (var o = li; o < O; o += WGS) {
        var z = params[lay[fc + 2u] + o];
        let w0 = lay[fc] + o * H;
        for (var i = 0u; i < H; i++) { z += params[w0 + i] * hw[top + i]; }
        zw[o] = z;
      }
      workgroupBarrier();
      for (var o = li; o < O; o += WGS) {
        var above = 0u;
        for (var i = 0u; i < O; i++) { if (zw[i] > zw[o]) { above++; } }
        keep[o] = select(0u, 1u, s.topK == 0u || above < s.topK);
      }
      workgroupBarrier();
      if (li == 0u) {
        var best = 0u;
        for (var o = 1u; o < O; o++) { if (zw[o] > zw[best]) { best = o; } }
        var pick = best;
        if (s.temperature > 0.0) {
          let m = zw[best];
          var total = 0.0;
          for (var o = 0u; o < O; o++) { if (keep[o] == 1u) { total += exp((zw[o] - m) / s.temperature); } }
          let goal = f32(pcg(s.seed ^ pcg(p + 1u)) >> 8u) / 16777216.0 * total;
          var acc = 0.0;
          for (var o = 0u; o < O; o++) {
            if (keep[o] == 1u) {
              acc += exp((zw[o] - m) / s.temperature);
              if (acc > goal) { pick = o; break; }
            }
          }
        }
        ids[p + 1u] = pick;
        tokw = pick;
      }
    } else if (li == 0u) {
      tokw = ids[p + 1u];
    }
    workgroupBarrier();
  }
}
