// What a GEMM costs on SwiftShader, the measurements behind shaders/team.wgsl (bench/RESULTS.md,
// "SwiftShader: the team kernels"): C [M, N] = A [M, K] · B [K, N], row-major, each invocation an
// R × C block in vec4 registers; with `s` the 4 invocations of a subgroup share the block's rows
// (each loads one k of a chunk of 4 and subgroupBroadcast hands it round), without it each loads
// its own; with `t` B comes from an rgba32float texture (a texel = 4 columns of one k) instead of
// storage. Every result is checked against a float64 product (err = worst relative error).
//
//   sh scripts/gpu-env.sh node bench/micro-gemm.mjs 4,4 8,8,s 16,8,s 8,8,s,t   (R,C[,s][,t] per variant)
//   env M, N, K: sizes (2048, 128, 128); REPS: dispatches a variant (12; the first builds the
//   pipeline, the time printed is the min of the others); NO_LOADS=1: A and B values made up in
//   registers instead of loaded (the arithmetic alone; the check then fails, by design)
import { create, globals } from 'webgpu';

Object.assign(globalThis, globals);
const M = Number(process.env.M ?? 2048);
const N = Number(process.env.N ?? 128);
const K = Number(process.env.K ?? 128);
const noLoads = process.env.NO_LOADS === '1';
const REPS = Number(process.env.REPS ?? 12);

function kernel(R, C, share, tex) {
  const C4 = C / 4;
  const L = [share ? 'enable subgroups;' : ''];
  L.push(`@group(0) @binding(0) var<storage, read> a: array<f32>;
${tex ? '@group(0) @binding(1) var bt: texture_2d<f32>;' : '@group(0) @binding(1) var<storage, read> b: array<vec4f>;'}
@group(0) @binding(2) var<storage, read_write> c: array<vec4f>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3u${share ? ', @builtin(subgroup_invocation_id) sl: u32' : ''}) {`);
  const colBlocks = N / C;
  // with sharing, the 4 lanes of a subgroup take one row block and 4 consecutive column blocks
  L.push(share ? `  let grp = g.x / 4u; let cb = (grp % ${colBlocks / 4}u) * 4u + sl; let rb = grp / ${colBlocks / 4}u;` : `  let cb = g.x % ${colBlocks}u; let rb = g.x / ${colBlocks}u;`);
  L.push(`  let r0 = rb * ${R}u; let c0 = cb * ${C4}u;`);
  for (let i = 0; i < R; i++) for (let j = 0; j < C4; j++) L.push(`  var acc${i}_${j} = vec4f(0.0);`);
  L.push(`  for (var k = 0u; k < ${K}u; k += 4u) {`);
  for (let i = 0; i < R; i++) {
    const ak = (d) => `a[(r0 + ${i}u) * ${K}u + k + ${d}]`;
    if (noLoads) L.push(`    let s${i} = ${share ? '' : 'vec4f'}(f32(r0 + k + ${i}u) * 0.001);`);
    else L.push(share ? `    let s${i} = ${ak('sl')};` : `    let s${i} = vec4f(${ak('0u')}, ${ak('1u')}, ${ak('2u')}, ${ak('3u')});`);
  }
  for (let kk = 0; kk < 4; kk++) {
    for (let j = 0; j < C4; j++) {
      const load = tex ? `textureLoad(bt, vec2u(c0 + ${j}u, k + ${kk}u), 0)` : `b[(k + ${kk}u) * ${N / 4}u + c0 + ${j}u]`;
      L.push(noLoads ? `    let b${kk}_${j} = vec4f(f32(k + ${kk + j}u), 1.0, 2.0, 3.0) * 0.001;` : `    let b${kk}_${j} = ${load};`);
    }
    for (let i = 0; i < R; i++) {
      L.push(`    { let av = ${share ? `subgroupBroadcast(s${i}, ${kk}u)` : `s${i}[${kk}]`};`);
      for (let j = 0; j < C4; j++) L.push(`      acc${i}_${j} += av * b${kk}_${j};`);
      L.push('    }');
    }
  }
  L.push('  }');
  L.push(`  acc0_0 += (${tex ? 'textureLoad(bt, vec2u(0u, 0u), 0).x' : 'b[0].x'} + a[0]) * 1e-30; // keeps both bindings alive without loads`);
  for (let i = 0; i < R; i++) for (let j = 0; j < C4; j++) L.push(`  c[(r0 + ${i}u) * ${N / 4}u + c0 + ${j}u] = acc${i}_${j};`);
  L.push('}');
  return { code: L.join('\n'), invocations: (M / R) * (N / C) };
}

// the GPU object and the adapter stay referenced: without that this script crashed in Dawn's Node
// binding now and then (webgpu 0.6.2; with it, not once)
const gpu = create([]);
const adapter = await gpu.requestAdapter();
globalThis.keepAlive = { gpu, adapter };
const device = await adapter.requestDevice({ requiredFeatures: adapter.features.has('subgroups') ? ['subgroups'] : [] });
console.log(`${adapter.info.description || adapter.info.vendor}; C [${M}, ${N}] = A [${M}, ${K}] · B; min of ${REPS - 1} dispatches`);
const buffer = (n) => device.createBuffer({ size: n * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC });
const A = Float32Array.from({ length: M * K }, () => Math.random() - 0.5);
const B = Float32Array.from({ length: K * N }, () => Math.random() - 0.5);
const bufs = [buffer(M * K), buffer(K * N), buffer(M * N)];
device.queue.writeBuffer(bufs[0], 0, A);
device.queue.writeBuffer(bufs[1], 0, B);
const texB = device.createTexture({ size: [N / 4, K], format: 'rgba32float', usage: GPUTextureUsage.TEXTURE_BINDING | GPUTextureUsage.COPY_DST });
device.queue.writeTexture({ texture: texB }, B, { bytesPerRow: N * 4 }, [N / 4, K]);
const results = [];
for (const arg of process.argv.slice(2)) {
  const [R, C, ...flags] = arg.split(',');
  const tex = flags.includes('t');
  const { code, invocations } = kernel(Number(R), Number(C), flags.includes('s'), tex);
  const module = device.createShaderModule({ code });
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const bind = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: bufs.map((b, i) => ({ binding: i, resource: tex && i === 1 ? texB.createView() : { buffer: b } })) });
  const times = [];
  for (let r = 0; r < REPS; r++) {
    const t0 = performance.now();
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bind);
    pass.dispatchWorkgroups(Math.ceil(invocations / 64));
    pass.end();
    device.queue.submit([enc.finish()]);
    await device.queue.onSubmittedWorkDone();
    if (r > 0) times.push(performance.now() - t0); // the first builds the pipeline
  }
  const read = device.createBuffer({ size: M * N * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(bufs[2], 0, read, 0, M * N * 4);
  device.queue.submit([enc.finish()]);
  await read.mapAsync(GPUMapMode.READ);
  const got = new Float32Array(read.getMappedRange().slice(0));
  read.unmap();
  results.push({ arg, ms: Math.min(...times), got });
}
const ref = new Float64Array(M * N);
for (let i = 0; i < M; i++) for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) ref[i * N + j] += A[i * K + k] * B[k * N + j];
for (const { arg, ms, got } of results) {
  let err = 0;
  for (let i = 0; i < M * N; i++) err = Math.max(err, Math.abs(got[i] - ref[i]) / (Math.abs(ref[i]) + 1e-2));
  console.log(`${arg.padEnd(8)} ${ms.toFixed(1).padStart(7)} ms  ${((2 * M * N * K) / ms / 1e6).toFixed(2)} GFLOP/s  err ${err.toExponential(1)}`);
}
process.exit(0);
