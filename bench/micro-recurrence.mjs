// What a recurrence's dispatches cost on SwiftShader, the measurement behind the team kernels'
// one-dispatch form (shaders/step_team.wgsl team_seq; bench/RESULTS.md, "13 dispatches a step"):
// an RNN forward h_t = tanh(W h_{t-1} + x_t), B 32, H 128, T 64. Variants (arguments; default
// `per-step one`):
//   per-step   64 dispatches (one per step, 16 workgroups of one team) on the team tile of
//              shaders/team.wgsl
//   one        one dispatch, a workgroup of one subgroup per 8 batch rows walking its 4 column
//              tiles, a barrier between steps
//   one16      the same with 4 subgroups a workgroup, one column tile each
//   private    one16's split, the product written out for H = 128 (no loop over k): each
//              invocation's 8 rows of W in a function-scope array read with constant indices
//              (SwiftShader then loads a register's worth at once instead of lane by lane)
//   workgroup  private, and h_{t-1}'s 8 rows in workgroup memory, also read at constant indices
//              (one load for the 4 lanes instead of a load and a broadcast per value)
// Rounds alternate the variants; each result is checked against a float64 recurrence; `build` is
// the pipeline's creation (SwiftShader compiles there).
//
//   sh scripts/gpu-env.sh node bench/micro-recurrence.mjs [variant …]   (env REPS: rounds, default 20)
import fs from 'node:fs';
import { create, globals } from 'webgpu';

Object.assign(globalThis, globals);
const B = 32;
const H = 128;
const T = 64;
const shader = (name) => fs.readFileSync(new URL(`../shaders/${name}`, import.meta.url), 'utf8');

// the GPU object and the adapter stay referenced (see bench/micro-gemm.mjs)
const gpu = create([]);
const adapter = await gpu.requestAdapter();
globalThis.keepAlive = { gpu, adapter };
if (!adapter.features.has('subgroups')) throw new Error('this adapter has no subgroups: the team tile needs them');
const device = await adapter.requestDevice({ requiredFeatures: ['subgroups'] });

const header = `enable subgroups;
@group(0) @binding(0) var<storage, read> W: array<f32>;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> hs: array<f32>;
@group(0) @binding(3) var<uniform> tt: vec4<u32>;`;

// per-step, one, one16: the team tile of shaders/team.wgsl
const teamKernel = (form) => `${header}
${shader('common.wgsl')}
${shader('team.wgsl')}
var<private> tmH: u32;
var<private> tmB0: u32;
var<private> tmJ0: u32;
fn teamARow(i: u32) -> u32 { return tmH + (tmB0 + i) * ${H}u; }
fn teamAK(k: u32) -> u32 { return k; }
fn teamALoad(p: u32) -> f32 { return hs[p]; }
fn teamBCol(c: u32) -> u32 { return (tmJ0 + c) * ${H}u; }
fn teamBK(k: u32) -> u32 { return k; }
fn teamBLoad(p: u32) -> f32 { return W[p]; }
fn stepAt(t: u32, lane: u32) {
  tmH = t * ${B * H}u;
  var blk = teamTile(lane, ${H}u);
  for (var u = 0u; u < 8u; u++) {
    for (var i = 0u; i < 8u; i++) {
      let o = (tmB0 + i) * ${H}u + tmJ0 + u;
      hs[tmH + ${B * H}u + o] = tanh(teamAt(&blk, i, u) + X[t * ${B * H}u + o]);
    }
  }
}
@compute @workgroup_size(${form === 'one16' ? 16 : 4})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32, @builtin(subgroup_invocation_id) lane: u32) {
${{
  'per-step': `  tmB0 = (wid.x / ${H / 32}u) * 8u;
  tmJ0 = (wid.x % ${H / 32}u) * 32u + lane * 8u;
  stepAt(tt.x, lane);`,
  one: `  tmB0 = wid.x * 8u;
  for (var t = tt.x; t < ${T}u; t++) {
    for (var q = 0u; q < ${H / 32}u; q++) { tmJ0 = q * 32u + lane * 8u; stepAt(t, lane); }
    storageBarrier();
    workgroupBarrier();
  }`,
  one16: `  tmB0 = wid.x * 8u;
  tmJ0 = (li / 4u) * 32u + lane * 8u;
  for (var t = tt.x; t < ${T}u; t++) {
    stepAt(t, lane);
    storageBarrier();
    workgroupBarrier();
  }`,
}[form]}
}`;

// private, workgroup: the product written out, W's slice in a function-scope array (columns
// j0 … j0 + 3 of k at w[2k], j0 + 4 … j0 + 7 at w[2k + 1]); with `wg` h_{t-1}'s rows b0 … b0 + 7 in
// hw[i·H + k], rewritten after a barrier once every product of the step has read it.
function unrolledKernel(wg) {
  const L = [header];
  if (wg) L.push(`var<workgroup> hw: array<f32, ${8 * H}>;`);
  L.push(`@compute @workgroup_size(16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32, @builtin(subgroup_invocation_id) lane: u32) {
  let b0 = wid.x * 8u;
  let j0 = (li / 4u) * 32u + lane * 8u;
  var w: array<vec4<f32>, ${2 * H}>;
  for (var k = 0u; k < ${H}u; k++) {
    w[2u * k] = vec4<f32>(W[j0 * ${H}u + k], W[(j0 + 1u) * ${H}u + k], W[(j0 + 2u) * ${H}u + k], W[(j0 + 3u) * ${H}u + k]);
    w[2u * k + 1u] = vec4<f32>(W[(j0 + 4u) * ${H}u + k], W[(j0 + 5u) * ${H}u + k], W[(j0 + 6u) * ${H}u + k], W[(j0 + 7u) * ${H}u + k]);
  }`);
  if (wg) L.push(`  for (var e = li; e < ${8 * H}u; e += 16u) { hw[e] = hs[tt.x * ${B * H}u + b0 * ${H}u + e]; }
  workgroupBarrier();`);
  L.push(`  for (var t = tt.x; t < ${T}u; t++) {
    let base = t * ${B * H}u;`);
  if (!wg) for (let i = 0; i < 8; i++) L.push(`    let r${i} = base + (b0 + ${i}u) * ${H}u + lane;`);
  for (let c = 0; c < 8; c++) L.push(`    var l${c} = vec4<f32>(0.0); var h${c} = vec4<f32>(0.0);`);
  const xyzw = ['x', 'y', 'z', 'w'];
  for (let k0 = 0; k0 < H; k0 += 4) {
    // without `wg`, a chunk of 4 k as teamTile does it: lane l loads k0 + l, broadcasts hand it round
    if (!wg) for (let i = 0; i < 8; i++) L.push(`    let a${i}_${k0} = hs[r${i} + ${k0}u];`);
    for (let kk = 0; kk < 4; kk++) {
      const k = k0 + kk;
      const a = wg ? (i) => `hw[${i * H + k}]` : (i) => `subgroupBroadcast(a${i}_${k0}, ${kk}u)`;
      L.push(`    { let lo = vec4<f32>(${a(0)}, ${a(1)}, ${a(2)}, ${a(3)}); let hi = vec4<f32>(${a(4)}, ${a(5)}, ${a(6)}, ${a(7)});`);
      L.push(`      let bl = w[${2 * k}]; let bh = w[${2 * k + 1}];`);
      for (let c = 0; c < 8; c++) {
        const b = `${c < 4 ? 'bl' : 'bh'}.${xyzw[c % 4]}`;
        L.push(`      l${c} += lo * ${b}; h${c} += hi * ${b};`);
      }
      L.push('    }');
    }
  }
  if (wg) L.push('    workgroupBarrier();');
  for (let c = 0; c < 8; c++) {
    for (let i = 0; i < 8; i++) {
      const v = `${i < 4 ? 'l' : 'h'}${c}.${xyzw[i % 4]}`;
      L.push(`    { let o = (b0 + ${i}u) * ${H}u + j0 + ${c}u; let v = tanh(${v} + X[base + o]); hs[base + ${B * H}u + o] = v;${wg ? ` hw[${i * H}u + j0 + ${c}u] = v;` : ''} }`);
    }
  }
  L.push(`    storageBarrier();
    workgroupBarrier();
  }
}`);
  return L.join('\n');
}

const storage = (n) => device.createBuffer({ size: n * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC });
const Wv = Float32Array.from({ length: H * H }, () => (Math.random() - 0.5) * 0.3);
const Xv = Float32Array.from({ length: T * B * H }, () => Math.random() - 0.5);
const h0 = Float32Array.from({ length: B * H }, () => Math.random() - 0.5);
const [bW, bX, bH] = [storage(H * H), storage(T * B * H), storage((T + 1) * B * H)];
device.queue.writeBuffer(bW, 0, Wv);
device.queue.writeBuffer(bX, 0, Xv);
device.queue.writeBuffer(bH, 0, h0);
const steps = [...Array(T)].map((_, t) => {
  const u = device.createBuffer({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(u, 0, new Uint32Array([t, 0, 0, 0]));
  return u;
});
// reg: a workgroup per 2 batch rows, 32 invocations of 4 columns each; the product written out
// with 2 × 4 sums an invocation (few enough for registers), W's 4 rows in a function-scope array
// (w[k] = columns j0 … j0 + 3 of k) and h_{t-1}'s 2 rows in workgroup memory, all at constant indices
function regKernel() {
  const L = [header, `var<workgroup> hw: array<f32, ${2 * H}>;`];
  L.push(`@compute @workgroup_size(${H / 4})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let b0 = wid.x * 2u;
  let j0 = li * 4u;
  var w: array<vec4<f32>, ${H}>;
  for (var k = 0u; k < ${H}u; k++) {
    w[k] = vec4<f32>(W[j0 * ${H}u + k], W[(j0 + 1u) * ${H}u + k], W[(j0 + 2u) * ${H}u + k], W[(j0 + 3u) * ${H}u + k]);
  }
  for (var e = li; e < ${2 * H}u; e += ${H / 4}u) { hw[e] = hs[tt.x * ${B * H}u + b0 * ${H}u + e]; }
  workgroupBarrier();
  for (var t = tt.x; t < ${T}u; t++) {
    let base = t * ${B * H}u;
    var s0 = vec4<f32>(0.0);
    var s1 = vec4<f32>(0.0);`);
  for (let k = 0; k < H; k++) L.push(`    { let wk = w[${k}]; s0 += hw[${k}] * wk; s1 += hw[${H + k}] * wk; }`);
  L.push('    workgroupBarrier();');
  const xyzw = ['x', 'y', 'z', 'w'];
  for (let r = 0; r < 2; r++) {
    for (let c = 0; c < 4; c++) {
      L.push(`    { let o = (b0 + ${r}u) * ${H}u + j0 + ${c}u; let v = tanh(s${r}.${xyzw[c]} + X[base + o]); hs[base + ${B * H}u + o] = v; hw[${r * H}u + j0 + ${c}u] = v; }`);
    }
  }
  L.push(`    storageBarrier();
    workgroupBarrier();
  }
}`);
  return L.join('\n');
}

// reg8: a workgroup per batch row, 16 invocations of 8 columns each; 8 sums an invocation, W's
// 8 rows in a function-scope array at constant indices (w[2k], w[2k + 1]: columns j0 … j0 + 3,
// j0 + 4 … j0 + 7 of k), h_{t-1} loaded a chunk of 4 k at a time (lane l: k0 + l) and broadcast
function reg8Kernel() {
  const L = [header];
  L.push(`@compute @workgroup_size(${H / 8})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32, @builtin(subgroup_invocation_id) lane: u32) {
  let b = wid.x;
  let j0 = li * 8u;
  var w: array<vec4<f32>, ${2 * H}>;
  for (var k = 0u; k < ${H}u; k++) {
    w[2u * k] = vec4<f32>(W[j0 * ${H}u + k], W[(j0 + 1u) * ${H}u + k], W[(j0 + 2u) * ${H}u + k], W[(j0 + 3u) * ${H}u + k]);
    w[2u * k + 1u] = vec4<f32>(W[(j0 + 4u) * ${H}u + k], W[(j0 + 5u) * ${H}u + k], W[(j0 + 6u) * ${H}u + k], W[(j0 + 7u) * ${H}u + k]);
  }
  for (var t = tt.x; t < ${T}u; t++) {
    let base = t * ${B * H}u;
    let row = base + b * ${H}u + lane;
    var s0 = vec4<f32>(0.0);
    var s1 = vec4<f32>(0.0);`);
  for (let k0 = 0; k0 < H; k0 += 4) {
    L.push(`    { let a = hs[row + ${k0}u];`);
    for (let kk = 0; kk < 4; kk++) {
      const k = k0 + kk;
      L.push(`      { let ak = subgroupBroadcast(a, ${kk}u); s0 += ak * w[${2 * k}]; s1 += ak * w[${2 * k + 1}]; }`);
    }
    L.push('    }');
  }
  const xyzw = ['x', 'y', 'z', 'w'];
  for (let c = 0; c < 8; c++) {
    L.push(`    { let o = b * ${H}u + j0 + ${c}u; hs[base + ${B * H}u + o] = tanh(s${c >> 2}.${xyzw[c % 4]} + X[base + o]); }`);
  }
  L.push(`    storageBarrier();
    workgroupBarrier();
  }
}`);
  return L.join('\n');
}

// reg8f: reg8 with the written-out product in a function of its own and W's slice a
// module-scope private array (the engine's form)
function reg8fKernel() {
  const L = [header, shader('common.wgsl'), `var<private> rw: array<vec4<f32>, ${2 * H}>;
struct Row8 { s0: vec4<f32>, s1: vec4<f32> }
fn rowProduct(lane: u32, a0: u32) -> Row8 {
  var s0 = vec4<f32>(0.0);
  var s1 = vec4<f32>(0.0);`];
  for (let k0 = 0; k0 < H; k0 += 4) {
    L.push(`  { let a = hs[a0 + ${k0}u + lane];`);
    for (let kk = 0; kk < 4; kk++) {
      const k = k0 + kk;
      L.push(`    { let x = subgroupBroadcast(a, ${kk}u); s0 += x * rw[${2 * k}]; s1 += x * rw[${2 * k + 1}]; }`);
    }
    L.push('  }');
  }
  L.push(`  return Row8(s0, s1);
}
@compute @workgroup_size(${H / 8})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32, @builtin(subgroup_invocation_id) lane: u32) {
  let b = wid.x;
  let j0 = li * 8u;
  for (var k = 0u; k < ${H}u; k++) {
    rw[2u * k] = vec4<f32>(W[j0 * ${H}u + k], W[(j0 + 1u) * ${H}u + k], W[(j0 + 2u) * ${H}u + k], W[(j0 + 3u) * ${H}u + k]);
    rw[2u * k + 1u] = vec4<f32>(W[(j0 + 4u) * ${H}u + k], W[(j0 + 5u) * ${H}u + k], W[(j0 + 6u) * ${H}u + k], W[(j0 + 7u) * ${H}u + k]);
  }
  for (var t = tt.x; t < ${T}u; t++) {
    let base = t * ${B * H}u;
    let p = rowProduct(lane, base + b * ${H}u);
    for (var c = 0u; c < 8u; c++) {
      let o = b * ${H}u + j0 + c;
      hs[base + ${B * H}u + o] = tanh(comp4(select(p.s1, p.s0, c < 4u), c % 4u) + X[base + o]);
    }
    storageBarrier();
    workgroupBarrier();
  }
}`);
  return L.join('\n');
}

const FORMS = ['per-step', 'one', 'one16', 'private', 'workgroup', 'reg', 'reg8', 'reg8f'];
const variant = (form) => {
  const code = form === 'reg8f' ? reg8fKernel() : form === 'reg8' ? reg8Kernel() : form === 'reg' ? regKernel() : form === 'private' || form === 'workgroup' ? unrolledKernel(form === 'workgroup') : teamKernel(form);
  const t0 = performance.now();
  const module = device.createShaderModule({ code });
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const build = performance.now() - t0;
  const binds = steps.map((u) => device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [bW, bX, bH, u].map((buffer, binding) => ({ binding, resource: { buffer } })) }));
  return { name: form === 'per-step' ? `${T} dispatches` : form, perStep: form === 'per-step', groups: { reg: B / 2, reg8: B, reg8f: B }[form] ?? B / 8, pipeline, binds, build, times: [] };
};
const run = async (v) => {
  const t0 = performance.now();
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(v.pipeline);
  if (!v.perStep) {
    pass.setBindGroup(0, v.binds[0]);
    pass.dispatchWorkgroups(v.groups);
  } else {
    for (let t = 0; t < T; t++) {
      pass.setBindGroup(0, v.binds[t]);
      pass.dispatchWorkgroups((B / 8) * (H / 32));
    }
  }
  pass.end();
  device.queue.submit([enc.finish()]);
  await device.queue.onSubmittedWorkDone();
  return performance.now() - t0;
};
const ref = new Float64Array((T + 1) * B * H);
ref.set(h0);
for (let t = 0; t < T; t++) {
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < H; j++) {
      let s = Xv[(t * B + b) * H + j];
      for (let k = 0; k < H; k++) s += Wv[j * H + k] * ref[(t * B + b) * H + k];
      ref[((t + 1) * B + b) * H + j] = Math.tanh(s);
    }
  }
}
const worstError = async () => {
  const read = device.createBuffer({ size: (T + 1) * B * H * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(bH, 0, read, 0, (T + 1) * B * H * 4);
  device.queue.submit([enc.finish()]);
  await read.mapAsync(GPUMapMode.READ);
  const got = new Float32Array(read.getMappedRange().slice(0));
  read.unmap();
  let err = 0;
  for (let i = B * H; i < got.length; i++) err = Math.max(err, Math.abs(got[i] - ref[i]) / (Math.abs(ref[i]) + 1e-2));
  return err;
};
const forms = process.argv.slice(2).length ? process.argv.slice(2) : ['per-step', 'one'];
for (const f of forms) if (!FORMS.includes(f)) throw new Error(`unknown variant ${f}; known: ${FORMS.join(', ')}`);
const variants = forms.map(variant);
for (const v of variants) {
  device.queue.writeBuffer(bH, B * H * 4, new Float32Array(T * B * H).fill(NaN)); // every output must be written
  await run(v); // also builds the pipeline
  v.err = await worstError();
}
for (let r = 0; r < Number(process.env.REPS ?? 20); r++) for (const v of variants) v.times.push(await run(v));
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
console.log(`${adapter.info.description || adapter.info.vendor}; RNN forward B ${B}, H ${H}, T ${T}; rounds alternate`);
for (const v of variants) {
  const ratio = median(v.times.map((t, i) => t / variants[0].times[i]));
  console.log(`${v.name.padEnd(14)} min ${Math.min(...v.times).toFixed(1)} median ${median(v.times).toFixed(1)} ms; per round ${ratio.toFixed(2)}× the first; worst relative error ${v.err.toExponential(1)}; build ${v.build.toFixed(0)} ms`);
}
process.exit(0);
