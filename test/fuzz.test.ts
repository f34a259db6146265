// The API fuzz (test/fuzz.ts): a few thousand hostile calls and safetensors files per run, on the
// CPU backend and some on WebGPU. Each rejection must be a typed WebrnnError that changed nothing.
import { describe, it, expect } from 'vitest';
import { nodeGpu } from './gpu-device.js';
import { fuzzCalls, fuzzFields, fuzzModel, fuzzSafetensors, fuzzWriter, type FuzzReport } from './fuzz.js';

const fresh = (): FuzzReport => ({ calls: 0, rejected: 0, failures: [] });

describe('the API under hostile arguments', () => {
  it('rejects 2,000 hostile calls on the CPU backend with typed errors only, each leaving the model bit-identical', async () => {
    const report = fresh();
    const m = await fuzzModel('cpu');
    await fuzzCalls(m, 2000, 1, report);
    m.dispose();
    expect(report.failures.slice(0, 10)).toEqual([]);
    expect(report.rejected).toBeGreaterThan(1500);
  });

  it('answers 2,000 calls whose arguments are valid but for one field with typed errors only, each rejection leaving the model bit-identical', async () => {
    const report = fresh();
    const m = await fuzzModel('cpu');
    await fuzzFields(m, 2000, 5, report);
    m.dispose();
    expect(report.failures.slice(0, 10)).toEqual([]);
    expect(report.rejected).toBeGreaterThan(1000);
  });

  it('rejects 1,500 hostile safetensors files (loaded into a model and as a new one) with typed errors only', async () => {
    const report = fresh();
    const m = await fuzzModel('cpu');
    await fuzzSafetensors(m, 1500, 2, report);
    m.dispose();
    expect(report.failures.slice(0, 10)).toEqual([]);
    expect(report.rejected).toBeGreaterThan(2000);
  });

  it('rejects hostile tensors given to writeSafetensors with typed errors only', () => {
    const report = fresh();
    fuzzWriter(1000, 3, report);
    expect(report.failures.slice(0, 10)).toEqual([]);
    expect(report.rejected).toBeGreaterThan(900);
  });

  it('rejects 300 hostile calls and 200 with one field spoiled on the WebGPU backend with typed errors only, each leaving the model bit-identical', async () => {
    const report = fresh();
    const m = await fuzzModel('webgpu', { gpu: await nodeGpu() });
    await fuzzCalls(m, 300, 4, report);
    await fuzzFields(m, 200, 6, report);
    m.dispose();
    expect(report.failures.slice(0, 10)).toEqual([]);
    expect(report.rejected).toBeGreaterThan(300);
  });
});
