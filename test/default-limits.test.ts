// Portability by limits: every golden case (the shipped ones and the PyTorch modules) on a device
// with only WebGPU's default limits and no optional features (test/default-limits.ts), in both
// kernel families, matches PyTorch; a shape over such a device's limits gets a typed error naming
// the limit, and leaves the model usable.
import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runGoldenCase } from '../tools/golden/runner.js';
import { nodeGpu } from './gpu-device.js';
import { defaultLimitsGpu, DEFAULT_LIMITS } from './default-limits.js';
import { acquireGpu } from '../src/gpu/device.js';
import { RnnModel, GpuLimitError, WebrnnError } from '../src/index.js';

const GOLDEN = fileURLToPath(new URL('./fixtures/golden/', import.meta.url));
const MODELS = fileURLToPath(new URL('./fixtures/golden-models/', import.meta.url));
const shipped = (JSON.parse(readFileSync(join(GOLDEN, 'index.json'), 'utf8')) as { cases: string[] }).cases.map((n) => join(GOLDEN, n));
const modelIndex = JSON.parse(readFileSync(join(MODELS, 'index.json'), 'utf8')) as { cases: string[]; trained: string[] };
const modules = [...modelIndex.cases, ...modelIndex.trained].map((n) => join(MODELS, n));

let gpu: GPU;
beforeAll(async () => {
  gpu = defaultLimitsGpu(await nodeGpu());
});

describe('a device with only the default limits and no features', () => {
  it('is what the wrapper hands out: 8 storage buffers a stage, 16 KiB of workgroup memory, no subgroups', async () => {
    const ctx = await acquireGpu(gpu);
    expect(ctx.device.limits.maxStorageBuffersPerShaderStage).toBe(DEFAULT_LIMITS.maxStorageBuffersPerShaderStage);
    expect(ctx.device.limits.maxComputeWorkgroupStorageSize).toBe(16384);
    expect(ctx.device.limits.maxComputeInvocationsPerWorkgroup).toBe(256);
    expect(ctx.device.limits.maxStorageBufferBindingSize).toBe(134217728);
    // (Dawn reports the core feature level as a feature of its own; nothing optional)
    expect([...ctx.device.features].filter((f) => f !== 'core-features-and-limits')).toEqual([]);
  });

  for (const kernels of ['gpu', 'cpu'] as const) {
    for (const dir of [...shipped, ...modules]) {
      const name = dir.split('/').pop();
      it(`runs golden case ${name} with the ${kernels} kernels and matches PyTorch`, async () => {
        const rows = await runGoldenCase(dir, 'webgpu', { gpu, kernels });
        expect(rows.length).toBeGreaterThan(0);
        expect(rows.filter((r) => !r.ok).map((r) => `${r.quantity}: ${r.err}`)).toEqual([]);
      });
    }
  }

  it('rejects a model whose parameters exceed maxStorageBufferBindingSize with a GpuLimitError naming the limit and the size', async () => {
    // LSTM 2100 → 2048: 4·2048·(2100 + 2048) + … ≈ 34M floats, 136 MB > 128 MiB
    const err = await RnnModel.create({ cell: 'lstm', inputSize: 2100, hiddenSize: 2048, outputSize: 2, backend: 'webgpu', gpu }).then(
      (m) => (m.dispose(), null),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(GpuLimitError);
    const e = err as GpuLimitError;
    expect(e.limit).toBe('maxStorageBufferBindingSize');
    expect(e.needed).toBeGreaterThan(134217728);
    expect(e.message).toMatch(/^params needs a \d+-byte GPU buffer, over this device's maxStorageBufferBindingSize \(134217728 bytes\)/);
  });

  it('rejects a batch whose logits exceed maxStorageBufferBindingSize with a GpuLimitError naming it, and stays usable', async () => {
    const m = await RnnModel.create({ cell: 'rnn', inputSize: 64, hiddenSize: 8, outputSize: 64, backend: 'webgpu', gpu, kernels: 'gpu' });
    try {
      const before = await m.getParameters();
      // logits [B, T, O] = 1024 · 600 · 64 floats = 157 MB > 128 MiB
      const B = 1024;
      const T = 600;
      const ids = new Int32Array(B * T);
      const err = await m.predict({ batch: B, steps: T, ids }).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(GpuLimitError);
      expect(err).toBeInstanceOf(WebrnnError);
      const e = err as GpuLimitError;
      expect(e.limit).toBe('maxStorageBufferBindingSize');
      expect(e.available).toBe(134217728);
      expect(e.needed).toBeGreaterThan(e.available);
      expect(e.message).toMatch(/maxStorageBufferBindingSize \(134217728 bytes\)/);
      const small = await m.predict({ batch: 2, steps: 3, ids: new Int32Array(6).fill(5) });
      expect(small.logits.every(Number.isFinite)).toBe(true);
      expect(await m.getParameters()).toEqual(before);
    } finally {
      m.dispose();
    }
  });
});
