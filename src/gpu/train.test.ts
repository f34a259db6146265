// Training through the GPU path in Node actually learns: the loss on a small text halves.
import { describe, expect, it } from 'vitest';
import { nodeGpu } from '../../test/gpu-device.js';
import { firstLast, trainText } from '../../test/train-text.js';

describe('training on the WebGPU backend', () => {
  it('halves the loss of an Elman RNN on a small text within 200 steps', async () => {
    const run = await trainText({ gpu: await nodeGpu(), cell: 'rnn', numLayers: 1, hiddenSize: 32, steps: 200 });
    const [first, last] = firstLast(run.losses);
    expect(run.backend).toBe('webgpu');
    expect(run.losses.every(Number.isFinite)).toBe(true);
    expect(last).toBeLessThan(first / 2);
  });
});
