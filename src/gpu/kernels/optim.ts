// Gradient clipping and the optimizer update (shaders/optim.wgsl), after the squared gradient
// norm is summed into scalars[1]; a non-finite loss or norm makes the update a no-op on the GPU.
import optim from '../../../shaders/optim.wgsl?raw';
import type { NormalizedTrainOptions } from '../../train/options.js';
import { kernel } from '../pipelines.js';
import type { Engine, Plan } from '../engine.js';
import { reduceOps, reduceSlices } from './loss.js';

export const OPTIM = kernel('optim', optim, 'main', 'wrwwru');

/** ‖g‖² into scalars[1], then clip and update every parameter in place. */
export function updatePlan(e: Engine, o: NormalizedTrainOptions): Plan {
  const n = e.lay.total;
  const adam = o.optimizer.type === 'adam';
  const partials = e.lazyStorage('grad norm partials', reduceSlices(e, n).groups);
  return [
    ...reduceOps(e, e.grads, n, true, 1, partials),
    // SGD has no second moment: its v binding is a placeholder
    e.op(OPTIM, { COUNT: n, ADAM: adam, CLIP: o.clip !== null }, [e.params, e.grads, e.m, adam ? e.v : e.unusedWritable(), e.scalars, e.optUniform], n),
  ];
}

/** The optimizer's uniform for step t (1-based): the bias corrections computed here in float64. */
export function writeOptimizerStep(e: Engine, o: NormalizedTrainOptions, t: number): void {
  const { lr, momentum, beta1, beta2, eps } = o.optimizer;
  const u = new ArrayBuffer(48);
  new Float32Array(u, 0, 8).set([lr, momentum, beta1, beta2, eps, lr / (1 - beta1 ** t), Math.sqrt(1 - beta2 ** t), o.clip ?? 0]);
  new Uint32Array(u, 32, 1)[0] = t === 1 ? 1 : 0;
  e.device.queue.writeBuffer(e.optUniform, 0, u);
}
