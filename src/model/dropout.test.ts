// Dropout: PyTorch's places, inverted scaling, seeded, training calls only.
import { describe, expect, it } from 'vitest';
import { dropoutMasks } from './dropout.js';
import { normalizeConfig } from './config.js';
import { Rng } from './init.js';
import { RnnModel } from './model.js';

const DESC = { cell: 'lstm' as const, inputSize: 20, embeddingDim: 8, hiddenSize: 8, numLayers: 2, outputSize: 20, tied: true };
const batch = (rng: Rng) => ({
  input: { batch: 4, steps: 6, ids: Int32Array.from({ length: 24 }, () => rng.int(20)) },
  targets: { ids: Int32Array.from({ length: 24 }, () => rng.int(20)) },
});

describe('dropout', () => {
  it('keeps a fraction 1 − p of the elements, scaled by 1 / (1 − p)', () => {
    const cfg = normalizeConfig({ ...DESC, dropout: 0.3, inputDropout: 0.5, outputDropout: 0.1 });
    const m = dropoutMasks(cfg, 64, 50, new Rng(3));
    for (const [mask, p] of [[m.input!, 0.5], [m.layers[1]!, 0.3], [m.output!, 0.1]] as const) {
      const kept = mask.filter((v) => v !== 0);
      expect(kept.every((v) => Math.abs(v - 1 / (1 - p)) < 1e-15)).toBe(true);
      // binomial: n = 25,600, sd of the kept fraction ≤ 0.0032; 5 sd
      expect(Math.abs(kept.length / mask.length - (1 - p))).toBeLessThan(0.016);
    }
    expect(m.layers[0]).toBeNull(); // nothing before layer 0's own input mask
  });

  it('with p = 0 trains exactly as without dropout', async () => {
    const a = await RnnModel.create({ ...DESC, backend: 'cpu', seed: 2 });
    const b = await RnnModel.create({ ...DESC, dropout: 0, inputDropout: 0, outputDropout: 0, backend: 'cpu', seed: 2 });
    const { input, targets } = batch(new Rng(5));
    const ga = await a.gradients(input, targets, { loss: 'nll' });
    const gb = await b.gradients(input, targets, { loss: 'nll' });
    expect(gb.loss).toBe(ga.loss);
    expect(gb.grads).toEqual(ga.grads);
  });

  it('applies only in training calls, reproducibly from the seed', async () => {
    const make = (seed: number) => RnnModel.create({ ...DESC, dropout: 0.5, inputDropout: 0.2, outputDropout: 0.5, backend: 'cpu', seed });
    const plain = await RnnModel.create({ ...DESC, backend: 'cpu', seed: 4 });
    const [a, b, c] = [await make(4), await make(4), await make(5)];
    const { input, targets } = batch(new Rng(6));
    // eval mode: the same as the model without dropout
    expect(await a.evaluate(input, targets, { loss: 'nll' })).toBe(await plain.evaluate(input, targets, { loss: 'nll' }));
    const la = (await a.gradients(input, targets, { loss: 'nll' })).loss;
    expect((await b.gradients(input, targets, { loss: 'nll' })).loss).toBe(la);
    expect((await c.gradients(input, targets, { loss: 'nll' })).loss).not.toBe(la);
    expect(la).not.toBe(await plain.evaluate(input, targets, { loss: 'nll' }));
    // the next call draws new masks
    expect((await a.gradients(input, targets, { loss: 'nll' })).loss).not.toBe(la);
  });
});
