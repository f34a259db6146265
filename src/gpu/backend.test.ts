// GPU-vs-CPU parity of every kernel path, in Node (Dawn + SwiftShader), on fresh random models
// and inputs: outputs, loss, every gradient (and h0/c0), and the parameters after 1 and 5
// optimizer steps. Buffers are poisoned with NaN first (test/parity.ts).
import { describe, expect, it, vi } from 'vitest';
import { nodeGpu } from '../../test/gpu-device.js';
import { failures, parity, CLASSIC_CASES as cases } from '../../test/parity.js';
import { RnnModel, WebGpuUnavailableError, ConfigError } from '../index.js';
import { rowSplit, splitK } from './kernels/gemm.js';
import { ROW_MAX_K } from './rows.js';

// Every kernel family runs here on SwiftShader: 'gpu' (tiled GEMM in workgroup memory, the whole
// recurrence in one dispatch per layer where it fits), 'gpu-per-step' (the same, with one step
// kernel per time step), 'cpu' (register-blocked, no barriers), 'cpu-team' (the team tile, whose
// subgroups SwiftShader makes 4 wide, with each layer's recurrence in one dispatch where the batch
// has row blocks enough) and 'cpu-team-per-step' (the team tile, one dispatch per time step).
for (const kernels of ['gpu', 'gpu-per-step', 'cpu', 'cpu-team', 'cpu-team-per-step'] as const) {
  describe(`the WebGPU backend with its '${kernels}' kernels matches the CPU reference`, () => {
    for (const [name, spec] of cases) {
      it(`on ${name}`, async () => {
        const rows = await parity(await nodeGpu(), { ...spec, kernels });
        expect(rows.length).toBeGreaterThan(8);
        expect(failures(rows)).toEqual([]);
      });
    }
  });
}

describe('split-K for the GPU GEMM', () => {
  it('splits a long K for the team kernels\' one-row GEMM into the fewest equal slices of at most ROW_MAX_K', () => {
    expect(rowSplit(100)).toBe(1);
    expect(rowSplit(ROW_MAX_K)).toBe(1);
    expect(rowSplit(300)).toBe(2);
    expect(rowSplit(640)).toBe(4); // not 3: 640 / 3 is no whole number of rows
    expect(rowSplit(1100)).toBe(5);
    expect(rowSplit(2048)).toBe(16);
    expect(rowSplit(257)).toBe(0); // prime: the team tile
    expect(rowSplit(32 * ROW_MAX_K + 32)).toBe(0); // more than 32 slices
  });

  it('splits only a result of few 64×64 tiles over a long K, into slices for about 128 workgroups', () => {
    expect(splitK(65, 1024, 16384)).toBe(4); // d fc.weight at RNN H1024 B256 T64: 32 tiles
    expect(splitK(65, 256, 2048)).toBe(4); // at RNN H256 B32 T64: 8 tiles, slices of 512
    expect(splitK(256, 256, 2048)).toBe(4);
    expect(splitK(1024, 1024, 16384)).toBe(1); // 256 tiles: enough workgroups already
    expect(splitK(65, 1024, 1000)).toBe(1); // short K
    expect(splitK(4, 20, 1100)).toBe(2); // the parity case over 1,100 rows
    expect(splitK(4, 20, 1600)).toBe(3);
    expect(splitK(8, 8, 1 << 20)).toBe(32);
  });
});

describe('the WebGPU scheduler', () => {
  it('submits one command buffer per training step and one per generate call', async () => {
    const gpu = await nodeGpu();
    const model = await RnnModel.create({ cell: 'lstm', inputSize: 9, hiddenSize: 16, numLayers: 2, backend: 'webgpu', gpu });
    const device = (model as unknown as { backendImpl: { device: GPUDevice } }).backendImpl.device;
    const queue = device.queue;
    const real = queue.submit.bind(queue);
    let submits = 0;
    queue.submit = (bufs: Iterable<GPUCommandBuffer>) => {
      submits++;
      return real(bufs);
    };
    try {
      model.configureTraining({ loss: 'nll', optimizer: { type: 'adam', lr: 0.01 }, clip: 1 });
      const ids = Int32Array.from({ length: 4 * 6 }, (_, i) => (i * 7) % 9);
      const input = { batch: 4, steps: 6, ids };
      const targets = { ids: Int32Array.from(ids, (v) => (v + 1) % 9) };
      await model.trainStep(input, targets); // first call builds the workspace
      submits = 0;
      for (let i = 0; i < 3; i++) await model.trainStep(input, targets, { state: 'carry' });
      expect(submits).toBe(3);
      expect(model.stats().dispatches).toBeGreaterThan(2 * 6);
      submits = 0;
      const out = await model.generate({ prime: [1, 2, 3], length: 20, temperature: 0.8, seed: 5 });
      expect(out.length).toBe(20);
      expect(submits).toBe(1);
    } finally {
      queue.submit = real;
      model.dispose();
    }
  });

  it('paces its read-backs in Node on a CPU adapter without changing what any call returns', async () => {
    const gpu = await nodeGpu();
    type Paced = { backendImpl: { pacer: { enabled: boolean; expectedMs(kind: string): number | undefined } } };
    const make = (paceWaits?: boolean): Promise<RnnModel> => RnnModel.create({ cell: 'gru', inputSize: 9, hiddenSize: 16, backend: 'webgpu', gpu, paceWaits });
    const [paced, plain, byDefault] = await Promise.all([make(true), make(false), make()]);
    try {
      // the default here (Node, SwiftShader) is on
      expect((byDefault as unknown as Paced).backendImpl.pacer.enabled).toBe(true);
      expect((plain as unknown as Paced).backendImpl.pacer.enabled).toBe(false);
      plain.setParameters(await paced.getParameters());
      const ids = Int32Array.from({ length: 4 * 6 }, () => Math.floor(Math.random() * 9));
      const input = { batch: 4, steps: 6, ids };
      const targets = { ids: Int32Array.from(ids, (v) => (v + 2) % 9) };
      for (const m of [paced, plain]) m.configureTraining({ loss: 'nll', optimizer: { type: 'adam', lr: 0.01 }, clip: 1 });
      for (let i = 0; i < 4; i++) {
        const [a, b] = [await paced.trainStep(input, targets), await plain.trainStep(input, targets)];
        expect(a).toEqual(b);
      }
      expect(await paced.evaluate(input, targets, { loss: 'nll' })).toBe(await plain.evaluate(input, targets, { loss: 'nll' }));
      for (let i = 0; i < 2; i++) {
        expect(await paced.predict(input)).toEqual(await plain.predict(input));
        expect(await paced.forward(input)).toEqual(await plain.forward(input));
        expect(await paced.gradients(input, targets, { loss: 'nll' })).toEqual(await plain.gradients(input, targets, { loss: 'nll' }));
      }
      for (let i = 0; i < 2; i++) {
        const gen = { prime: [1, 2], length: 12, temperature: 0.9, seed: 11 + i };
        expect(Array.from(await paced.generate(gen))).toEqual(Array.from(await plain.generate(gen)));
      }
      expect((paced as unknown as Paced).backendImpl.pacer.expectedMs('train:nll:4:6:true')).toBeGreaterThan(0);
      expect((plain as unknown as Paced).backendImpl.pacer.expectedMs('train:nll:4:6:true')).toBeUndefined();

      // a failed submit still rejects the call after the pacer's pause, and the model goes on
      const impl = (paced as unknown as { backendImpl: { submit(enc: GPUCommandEncoder): Promise<void> } }).backendImpl;
      const submit = impl.submit;
      impl.submit = () => Promise.reject(new Error('WebGPU validation error in webrnn: injected'));
      await expect(paced.trainStep(input, targets)).rejects.toThrow(/injected/);
      impl.submit = submit;
      const after = await paced.trainStep(input, targets);
      expect(Number.isFinite(after.loss)).toBe(true);
    } finally {
      for (const m of [paced, plain, byDefault]) m.dispose();
    }
  });

  // The fused one-workgroup loop (every cell but the tutorial's, with either kernel family), and
  // the per-step plan (the tutorial model, each CPU-adapter family) must both draw what the CPU
  // reference draws.
  const generation = [
    ['a 2-layer GRU, fused loop', { cell: 'gru', hiddenSize: 24, numLayers: 2 }, 'gpu'],
    ['an LSTM with H above the workgroup size, fused loop', { cell: 'lstm', hiddenSize: 300, numLayers: 1 }, 'gpu'],
    ['a relu RNN, fused loop', { cell: 'rnn', nonlinearity: 'relu', hiddenSize: 17, numLayers: 1 }, 'gpu'],
    ['a 2-layer LSTM with the CPU-adapter kernels, fused loop', { cell: 'lstm', hiddenSize: 20, numLayers: 2 }, 'cpu'],
    ['an LSTM with H above the workgroup size and the CPU-adapter kernels, fused loop', { cell: 'lstm', hiddenSize: 300, numLayers: 1 }, 'cpu'],
    // an embedding: the token kernels gather the columns of W_ih · Eᵀ, computed as generation starts
    ['a tied embedding LSTM (word_language_model), fused loop', { cell: 'lstm', hiddenSize: 10, numLayers: 2, embeddingDim: 10, tied: true }, 'gpu'],
    ['an embedding GRU without biases and the CPU-adapter kernels, fused loop', { cell: 'gru', hiddenSize: 9, numLayers: 1, embeddingDim: 5, bias: false }, 'cpu'],
    ['the tutorial model, per-step plan', { cell: 'tutorial', hiddenSize: 16, numLayers: 1 }, 'gpu'],
    ['the tutorial model with the CPU-adapter kernels, per-step plan', { cell: 'tutorial', hiddenSize: 12, numLayers: 1 }, 'cpu'],
    ['the tutorial model with the team kernels (token columns gathered in the step), per-step plan', { cell: 'tutorial', hiddenSize: 12, numLayers: 1 }, 'cpu-team'],
  ] as const;
  for (const [name, arch, kernels] of generation) {
    it(`draws the same tokens as the CPU reference from the same model and seed: ${name}`, async () => {
      const gpu = await nodeGpu();
      const opts = { ...arch, inputSize: 12, seed: 21 };
      const g = await RnnModel.create({ ...opts, backend: 'webgpu', gpu, kernels });
      const c = await RnnModel.create({ ...opts, backend: 'cpu' });
      try {
        for (const [temperature, topK, prime] of [[0, 0, [3]], [1, 0, [3, 1, 4]], [0.7, 4, [5, 9, 2, 6]]] as const) {
          const a = await g.generate({ prime, length: 24, temperature, topK, seed: 9 });
          const b = await c.generate({ prime, length: 24, temperature, topK, seed: 9 });
          expect(Array.from(a)).toEqual(Array.from(b));
          expect(a.every((v) => v >= 0 && v < 12)).toBe(true);
        }
        expect(g.stats().submits).toBe(1);
      } finally {
        g.dispose();
        c.dispose();
      }
    });
  }

  it('picks the team kernels on SwiftShader, the 4×4 blocks where subgroups are missing, and says why it cannot force them there', async () => {
    const real = await nodeGpu();
    const opts = { cell: 'rnn' as const, inputSize: 5, hiddenSize: 8 };
    const input = { batch: 2, steps: 3, ids: Int32Array.from([0, 1, 2, 3, 4, 0]) };
    const targets = { ids: Int32Array.from([1, 2, 3, 4, 0, 1]) };
    const trained = async (gpu: GPU, kernels?: 'cpu-team' | 'cpu-team-per-step') => {
      const m = await RnnModel.create({ ...opts, backend: 'webgpu', gpu, kernels });
      try {
        m.configureTraining({ loss: 'nll', optimizer: { type: 'sgd', lr: 0.1 } });
        await m.trainStep(input, targets);
        return m.stats().kernels;
      } finally {
        m.dispose();
      }
    };
    // one row block of 8 (batch 2) is enough for the one-dispatch recurrence on 2 logical cores
    // (the default where navigator.hardwareConcurrency is unknown), not on 16
    vi.stubGlobal('navigator', { hardwareConcurrency: 2 });
    expect(await trained(real)).toBe('cpu-team/sequence');
    vi.stubGlobal('navigator', { hardwareConcurrency: 16 });
    expect(await trained(real)).toBe('cpu-team/per-step');
    vi.unstubAllGlobals();
    expect(await trained(real, 'cpu-team-per-step')).toBe('cpu-team/per-step');
    // the same driver behind an adapter that does not offer the subgroups feature
    const noSubgroups = {
      requestAdapter: async (o?: GPURequestAdapterOptions) => {
        const a = (await real.requestAdapter(o))!;
        return new Proxy(a, {
          get(t, k) {
            if (k === 'features') return new Set([...t.features].filter((f) => f !== 'subgroups'));
            const v = Reflect.get(t, k, t) as unknown;
            return typeof v === 'function' ? v.bind(t) : v;
          },
        });
      },
    } as unknown as GPU;
    expect(await trained(noSubgroups)).toBe('cpu/per-step');
    await expect(trained(noSubgroups, 'cpu-team')).rejects.toThrow(WebGpuUnavailableError);
    await expect(trained(noSubgroups, 'cpu-team')).rejects.toThrow(/subgroups exactly 4 invocations wide.*no subgroups feature/);
    await expect(trained(noSubgroups, 'cpu-team-per-step')).rejects.toThrow(/'cpu-team-per-step' needs subgroups/);
  });

  it("runs the team kernels' products in their one-row form where K can be written out, whole or in slices, on the team tile elsewhere", async () => {
    const gpu = await nodeGpu();
    vi.stubGlobal('navigator', { hardwareConcurrency: 2 }); // the one-dispatch form at batch 2
    try {
      // the recurrence and GEMM kernels of a trained model's plans, in order
      const kernelsOf = async (cell: 'rnn' | 'lstm' | 'gru', hiddenSize: number, batch = 2): Promise<string[]> => {
        const m = await RnnModel.create({ cell, inputSize: 5, hiddenSize, backend: 'webgpu', gpu, kernels: 'cpu-team' });
        try {
          m.configureTraining({ loss: 'nll', optimizer: { type: 'sgd', lr: 0.1 } });
          const ids = Int32Array.from({ length: batch * 3 }, (_, i) => i % 5);
          await m.trainStep({ batch, steps: 3, ids }, { ids });
          type Plans = { workspaces: Map<string, { forward: Plan; plans: Map<string, Plan> }> };
          type Plan = { pipeline?: { label: string } }[];
          const ws = [...(m as unknown as { backendImpl: Plans }).backendImpl.workspaces.values()][0];
          const labels = [...ws.forward, ...ws.plans.get('backward')!].map((o) => o.pipeline?.label.split(':')[0] ?? '');
          return labels.filter((l) => /Seq$|^gemm/.test(l));
        } finally {
          m.dispose();
        }
      };
      // recurrences; GEMMs (head, head gradient into h, d fc.weight, d W_hh) over 6 rows: team tiles
      expect(await kernelsOf('rnn', 12)).toEqual(['stepRowSeq', 'gemmTeam', 'gemmTeam', 'gemmTeam', 'backRowSeq', 'gemmTeam']);
      // over 3 · 32 = 96 rows the head and its gradient (K = H, V) walk rows too; the weight
      // gradients' K is the 96 rows, long
      expect(await kernelsOf('rnn', 12, 32)).toEqual(['stepRowSeq', 'gemmRows', 'gemmRows', 'gemmTeam', 'backRowSeq', 'gemmTeam']);
      // over 300 rows d W_hh (64 of C's rows) takes the one-row product in 2 slices of 150 k and
      // their sum; d fc.weight (5 rows) stays on the team tile
      expect(await kernelsOf('rnn', 64, 100)).toEqual(['stepRowSeq', 'gemmRows', 'gemmRows', 'gemmTeam', 'backRowSeq', 'gemmRows', 'gemmSplitSum']);
      // K = H forward, G·H backward: an LSTM at H 64 writes out its forward product (64) only (256)
      expect((await kernelsOf('lstm', 64)).filter((l) => /Seq$/.test(l))).toEqual(['stepRowSeq', 'backTeamSeq']);
      expect((await kernelsOf('rnn', ROW_MAX_K)).filter((l) => /Seq$/.test(l))).toEqual(['stepRowSeq', 'backRowSeq']);
      expect((await kernelsOf('rnn', ROW_MAX_K + 1)).filter((l) => /Seq$/.test(l))).toEqual(['stepTeamSeq', 'backTeamSeq']);
      // the longest written-out product (its private copy at WGSL's 8 KiB limit) against the CPU
      const rows = await parity(gpu, { cell: 'rnn', inputSize: 6, hiddenSize: ROW_MAX_K, outputSize: 6, batch: 2, steps: 3, tokens: true, loss: 'nll', seed: 19, randomState: true, kernels: 'cpu-team' });
      expect(failures(rows)).toEqual([]);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('carries the hidden state across calls on the GPU like the CPU reference (truncated BPTT)', async () => {
    const gpu = await nodeGpu();
    const opts = { cell: 'lstm' as const, inputSize: 6, hiddenSize: 10, seed: 4 };
    const g = await RnnModel.create({ ...opts, backend: 'webgpu', gpu });
    const c = await RnnModel.create({ ...opts, backend: 'cpu' });
    try {
      const ids = Int32Array.from({ length: 2 * 8 }, (_, i) => (i * 5 + 1) % 6);
      const chunk = (k: number) => ({ batch: 2, steps: 4, ids: Int32Array.from([...ids.subarray(k * 4, k * 4 + 4), ...ids.subarray(8 + k * 4, 8 + k * 4 + 4)]) });
      for (const m of [g, c]) m.configureTraining({ loss: 'nll', optimizer: { type: 'sgd', lr: 0.5 } });
      const tgt = { ids: Int32Array.from({ length: 8 }, (_, i) => i % 6) };
      const losses: number[][] = [[], []];
      for (const [i, m] of [g, c].entries()) {
        losses[i].push((await m.trainStep(chunk(0), tgt)).loss);
        losses[i].push((await m.trainStep(chunk(1), tgt, { state: 'carry' })).loss);
      }
      expect(Math.abs(losses[0][1] - losses[1][1]) / losses[1][1]).toBeLessThan(1e-4);
      const sg = (await g.lastState())!;
      const sc = (await c.lastState())!;
      for (let i = 0; i < sc.h.length; i++) expect(Math.abs(sg.h[i] - sc.h[i])).toBeLessThan(1e-4);
      // and the carried state matters: from zeros the second chunk's loss differs
      const again = await RnnModel.create({ ...opts, backend: 'cpu' });
      again.configureTraining({ loss: 'nll', optimizer: { type: 'sgd', lr: 0.5 } });
      await again.trainStep(chunk(0), tgt);
      const fromZeros = (await again.trainStep(chunk(1), tgt)).loss;
      expect(Math.abs(fromZeros - losses[1][1])).toBeGreaterThan(1e-6);
    } finally {
      g.dispose();
      c.dispose();
    }
  });

  it('keeps Adam’s moments when the learning rate changes mid-training, like the CPU reference', async () => {
    const gpu = await nodeGpu();
    const opts = { cell: 'gru' as const, inputSize: 7, hiddenSize: 10, seed: 8 };
    const ids = Int32Array.from({ length: 12 }, (_, i) => (i * 3 + 1) % 7);
    const input = { batch: 3, steps: 4, ids };
    const targets = { ids: Int32Array.from(ids, (v) => (v + 2) % 7) };
    const run = async (m: RnnModel, update: boolean) => {
      m.configureTraining({ loss: 'nll', optimizer: { type: 'adam', lr: 0.02 }, clip: 1 });
      await m.trainStep(input, targets);
      await m.trainStep(input, targets);
      if (update) m.updateTraining({ lr: 0.005, clip: 0.1 });
      await m.trainStep(input, targets);
      return m.getParameters();
    };
    const g = await RnnModel.create({ ...opts, backend: 'webgpu', gpu, poisonBuffers: true });
    const c = await RnnModel.create({ ...opts, backend: 'cpu' });
    const c2 = await RnnModel.create({ ...opts, backend: 'cpu' });
    const [pg, pc, pNo] = [await run(g, true), await run(c, true), await run(c2, false)];
    for (const [name, v] of pc) {
      const w = pg.get(name)!;
      const scale = Math.max(...v.map(Math.abs));
      for (let i = 0; i < v.length; i++) expect(Math.abs(w[i] - v[i])).toBeLessThan(1e-4 * scale);
    }
    // and the update mattered: without it the parameters differ
    expect([...pc].some(([n, v]) => v.some((x, i) => Math.abs(x - pNo.get(n)![i]) > 1e-6))).toBe(true);
    g.dispose();
  });

  it('alternates training and one-step prediction shapes without losing either', async () => {
    const gpu = await nodeGpu();
    const opts = { cell: 'lstm' as const, inputSize: 5, hiddenSize: 8, numLayers: 2, seed: 12 };
    const g = await RnnModel.create({ ...opts, backend: 'webgpu', gpu });
    const c = await RnnModel.create({ ...opts, backend: 'cpu' });
    for (const m of [g, c]) m.configureTraining({ loss: 'nll', optimizer: { type: 'sgd', lr: 0.3 } });
    const ids = Int32Array.from({ length: 8 }, (_, i) => i % 5);
    for (let r = 0; r < 3; r++) {
      const lg = await g.trainStep({ batch: 2, steps: 4, ids }, { ids });
      const lc = await c.trainStep({ batch: 2, steps: 4, ids }, { ids });
      expect(Math.abs(lg.loss - lc.loss)).toBeLessThan(1e-4 * lc.loss);
      for (const shape of [[1, 1], [3, 2]] as const) {
        const inp = { batch: shape[0], steps: shape[1], ids: Int32Array.from({ length: shape[0] * shape[1] }, (_, i) => (i + r) % 5) };
        const pg = await g.predict(inp);
        const pc = await c.predict(inp);
        for (let i = 0; i < pc.logits.length; i++) expect(Math.abs(pg.logits[i] - pc.logits[i])).toBeLessThan(1e-4);
      }
    }
    expect(g.stats().gpuBytes).toBeGreaterThan(0);
    g.dispose();
  });

  it('rejects bad input with a typed error and keeps the model usable', async () => {
    const { TokenRangeError, RnnShapeError, NonFiniteError } = await import('../index.js');
    const m = await RnnModel.create({ cell: 'lstm', inputSize: 6, hiddenSize: 8, backend: 'webgpu', gpu: await nodeGpu(), seed: 2 });
    m.configureTraining({ loss: 'nll', optimizer: { type: 'adam', lr: 0.01 }, clip: 1 });
    const input = { batch: 2, steps: 3, ids: Int32Array.from([0, 1, 2, 3, 4, 5]) };
    const before = await m.predict(input);
    await expect(m.trainStep({ ...input, ids: Int32Array.from([0, 1, 2, 3, 4, 6]) }, { ids: input.ids })).rejects.toBeInstanceOf(TokenRangeError);
    await expect(m.trainStep(input, { ids: Int32Array.from([0, 1]) })).rejects.toBeInstanceOf(RnnShapeError);
    await expect(m.forward(input, { state: { h: new Float64Array(16).fill(NaN) } })).rejects.toBeInstanceOf(NonFiniteError);
    const after = await m.predict(input);
    expect(Array.from(after.logits)).toEqual(Array.from(before.logits));
    const step = await m.trainStep(input, { ids: input.ids });
    expect(Number.isFinite(step.loss)).toBe(true);
    m.dispose();
  });

  it('reports the backend and the adapter in use', async () => {
    const model = await RnnModel.create({ inputSize: 4, hiddenSize: 4, backend: 'webgpu', gpu: await nodeGpu() });
    expect(model.backend).toBe('webgpu');
    expect(model.deviceName.toLowerCase()).toContain('swiftshader');
    await model.to('cpu');
    expect(model.backend).toBe('cpu');
    model.dispose();
  });
});

describe('without WebGPU', () => {
  it('says what is missing and names the CPU backend instead of falling back', async () => {
    const err = await RnnModel.create({ inputSize: 4, hiddenSize: 4, backend: 'webgpu' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WebGpuUnavailableError);
    expect((err as Error).message).toMatch(/navigator\.gpu/);
    expect((err as Error).message).toMatch(/backend: 'cpu'/);
  });

  it('names the CPU backend when the adapter is missing', async () => {
    const noAdapter = { requestAdapter: async () => null } as unknown as GPU;
    const err = await RnnModel.create({ inputSize: 4, hiddenSize: 4, backend: 'webgpu', gpu: noAdapter }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WebGpuUnavailableError);
    expect((err as Error).message).toMatch(/no adapter.*backend: 'cpu'/);
  });

  it('names the limit a shape exceeds', async () => {
    const real = await nodeGpu();
    const adapter = (await real.requestAdapter())!;
    // an adapter whose storage binding limit is tiny: the model's buffers cannot be bound
    const tiny = {
      requestAdapter: async () =>
        new Proxy(adapter, {
          get(target, p) {
            if (p === 'limits') return { ...limitsOf(target.limits), maxStorageBufferBindingSize: 1024, maxBufferSize: 1024 };
            if (p === 'requestDevice') return async (d: GPUDeviceDescriptor) => {
              const dev = await target.requestDevice({ ...d, requiredLimits: {} });
              return new Proxy(dev, { get: (t, q) => (q === 'limits' ? { ...limitsOf(t.limits), maxStorageBufferBindingSize: 1024, maxBufferSize: 1024 } : bindIfFn(t, q)) });
            };
            return bindIfFn(target, p);
          },
        }),
    } as unknown as GPU;
    const err = await RnnModel.create({ inputSize: 64, hiddenSize: 64, backend: 'webgpu', gpu: tiny }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WebGpuUnavailableError);
    expect((err as Error).message).toMatch(/maxStorageBufferBindingSize/);
    expect((err as Error).message).toMatch(/backend: 'cpu'/);
  });

  it('rejects an unknown backend name', async () => {
    await expect(RnnModel.create({ inputSize: 4, hiddenSize: 4, backend: 'wasm' as never })).rejects.toBeInstanceOf(ConfigError);
  });
});

function limitsOf(l: GPUSupportedLimits): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k in l) out[k] = (l as unknown as Record<string, number>)[k];
  return out;
}

function bindIfFn(t: object, p: string | symbol): unknown {
  const v = Reflect.get(t, p, t);
  return typeof v === 'function' ? v.bind(t) : v;
}
