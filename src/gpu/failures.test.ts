// WebGPU's own errors reach the caller typed: GpuError naming the call, the shape and (where
// WebGPU's message does) the kernel and the limit; the model stays usable.
import { describe, it, expect } from 'vitest';
import { nodeGpu } from '../../test/gpu-device.js';
import { RnnModel, GpuError } from '../index.js';
import type { GpuBackend } from './backend.js';
import { gpuError, uncapturedErrors } from './failures.js';
import { declareUncaptured } from '../../test/setup.js';

describe('GPU errors', () => {
  it('turn a rejected submit into a GpuError that names the call and shape, and the model goes on', async () => {
    const m = await RnnModel.create({ cell: 'gru', inputSize: 7, hiddenSize: 9, outputSize: 7, backend: 'webgpu', gpu: await nodeGpu(), seed: 2 });
    try {
      const input = { batch: 2, steps: 3, ids: Int32Array.from([1, 2, 3, 4, 5, 6]) };
      const first = await m.predict(input);
      const before = await m.getParameters();
      // sabotage: destroy a buffer of the call's workspace, as a failed allocation would leave it
      const b = (m as unknown as { backendImpl: GpuBackend }).backendImpl;
      [...b.workspaces.values()][0].logits.destroy();
      const err = await m.predict(input).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(GpuError);
      const e = err as GpuError;
      expect(e.kind).toBe('validation');
      expect(e.modelUsable).toBe(true);
      expect(e.message).toMatch(/in predict on batch 2 × steps 3/);
      expect(e.message).toMatch(/still usable/);
      // the failed call's workspace is rebuilt: the same outputs as before, the same parameters
      const again = await m.predict(input);
      expect(again.logits).toEqual(first.logits);
      expect(await m.getParameters()).toEqual(before);
    } finally {
      m.dispose();
    }
  });

  it('count an error WebGPU reports outside every call (what test/setup.ts checks stays 0 in each file)', async () => {
    const m = await RnnModel.create({ cell: 'rnn', inputSize: 3, hiddenSize: 4, backend: 'webgpu', gpu: await nodeGpu() });
    try {
      const before = uncapturedErrors();
      // outside any scope of webrnn's: a buffer no usage allows
      m.gpuDevice!.createBuffer({ size: 4, usage: 0 });
      declareUncaptured(1);
      await m.predict({ batch: 1, steps: 1, ids: Int32Array.of(1) }); // gives Dawn's events a turn
      await expect.poll(() => uncapturedErrors() - before).toBe(1);
    } finally {
      m.dispose();
    }
  });

  it("name the kernel and the limit WebGPU's message mentions", () => {
    const msg =
      'The number of storage buffers (9) in the Compute stage exceeds the maximum per-stage limit (8). ' +
      '- While validating entries[...] - While calling [Device].CreateBindGroupLayout([BindGroupLayoutDescriptor "seqForward"]) maxStorageBuffersPerShaderStage';
    const e = gpuError({ message: msg } as GPUError, 'trainStep', 'batch 4 × steps 8');
    expect(e.kernel).toBe('seqForward');
    expect(e.kind).toBe('validation');
    expect(e.message).toMatch(/kernel seqForward \(limit: maxStorageBuffersPerShaderStage\)/);
    const oom = gpuError({ message: 'Out of memory allocating [Buffer "logits"]' } as GPUError, 'forward', 'batch 1 × steps 1');
    expect(oom.kind).toBe('out-of-memory');
    expect(oom.kernel).toBeNull();
  });
});
