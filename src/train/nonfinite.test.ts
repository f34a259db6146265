// The non-finite guard (TrainOptions.nonFinite): a step whose loss or gradient norm is NaN or
// ±Infinity changes nothing, on both backends; a diverging run ends with the parameters it had
// before its first non-finite step.
import { describe, it, expect } from 'vitest';
import { nodeGpu } from '../../test/gpu-device.js';
import { RnnModel, NonFiniteError, type BackendName } from '../index.js';

const backends: BackendName[] = ['cpu', 'webgpu'];

async function model(backend: BackendName, seed = 7): Promise<RnnModel> {
  return RnnModel.create({ cell: 'rnn', nonlinearity: 'relu', inputSize: 3, hiddenSize: 6, outputSize: 2, backend, seed, gpu: backend === 'webgpu' ? await nodeGpu() : undefined });
}

const B = 2;
const T = 4;
const x = Float32Array.from({ length: B * T * 3 }, (_, i) => Math.sin(i));
const good = (k: number): { y: Float32Array } => ({ y: Float32Array.from({ length: B * T * 2 }, (_, i) => Math.cos(i + k)) });
/** Targets of 1e200, finite as given: their square overflows float64 (the CPU), the GPU's float32 copy of them is ±Inf. */
const bad = { y: new Float64Array(B * T * 2).fill(1e200) };

for (const backend of backends) {
  describe(`non-finite steps on the ${backend} backend`, () => {
    it('skips a step with an infinite loss: parameters, Adam moments and step count stay as they were', async () => {
      const a = await model(backend);
      const b = await model(backend);
      try {
        for (const m of [a, b]) m.configureTraining({ loss: 'mse', optimizer: { type: 'adam', lr: 0.01 }, clip: 1 });
        const input = { batch: B, steps: T, x };
        for (const m of [a, b]) {
          for (let k = 0; k < 2; k++) expect((await m.trainStep(input, good(k))).skipped).toBe(false);
        }
        const before = await a.getParameters();
        const r = await a.trainStep(input, bad);
        expect(r.skipped).toBe(true);
        expect(Number.isFinite(r.loss)).toBe(false);
        expect(await a.getParameters()).toEqual(before);
        expect(a.stats().skippedSteps).toBe(1);
        // the next step is step 3 with the moments of step 2 on both: the same parameters after
        await a.trainStep(input, good(2));
        await b.trainStep(input, good(2));
        expect(await a.getParameters()).toEqual(await b.getParameters());
        expect(b.stats().skippedSteps).toBe(0);
      } finally {
        a.dispose();
        b.dispose();
      }
    });

    it("with nonFinite: 'throw' rejects with NonFiniteError and changes nothing", async () => {
      const m = await model(backend);
      try {
        m.configureTraining({ loss: 'mse', optimizer: { type: 'sgd', lr: 0.1, momentum: 0.9 }, nonFinite: 'throw' });
        const input = { batch: B, steps: T, x };
        await m.trainStep(input, good(0));
        const before = await m.getParameters();
        await expect(m.trainStep(input, bad)).rejects.toThrow(NonFiniteError);
        expect(await m.getParameters()).toEqual(before);
        expect(m.stats().skippedSteps).toBe(1);
      } finally {
        m.dispose();
      }
    });

    it('ends a diverging run with finite parameters identical to those before its first non-finite step', async () => {
      const m = await model(backend, 11);
      try {
        m.configureTraining({ loss: 'mse', optimizer: { type: 'sgd', lr: 1e6 } });
        const input = { batch: B, steps: T, x };
        let last = await m.getParameters();
        let firstSkip = -1;
        let atSkip: Map<string, Float64Array> | null = null;
        for (let s = 0; s < 60 && firstSkip < 0; s++) {
          const r = await m.trainStep(input, good(0));
          if (r.skipped) {
            firstSkip = s;
            atSkip = last;
          } else last = await m.getParameters();
        }
        expect(firstSkip).toBeGreaterThan(0); // the run did diverge
        for (let s = 0; s < 3; s++) expect((await m.trainStep(input, good(0))).skipped).toBe(true);
        const end = await m.getParameters();
        expect(end).toEqual(atSkip);
        for (const v of end.values()) expect(v.every(Number.isFinite)).toBe(true);
        expect(m.stats().skippedSteps).toBe(4);
      } finally {
        m.dispose();
      }
    });
  });
}
