// x[i] = 2 x[i] in a WGSL compute shader: the smallest end-to-end check that a
// WebGPU implementation compiles, dispatches and reads back. Shared by the Node
// test (test/gpu-env.test.ts) and the browser test (e2e/smoke.spec.ts), which
// passes this function to page.evaluate, so it must stay self-contained: no
// imports, no outside names except WebGPU's globals.
export async function doubleOnGpu(data: number[], gpu: GPU = navigator.gpu): Promise<number[]> {
  const adapter = await gpu.requestAdapter();
  if (!adapter) throw new Error('no WebGPU adapter');
  const device = await adapter.requestDevice();
  const module = device.createShaderModule({
    code: /* wgsl */ `
      @group(0) @binding(0) var<storage, read_write> x: array<f32>;
      @compute @workgroup_size(64)
      fn main(@builtin(global_invocation_id) id: vec3u) {
        if (id.x < arrayLength(&x)) { x[id.x] = 2.0 * x[id.x]; }
      }`,
  });
  const pipeline = device.createComputePipeline({
    layout: 'auto',
    compute: { module, entryPoint: 'main' },
  });
  const bytes = data.length * 4;
  const storage = device.createBuffer({
    size: bytes,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  });
  const readback = device.createBuffer({
    size: bytes,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  device.queue.writeBuffer(storage, 0, new Float32Array(data));
  const bindGroup = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [{ binding: 0, resource: { buffer: storage } }],
  });
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(Math.ceil(data.length / 64));
  pass.end();
  encoder.copyBufferToBuffer(storage, 0, readback, 0, bytes);
  device.queue.submit([encoder.finish()]);
  await readback.mapAsync(GPUMapMode.READ);
  const result = Array.from(new Float32Array(readback.getMappedRange()));
  readback.unmap();
  device.destroy();
  return result;
}

/** 1000 values in [-1, 1) that are exact f32s, so 2x is exact on any GPU. */
export function randomF32s(n = 1000): number[] {
  return Array.from(new Float32Array(n).map(() => Math.random() * 2 - 1));
}

/** Throws naming the first element that is not exactly twice its input. */
export function expectDoubled(input: number[], output: number[]): void {
  if (output.length !== input.length) {
    throw new Error(`got ${output.length} elements, expected ${input.length}`);
  }
  for (let i = 0; i < input.length; i++) {
    if (output[i] !== 2 * input[i]) {
      throw new Error(`element ${i}: got ${output[i]}, expected ${2 * input[i]} (2 × ${input[i]})`);
    }
  }
}
