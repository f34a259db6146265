// Node's WebGPU (Dawn on SwiftShader, via scripts/gpu-env.sh) works end to end.
import { describe, expect, it } from 'vitest';
import { nodeGpu } from './gpu-device.js';
import { doubleOnGpu, expectDoubled, randomF32s } from './gpu-doubling.js';

describe('the Node WebGPU setup', () => {
  it('gives an adapter and a device', async () => {
    const adapter = await (await nodeGpu()).requestAdapter();
    expect(adapter).not.toBeNull();
    const device = await adapter!.requestDevice();
    expect(device.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
    device.destroy();
  });

  it('returns the same GPU object on every call', async () => {
    expect(await nodeGpu()).toBe(await nodeGpu());
  });

  it('runs a compute shader that doubles 1000 random floats exactly', async () => {
    const input = randomF32s(1000);
    expectDoubled(input, await doubleOnGpu(input, await nodeGpu()));
  });
});
