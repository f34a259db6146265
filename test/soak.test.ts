// Soak: thousands of training steps over several shapes (the workspace cache turning over),
// predictions with carried state, evaluations, generations, and create / train / dispose cycles,
// with no growth in live GPU buffers or in process memory.
import { describe, it, expect } from 'vitest';
import { nodeGpu } from './gpu-device.js';
import { liveBuffers } from '../src/gpu/buffers.js';
import { RnnModel } from '../src/index.js';

const V = 12;
const ids = (n: number, s: number): Int32Array => Int32Array.from({ length: n }, (_, i) => (i * 5 + s) % V);

async function rounds(m: RnnModel, n: number, from: number): Promise<number> {
  let last = 0;
  for (let s = from; s < from + n; s++) {
    // three training shapes, so the three-entry workspace cache keeps evicting
    const [B, T] = [[4, 8], [2, 5], [3, 6], [4, 8]][s % 4];
    last = (await m.trainStep({ batch: B, steps: T, ids: ids(B * T, s) }, { ids: ids(B * T, s + 1) })).loss;
    if (s % 10 === 0) await m.predict({ batch: 1, steps: 1, ids: ids(1, s) }, { state: 'carry' });
    if (s % 25 === 0) await m.evaluate({ batch: 2, steps: 7, ids: ids(14, s) }, { ids: ids(14, s + 2) }, { loss: 'nll' });
    if (s % 100 === 0) await m.generate({ prime: [1, 2], length: 5 + (s % 3), seed: s });
  }
  return last;
}

describe('a long run', () => {
  it('trains 3,000 steps over changing shapes and cycles 60 models with no growth in GPU buffers or memory', async () => {
    const gpu = await nodeGpu();
    const m = await RnnModel.create({ cell: 'lstm', inputSize: V, hiddenSize: 16, numLayers: 2, outputSize: V, backend: 'webgpu', gpu, seed: 5 });
    m.configureTraining({ loss: 'nll', optimizer: { type: 'adam', lr: 0.01 }, clip: 1, snapshotEvery: 20 });
    try {
      const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 200)); // a snapshot's copy lands
      await rounds(m, 400, 0); // warm: every shape's workspace, pipelines, snapshots
      await settle();
      const buffers = liveBuffers();
      const bytes = m.stats().gpuBytes;
      global.gc?.();
      const rss = process.memoryUsage().rss;
      const loss = await rounds(m, 2600, 400);
      expect(Number.isFinite(loss)).toBe(true);
      // create / train / dispose, GRU and RNN models beside the long-lived one
      for (let c = 0; c < 60; c++) {
        const k = await RnnModel.create({ cell: c % 2 ? 'gru' : 'rnn', inputSize: V, hiddenSize: 8 + (c % 3), outputSize: V, backend: 'webgpu', gpu, seed: c });
        k.configureTraining({ loss: 'nll', optimizer: { type: 'sgd', lr: 0.1 } });
        for (let s = 0; s < 3; s++) await k.trainStep({ batch: 2, steps: 4, ids: ids(8, s) }, { ids: ids(8, s + 1) });
        k.dispose();
      }
      await rounds(m, 4, 3000); // back on the warmed shapes: the same buffers as after warming
      await settle();
      global.gc?.();
      const grown = process.memoryUsage().rss - rss;
      expect(liveBuffers()).toBe(buffers);
      expect(m.stats().gpuBytes).toBe(bytes);
      // a leaked workspace per step would be megabytes a step; allow the allocator its noise
      expect(grown).toBeLessThan(96 * 2 ** 20);
    } finally {
      m.dispose();
    }
    expect(liveBuffers()).toBe(0);
  }, 600_000);
});
