// Reading a model off a PyTorch state_dict's names and shapes: the modules people write, the
// ambiguous files and the unplaceable keys.
import { describe, expect, it } from 'vitest';
import { inferConfig } from './infer.js';
import { normalizeConfig, parameterSpecs, stateDictSpecs, sizeOf, type ModelConfigInput } from './config.js';
import { RnnModel } from './model.js';
import { readSafetensors, writeSafetensors } from './safetensors.js';
import { ConfigError, RnnShapeError, SafetensorsError, TokenRangeError } from '../errors.js';
import { Rng } from './init.js';

/** A state_dict (name → tensor) for a description, random values, the tied pair identical. */
function stateDict(c: ModelConfigInput, seed = 1): Map<string, { shape: number[]; data: Float32Array }> {
  const cfg = normalizeConfig(c);
  const rng = new Rng(seed);
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const s of stateDictSpecs(cfg)) {
    out.set(s.name, s.alias ? out.get(s.alias)! : { shape: s.shape, data: Float32Array.from({ length: sizeOf(s.shape) }, () => rng.uniform(-0.5, 0.5)) });
  }
  return out;
}

const file = (sd: Map<string, { shape: number[]; data: ArrayLike<number> }>): Uint8Array =>
  writeSafetensors(new Map([...sd].map(([k, v]) => [k, { shape: v.shape, data: v.data }])));

const WLM: ModelConfigInput = { cell: 'lstm', inputSize: 50, embeddingDim: 16, hiddenSize: 16, numLayers: 2, outputSize: 50, tied: true, names: { embedding: 'encoder', rnn: 'rnn', head: 'decoder' } };

describe('inferConfig', () => {
  it("reads word_language_model's tied LSTM from its state_dict (both names, bit-identical)", () => {
    const cfg = inferConfig(stateDict(WLM));
    expect(cfg).toEqual(normalizeConfig(WLM));
  });

  it('reads the tied model when the file dropped decoder.weight', () => {
    const sd = stateDict(WLM);
    sd.delete('decoder.weight');
    expect(inferConfig(sd)).toEqual(normalizeConfig(WLM));
  });

  it('takes a head whose weight merely equals the embedding in shape as untied', () => {
    const c = { ...WLM, tied: false };
    expect(inferConfig(stateDict(c)).tied).toBe(false);
  });

  it('reads the names tutorial CharRNN (rnn, h2o), a bidirectional tagger, a bias-free GRU and a head-less stack', () => {
    const cases: ModelConfigInput[] = [
      { cell: 'rnn', inputSize: 57, hiddenSize: 16, outputSize: 18, names: { head: 'h2o' } },
      { cell: 'lstm', inputSize: 30, embeddingDim: 7, hiddenSize: 5, numLayers: 2, bidirectional: true, outputSize: 4, names: { embedding: 'embed', rnn: 'lstm', head: 'tagger' } },
      { cell: 'gru', inputSize: 4, hiddenSize: 8, numLayers: 2, bias: false, outputSize: 3, names: { rnn: 'gru', head: 'classifier' } },
      { cell: 'gru', inputSize: 6, hiddenSize: 5, head: false, bidirectional: true, names: { rnn: 'encoder.rnn' } },
    ];
    for (const c of cases) expect(inferConfig(stateDict(c))).toEqual(normalizeConfig(c));
  });

  it('lists the keys it cannot place, as load_state_dict(strict=True) does', () => {
    const sd = stateDict(WLM);
    sd.set('decoder.running_mean', { shape: [3], data: new Float32Array(3) });
    sd.set('extra', { shape: [2], data: new Float32Array(2) });
    expect(() => inferConfig(sd)).toThrow(SafetensorsError);
    expect(() => inferConfig(sd)).toThrow(/unexpected keys.*'decoder.running_mean', 'extra'/);
  });

  it('asks which module is which when two could be the embedding, and takes the answer', () => {
    const sd = stateDict({ ...WLM, tied: false });
    sd.set('other.weight', { shape: [9, 16], data: new Float32Array(144) });
    expect(() => inferConfig(sd)).toThrow(/several modules could be the embedding \('encoder', 'other'\)/);
    sd.delete('other.weight');
    expect(inferConfig(sd, { names: { embedding: 'encoder' } }).embeddingDim).toBe(16);
  });

  it('reads a file that kept only decoder.weight of the tied pair (save_model) when told it is tied', () => {
    const sd = stateDict(WLM);
    sd.delete('encoder.weight');
    expect(inferConfig(sd, { tied: true, names: { embedding: 'encoder' } })).toEqual(normalizeConfig(WLM));
  });

  it('says what is missing when there is no recurrent module', () => {
    expect(() => inferConfig(new Map([['fc.weight', { shape: [2, 2], data: new Float32Array(4) }]]))).toThrow(/no recurrent layer found/);
  });
});

describe('models under their own names', () => {
  it('saves the names the module has: both of a tied pair, with the same values', async () => {
    const m = await RnnModel.fromSafetensors(file(stateDict(WLM)), { backend: 'cpu' });
    const saved = readSafetensors(await m.saveSafetensors());
    expect([...saved.tensors.keys()]).toEqual(stateDictSpecs(m.config).map((s) => s.name));
    expect(Array.from(saved.tensors.get('decoder.weight')!.data)).toEqual(Array.from(saved.tensors.get('encoder.weight')!.data));
    const again = await RnnModel.fromSafetensors(await m.saveSafetensors(), { backend: 'cpu' });
    expect(again.config).toEqual(m.config);
  });

  it('refuses a tied pair whose two tensors differ, and changes nothing', async () => {
    const m = await RnnModel.create({ ...WLM, backend: 'cpu' });
    const before = await m.getParameters();
    const p = new Map(before);
    p.set('decoder.weight', p.get('decoder.weight')!.map((v) => v + 1));
    expect(() => m.setParameters(p)).toThrow(ConfigError);
    expect(await m.getParameters()).toEqual(before);
  });

  it('rejects bad descriptions with typed errors that name the problem', async () => {
    await expect(RnnModel.create({ ...WLM, embeddingDim: 8, backend: 'cpu' })).rejects.toThrow(/embeddingDim \(8\) = hiddenSize \(16\)/);
    await expect(RnnModel.create({ cell: 'rnn', inputSize: 5, hiddenSize: 4, tied: true, backend: 'cpu' })).rejects.toThrow(ConfigError);
    await expect(RnnModel.create({ cell: 'rnn', inputSize: 5, hiddenSize: 4, dropout: 1, backend: 'cpu' })).rejects.toThrow(/dropout must be a probability/);
    await expect(RnnModel.create({ cell: 'rnn', inputSize: 5, hiddenSize: 4, head: false, outputSize: 3, backend: 'cpu' })).rejects.toThrow(/D·H = 4 states/);
    await expect(RnnModel.create({ cell: 'rnn', inputSize: 5, hiddenSize: 4, names: { rnn: 'a b' }, backend: 'cpu' })).rejects.toThrow(/names.rnn/);
  });

  it('refuses to generate from a bidirectional or head-less model, and lengths out of range, leaving the model as it was', async () => {
    const bi = await RnnModel.create({ cell: 'gru', inputSize: 6, hiddenSize: 4, bidirectional: true, outputSize: 6, backend: 'cpu' });
    await expect(bi.generate({ prime: [1], length: 3 })).rejects.toThrow(/bidirectional model cannot generate/);
    const before = await bi.getParameters();
    const input = { batch: 2, steps: 3, ids: Int32Array.of(1, 2, 3, 4, 5, 0) };
    await expect(bi.forward({ ...input, lengths: Int32Array.of(3, 4) })).rejects.toThrow(/lengths\[1\] = 4 is out of range \[1, 3\]/);
    await expect(bi.forward({ ...input, lengths: Int32Array.of(0, 2) })).rejects.toThrow(RnnShapeError);
    await expect(bi.forward({ ...input, lengths: [3, 3] as unknown as Int32Array })).rejects.toThrow(/lengths must be an Int32Array/);
    await expect(bi.forward({ ...input, ids: Int32Array.of(1, 2, 3, 4, 5, 6) })).rejects.toThrow(TokenRangeError);
    expect(await bi.getParameters()).toEqual(before);
    const headless = await RnnModel.create({ cell: 'rnn', inputSize: 4, hiddenSize: 4, head: false, backend: 'cpu' });
    await expect(headless.generate({ prime: [1], length: 3 })).rejects.toThrow(/no head/);
  });

  it('ignores the targets past a row\'s length, whatever they hold', async () => {
    const m = await RnnModel.create({ cell: 'gru', inputSize: 6, hiddenSize: 4, outputSize: 3, backend: 'cpu' });
    const input = { batch: 2, steps: 3, ids: Int32Array.of(1, 2, 3, 4, 5, 0), lengths: Int32Array.of(3, 1) };
    const a = await m.evaluate(input, { ids: Int32Array.of(0, 1, 2, 2, -100, -100) }, { loss: 'nll' });
    const b = await m.evaluate(input, { ids: Int32Array.of(0, 1, 2, 2, 0, 1) }, { loss: 'nll' });
    expect(a).toBe(b);
    await expect(m.evaluate(input, { ids: Int32Array.of(0, 1, 3, 2, 0, 0) }, { loss: 'nll' })).rejects.toThrow(TokenRangeError);
  });

  it('lists parameters once each, under the model\'s own names', () => {
    expect(parameterSpecs(normalizeConfig(WLM)).map((s) => s.name)).toEqual([
      'encoder.weight',
      'rnn.weight_ih_l0', 'rnn.weight_hh_l0', 'rnn.bias_ih_l0', 'rnn.bias_hh_l0',
      'rnn.weight_ih_l1', 'rnn.weight_hh_l1', 'rnn.bias_ih_l1', 'rnn.bias_hh_l1',
      'decoder.bias',
    ]);
  });
});
