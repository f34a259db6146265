// PyTorch interchange: the golden cases' weights.safetensors are real PyTorch state_dicts
// (nn.RNN / nn.LSTM / nn.GRU + nn.Linear, and the tutorial's i2h / i2o). A model is built from
// each without being told the architecture, reproduces PyTorch's outputs, and saves back a file
// with the same names, shapes and values.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RnnModel, readSafetensors, SafetensorsError, RnnShapeError } from '../index.js';
import { nodeGpu } from '../../test/gpu-device.js';
import { relErr } from '../../tools/compare.js';

const GOLDEN = process.env.WEBRNN_GOLDEN_DIR ?? fileURLToPath(new URL('../../test/fixtures/golden/', import.meta.url));
const CASES = ['rnn_tanh_small', 'rnn_relu', 'rnn_tanh_2layer', 'lstm_2layer', 'gru_2layer', 'seed_tutorial'];

function load(name: string) {
  const dir = join(GOLDEN, name);
  const cj = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8'));
  const weights = readFileSync(join(dir, 'weights.safetensors'));
  const expected = readSafetensors(readFileSync(join(dir, 'expected.safetensors'))).tensors;
  return { cj, weights, expected };
}

describe('a PyTorch state_dict in safetensors', () => {
  for (const name of CASES) {
    it(`builds the right model from ${name}'s weights alone and reproduces PyTorch's outputs`, async () => {
      const { cj, weights, expected } = load(name);
      const nonlinearity = cj.nonlinearity === 'relu' ? 'relu' : undefined;
      const model = await RnnModel.fromSafetensors(weights, { backend: 'cpu', nonlinearity });
      expect(model.config).toMatchObject({
        cell: cj.kind === 'tutorial' ? 'tutorial' : cj.cell,
        inputSize: cj.input_size,
        hiddenSize: cj.hidden_size,
        numLayers: cj.num_layers,
        outputSize: cj.output_size,
      });
      const B = cj.kind === 'tutorial' ? 1 : cj.batch_size;
      const ids = Int32Array.from(expected.get('input_ids')!.data);
      const h0 = Float64Array.from(expected.get(cj.kind === 'tutorial' ? 'hidden0' : 'h0')!.data);
      const f = await model.forward({ batch: B, steps: cj.seq_len, ids }, { state: { h: h0 } });
      const want = cj.kind === 'tutorial' ? null : expected.get('logits')!.data;
      if (want) expect(relErr(f.logits, want)).toBeLessThan(1e-9);
      else expect(relErr(f.hSeq, expected.get('hiddens')!.data)).toBeLessThan(1e-9);

      // save → PyTorch names, F32, same values; load back on the GPU gives the same outputs
      const saved = readSafetensors(await model.saveSafetensors());
      const original = readSafetensors(weights);
      expect([...saved.tensors.keys()]).toEqual([...original.tensors.keys()]);
      for (const [n, t] of original.tensors) {
        expect(saved.tensors.get(n)!.dtype).toBe('F32');
        expect(saved.tensors.get(n)!.shape).toEqual(t.shape);
        expect(Array.from(saved.tensors.get(n)!.data)).toEqual(Array.from(t.data));
      }
      const onGpu = await RnnModel.fromSafetensors(await model.saveSafetensors(), { backend: 'webgpu', gpu: await nodeGpu() });
      const g = await onGpu.forward({ batch: B, steps: cj.seq_len, ids }, { state: { h: h0 } });
      expect(onGpu.config).toEqual(model.config);
      expect(relErr(g.logits, f.logits)).toBeLessThan(1e-4);
      onGpu.dispose();
    });
  }

  it('keeps the relu nonlinearity through webrnn’s own save and load', async () => {
    const { weights } = load('rnn_relu');
    const m = await RnnModel.fromSafetensors(weights, { backend: 'cpu', nonlinearity: 'relu' });
    const again = await RnnModel.fromSafetensors(await m.saveSafetensors(), { backend: 'cpu' });
    expect(again.config.nonlinearity).toBe('relu');
  });

  it('names what is missing or misshapen when the file is not an RNN state_dict', async () => {
    const { weights } = load('lstm_2layer');
    const file = readSafetensors(weights);
    const { writeSafetensors } = await import('../index.js');
    const without = new Map([...file.tensors].filter(([n]) => n !== 'fc.weight').map(([n, t]) => [n, { shape: t.shape, data: t.data }]));
    await expect(RnnModel.fromSafetensors(writeSafetensors(without), { backend: 'cpu' })).rejects.toThrow(/fc\.weight/);
    await expect(RnnModel.fromSafetensors(writeSafetensors(without), { backend: 'cpu' })).rejects.toBeInstanceOf(SafetensorsError);
    const odd = new Map([...file.tensors].map(([n, t]) => [n, { shape: n === 'rnn.weight_hh_l0' ? [48, 24] : t.shape, data: n === 'rnn.weight_hh_l0' ? t.data.slice(0, 48 * 24) : t.data }]));
    await expect(RnnModel.fromSafetensors(writeSafetensors(odd), { backend: 'cpu' })).rejects.toBeInstanceOf(RnnShapeError);
  });
});
