import { it } from 'vitest';
import { nodeGpu } from '../test/gpu-device.js';
import { RnnModel } from './index.js';
it('prof', async () => {
  const gpu = await nodeGpu();
  const [H, B, T] = [128, 32, 64];
  const cell = (process.env.CELL ?? 'rnn') as 'rnn';
  const variants = (process.env.VARIANTS ?? 'cpu,gpu,gpu-per-step').split(',');
  for (let rep = 0; rep < 2; rep++) for (const variant of variants) {
    const m = await RnnModel.create({ cell, inputSize: 65, hiddenSize: H, backend: 'webgpu', gpu, kernels: variant as any });
    const be = (m as any).backendImpl;
    m.configureTraining({ loss: 'nll', optimizer: { type: 'adam', lr: 1e-3 }, clip: 1 });
    const ids = Int32Array.from({ length: B * T }, (_, i) => (i * 7) % 65);
    await m.trainStep({ batch: B, steps: T, ids }, { ids });
    const ws = be.ws;
    const all = [...ws.forward, ...ws.plans.get('loss:nll'), ...ws.plans.get('backward'), ...be.update];
    const groups = new Map<string, any[]>();
    for (const op of all) { const k = op.kind === 'dispatch' ? op.pipeline.label.slice(0, 30) : op.kind; if (!groups.has(k)) groups.set(k, []); groups.get(k)!.push(op); }
    const lines = [];
    for (const [k, ops] of groups) {
      const t0 = performance.now();
      const enc2 = be.device.createCommandEncoder(); be.encode(enc2, ops); be.device.queue.submit([enc2.finish()]);
      await be.device.queue.onSubmittedWorkDone();
      const dt = performance.now() - t0;
      if (dt > 3) lines.push(k.padEnd(32) + ops.length + ' ' + dt.toFixed(1) + ' ms');
    }
    const t0 = performance.now();
    for (let i = 0; i < 2; i++) await m.trainStep({ batch: B, steps: T, ids }, { ids });
    console.log(variant, 'step', ((performance.now() - t0) / 2).toFixed(0), m.stats().kernels, '\n' + lines.join('\n'));
    m.dispose();
  }
}, 600000);
