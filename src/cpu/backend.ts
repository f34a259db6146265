// The CPU backend: the float64 reference network behind the same Backend contract as the GPU.
// Slow, exact, and always available.
import { directions, hasCellState, parameterSpecs, stateLayers, type ModelConfig } from '../model/config.js';
import type { DropoutMasks, LossKind, RecurrentState, SeqInput, SeqTargets } from '../model/batch.js';
import type { Backend, BackendStats, ForwardResult, PredictResult, GradientResult, StateSource, StepResult } from '../model/backend.js';
import type { NormalizedTrainOptions } from '../train/options.js';
import { uniformAt } from '../model/init.js';
import { backward, forward, lossAndGrad, netFromParams, netToParams, slot, type Net, type Trace } from './network.js';
import { clipGradNorm, CpuOptimizer, gradNorm } from './optim.js';
import { sampleToken } from './sample.js';

export class CpuBackend implements Backend {
  readonly name = 'cpu' as const;
  readonly deviceName = 'CPU (float64 reference)';
  private net: Net;
  private opts: NormalizedTrainOptions | null = null;
  private optimizer: CpuOptimizer | null = null;
  private carried: RecurrentState | null = null;

  constructor(readonly cfg: ModelConfig, params: Map<string, ArrayLike<number>>) {
    this.net = netFromParams(cfg, params);
  }

  setParameters(params: Map<string, ArrayLike<number>>): void {
    this.net = netFromParams(this.cfg, params);
  }

  async getParameters(): Promise<Map<string, Float64Array>> {
    return new Map([...netToParams(this.cfg, this.net)].map(([k, v]) => [k, v.slice()]));
  }

  private initial(state: StateSource, B: number): { h0?: ArrayLike<number>; c0?: ArrayLike<number> } {
    if (state.kind === 'given') return { h0: state.state.h, c0: state.state.c };
    if (state.kind === 'carry' && this.carried && this.carried.h.length === stateLayers(this.cfg) * B * this.cfg.hiddenSize) {
      return { h0: this.carried.h, c0: this.carried.c };
    }
    return {};
  }

  private run(input: SeqInput, state: StateSource, masks: DropoutMasks | null = null): Trace {
    const { h0, c0 } = this.initial(state, input.batch);
    const tr = forward(this.cfg, this.net, input, h0, c0, masks ?? undefined);
    this.carried = { h: tr.hN.slice(), c: tr.cN?.slice() };
    return tr;
  }

  async forward(input: SeqInput, state: StateSource): Promise<ForwardResult> {
    const tr = this.run(input, state);
    return {
      logits: tr.logits,
      hSeq: concat(tr.Y),
      cSeq: hasCellState(this.cfg) ? cellOutputs(this.cfg, tr, input) : null,
      hN: tr.hN,
      cN: tr.cN,
    };
  }

  async gradients(input: SeqInput, targets: SeqTargets, loss: LossKind, state: StateSource, masks: DropoutMasks | null): Promise<GradientResult> {
    const tr = this.run(input, state, masks);
    const { loss: value, dlogits } = lossAndGrad(loss, tr.logits, input, this.cfg.outputSize, targets);
    const g = backward(this.cfg, this.net, input, tr, dlogits, masks ?? undefined);
    return { loss: value, grads: netToParams(this.cfg, g.net), dh0: g.dh0, dc0: g.dc0 };
  }

  async evaluate(input: SeqInput, targets: SeqTargets, loss: LossKind, state: StateSource): Promise<number> {
    const tr = this.run(input, state);
    return lossAndGrad(loss, tr.logits, input, this.cfg.outputSize, targets).loss;
  }

  async predict(input: SeqInput, state: StateSource): Promise<PredictResult> {
    const tr = this.run(input, state);
    return { logits: tr.logits, hN: tr.hN, cN: tr.cN };
  }

  configureTraining(opts: NormalizedTrainOptions, keepState = false): void {
    const sameKind = this.opts?.optimizer.type === opts.optimizer.type;
    this.opts = opts;
    if (keepState && sameKind && this.optimizer) {
      this.optimizer.spec = opts.optimizer;
      return;
    }
    this.optimizer = new CpuOptimizer(
      opts.optimizer,
      parameterSpecs(this.cfg).map((s) => s.shape.reduce((a, b) => a * b, 1)),
    );
  }

  async trainStep(input: SeqInput, targets: SeqTargets, state: StateSource, masks: DropoutMasks | null): Promise<StepResult> {
    const opts = this.opts!;
    const { loss, grads } = await this.gradients(input, targets, opts.loss, state, masks);
    const g = [...grads.values()];
    const norm = gradNorm(g);
    if (!Number.isFinite(loss) || !Number.isFinite(norm)) {
      // nothing changes (the GPU's optim.wgsl guard); the carried state ran through the bad step
      this.carried = null;
      return { loss, gradNorm: norm, skipped: true };
    }
    if (opts.clip !== null) clipGradNorm(g, opts.clip);
    const params = netToParams(this.cfg, this.net);
    const p = [...params.values()];
    this.optimizer!.update(p, g);
    this.net = netFromParams(this.cfg, params);
    return { loss, gradNorm: norm, skipped: false };
  }

  async generate(prime: Int32Array, length: number, temperature: number, topK: number, seed: number): Promise<Int32Array> {
    const out = new Int32Array(length);
    let state: StateSource = { kind: 'zeros' };
    let feed = Int32Array.from(prime);
    for (let n = 0; n < length; n++) {
      const tr = this.run({ batch: 1, steps: feed.length, ids: feed }, state);
      const O = this.cfg.outputSize;
      const last = tr.logits.subarray((feed.length - 1) * O, feed.length * O);
      // u indexed by the position of the token being drawn, as on the GPU
      out[n] = sampleToken(last, temperature, topK, uniformAt(seed, prime.length + n));
      feed = Int32Array.of(out[n]);
      state = { kind: 'carry' };
    }
    return out;
  }

  async lastState(): Promise<RecurrentState | null> {
    return this.carried && { h: this.carried.h.slice(), c: this.carried.c?.slice() };
  }

  resetState(): void {
    this.carried = null;
  }

  stats(): BackendStats {
    return { dispatches: 0, submits: 0, gpuBytes: 0, kernels: 'cpu-reference', optimizerStep: this.optimizer?.steps ?? 0, skippedSteps: 0, snapshotStep: null };
  }

  dispose(): void {}
}

/** Per-layer [B, T, D·H] arrays, one after another: [L, B, T, D·H]. */
function concat(parts: Float64Array[]): Float64Array {
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Every layer's c_t as [L, B, T, D·H], zero past a row's length. */
function cellOutputs(cfg: ModelConfig, tr: Trace, input: SeqInput): Float64Array {
  const { B, T } = tr;
  const H = cfg.hiddenSize;
  const D = directions(cfg);
  const out = new Float64Array(cfg.numLayers * B * T * D * H);
  tr.C.forEach((C, u) => {
    const k = Math.floor(u / D);
    const d = u % D;
    for (let b = 0; b < B; b++) {
      const len = input.lengths ? input.lengths[b] : T;
      for (let t = 0; t < len; t++) {
        const at = slot(T, b, t);
        out.set(C!.subarray(at * H, (at + 1) * H), (((k * B + b) * T + t) * D + d) * H);
      }
    }
  });
  return out;
}
