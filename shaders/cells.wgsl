// The cell math every recurrent kernel shares (step, sequence, generate, bptt), prepended to them
// after common.wgsl. Gate vectors hold one unit's gates in PyTorch's order: LSTM i,f,g,o; GRU r,z,n.
//   a = W_ih x_t + b_ih,  r = W_hh h_{t-1} + b_hh   (per gate; GRU keeps them apart for n)
//   RNN:  h = act(a + r)                       act: 0 tanh, 1 relu, 2 identity (the tutorial model)
//   LSTM: i,f,g,o = σ,σ,tanh,σ(a + r); c = f·c_{t-1} + i·g; h = o·tanh(c)
//   GRU:  r,z = σ(a + r); n = tanh(a_n + r·r_n); h = (1 − z)·n + z·h_{t-1}
// `saved` is what BPTT needs besides h and c: LSTM (i, f, g, o); GRU (r, z, n, r_n).
// G, the gate blocks stacked in W_ih / W_hh: RNN 1, LSTM 4, GRU 3.
fn gateCount(cell: u32) -> u32 { return select(select(1u, 4u, cell == 1u), 3u, cell == 2u); }

struct CellOut {
  h: f32,
  c: f32,
  saved: vec4<f32>,
}

fn cellForward(cell: u32, act: u32, a: vec4<f32>, r: vec4<f32>, hPrev: f32, cPrev: f32) -> CellOut {
  if (cell == 0u) {
    let p = a.x + r.x;
    return CellOut(select(select(p, max(p, 0.0), act == 1u), tanh_(p), act == 0u), 0.0, vec4<f32>());
  }
  if (cell == 1u) {
    let s = vec4<f32>(sigmoid(a.x + r.x), sigmoid(a.y + r.y), tanh_(a.z + r.z), sigmoid(a.w + r.w));
    let c = s.y * cPrev + s.x * s.z;
    return CellOut(s.w * tanh_(c), c, s);
  }
  let rg = sigmoid(a.x + r.x);
  let z = sigmoid(a.y + r.y);
  let n = tanh_(a.z + rg * r.z);
  return CellOut((1.0 - z) * n + z * hPrev, 0.0, vec4<f32>(rg, z, n, r.z));
}

// Gradients at one unit, from dh and dc flowing into h_t, c_t:
//   RNN:  dA = dR = dh·act′(h)   (tanh′ = 1 − h², relu′ = [h > 0], identity′ = 1)
//   LSTM: dc_t = dc + dh·o·(1 − tanh²c); di = dc_t·g, df = dc_t·c_{t-1}, dg = dc_t·i, do = dh·tanh c,
//         each times σ′ or tanh′ of its gate; dc_{t-1} = dc_t·f
//   GRU:  dn = dh·(1 − z)(1 − n²); dz = dh·(h_{t-1} − n)·z(1 − z); dr = dn·r_n·r(1 − r);
//         dA = (dr, dz, dn), dR = (dr, dz, dn·r); the direct part of dh_{t-1} = dh·z
struct CellGrad {
  dA: vec4<f32>,
  dR: vec4<f32>,
  dcPrev: f32,
  dhPrevDirect: f32,
}

fn cellBackward(cell: u32, act: u32, dh: f32, dc: f32, h: f32, c: f32, cPrev: f32, hPrev: f32, saved: vec4<f32>) -> CellGrad {
  if (cell == 0u) {
    let d = select(select(dh, select(0.0, dh, h > 0.0), act == 1u), dh * (1.0 - h * h), act == 0u);
    return CellGrad(vec4<f32>(d, 0.0, 0.0, 0.0), vec4<f32>(d, 0.0, 0.0, 0.0), 0.0, 0.0);
  }
  if (cell == 1u) {
    let i = saved.x;
    let f = saved.y;
    let g = saved.z;
    let o = saved.w;
    let tc = tanh_(c);
    let dct = dc + dh * o * (1.0 - tc * tc);
    let d = vec4<f32>(dct * g * i * (1.0 - i), dct * cPrev * f * (1.0 - f), dct * i * (1.0 - g * g), dh * tc * o * (1.0 - o));
    return CellGrad(d, d, dct * f, 0.0);
  }
  let rg = saved.x;
  let z = saved.y;
  let n = saved.z;
  let dn = dh * (1.0 - z) * (1.0 - n * n);
  let dz = dh * (hPrev - n) * z * (1.0 - z);
  let dr = dn * saved.w * rg * (1.0 - rg);
  return CellGrad(vec4<f32>(dr, dz, dn, 0.0), vec4<f32>(dr, dz, dn * rg, 0.0), 0.0, dh * z);
}
