// What a recurrence's dispatches cost on SwiftShader, the measurement behind the team kernels'
// one-dispatch form (shaders/step_team.wgsl team_seq; bench/RESULTS.md, "13 dispatches a step"):
// an RNN forward h_t = tanh(W h_{t-1} + x_t), B 32, H 128, T 64, on the team tile of
// shaders/team.wgsl, as 64 dispatches (one per step, 16 workgroups of one team) against one
// dispatch (a workgroup of one subgroup per 8 batch rows, a barrier between steps). Rounds
// alternate the two; each result is checked against a float64 recurrence.
//
//   sh scripts/gpu-env.sh node bench/micro-recurrence.mjs        (env REPS: rounds, default 20)
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

const kernel = (oneDispatch) => `enable subgroups;
${shader('common.wgsl')}
${shader('team.wgsl')}
@group(0) @binding(0) var<storage, read> W: array<f32>;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> hs: array<f32>;
@group(0) @binding(3) var<uniform> tt: vec4<u32>;
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
@compute @workgroup_size(4)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_invocation_id) lane: u32) {
${oneDispatch
    ? `  tmB0 = wid.x * 8u;
  for (var t = tt.x; t < ${T}u; t++) {
    for (var q = 0u; q < ${H / 32}u; q++) { tmJ0 = q * 32u + lane * 8u; stepAt(t, lane); }
    storageBarrier();
    workgroupBarrier();
  }`
    : `  tmB0 = (wid.x / ${H / 32}u) * 8u;
  tmJ0 = (wid.x % ${H / 32}u) * 32u + lane * 8u;
  stepAt(tt.x, lane);`}
}`;

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
const variant = (oneDispatch) => {
  const module = device.createShaderModule({ code: kernel(oneDispatch) });
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const binds = steps.map((u) => device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [bW, bX, bH, u].map((buffer, binding) => ({ binding, resource: { buffer } })) }));
  return { name: oneDispatch ? 'one dispatch' : `${T} dispatches`, oneDispatch, pipeline, binds, times: [] };
};
const run = async (v) => {
  const t0 = performance.now();
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(v.pipeline);
  if (v.oneDispatch) {
    pass.setBindGroup(0, v.binds[0]);
    pass.dispatchWorkgroups(B / 8);
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
const variants = [variant(false), variant(true)];
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
  console.log(`${v.name.padEnd(14)} min ${Math.min(...v.times).toFixed(1)} median ${median(v.times).toFixed(1)} ms; per round ${ratio.toFixed(2)}× the first; worst relative error ${v.err.toExponential(1)}`);
}
process.exit(0);
