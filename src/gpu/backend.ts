// The WebGPU backend: the Backend contract (src/model/backend.ts) over an Engine (engine.ts).
//
// Everything a step needs lives in GPU buffers: the parameters, gradients and Adam moments as
// flat float32 buffers in state_dict order (layout.ts); per (B, T) a workspace of activations
// (workspace.ts). A training step (forward over T, loss, BPTT over T, clip, optimizer) is recorded
// once as a Plan (plans.ts, general.ts) and replayed into ONE command buffer per call, submitted
// once; the loss comes back through a staging buffer when the caller awaits it. Nothing is read
// back per time step.
import type { ModelConfig } from '../model/config.js';
import { flatParameters, splitParameters } from './layout.js';
import type { DropoutMasks, LossKind, RecurrentState, SeqInput, SeqTargets } from '../model/batch.js';
import type { Backend, BackendStats, ForwardResult, PredictResult, GradientResult, StateSource, StepResult, TrainingSnapshot } from '../model/backend.js';
import { GpuError } from '../errors.js';
import type { NormalizedTrainOptions } from '../train/options.js';
import { acquireGpu, type GpuContext, type GpuOptions } from './device.js';

export type { GpuOptions } from './device.js';
import { MAP_READ_MODE } from './buffers.js';
import { Engine, type Plan } from './engine.js';
import type { KernelsOption } from './limits.js';
import { Workspaces, type Workspace } from './workspace.js';
import { backwardPlan, cachedPlan, encode, forwardPlan } from './plans.js';
import { generalMode } from './general.js';
import { CarriedState, read, readForward, readOutputs, upload, uploadLossWeights, uploadRoutes } from './io.js';
import { lossPlan } from './kernels/loss.js';
import { updatePlan, writeOptimizerStep } from './kernels/optim.js';
import { generation, writeSampling, type Generation } from './kernels/generate.js';
import { Pacer, waitsSpin } from './pacer.js';
import { DeviceWatch, closeScopes, gpuError, openScopes } from './failures.js';
import { DEFAULT_SNAPSHOT_EVERY, Snapshots, type PendingSnapshot } from './snapshot.js';


export async function createGpuBackend(cfg: ModelConfig, params: Map<string, ArrayLike<number>>, opts: GpuOptions): Promise<Backend> {
  const ctx = await acquireGpu(opts.gpu, { timestamps: opts.timestamps });
  const pace = opts.paceWaits ?? (ctx.cpuAdapter && waitsSpin());
  const b = new GpuBackend(cfg, ctx, opts.poisonBuffers ?? false, opts.kernels ?? 'auto', pace);
  b.setParameters(params);
  return b;
}

export class GpuBackend implements Backend {
  readonly name = 'webgpu' as const;
  readonly deviceName: string;
  readonly device: GPUDevice;
  readonly engine: Engine;
  /** When read-backs wait (GpuOptions.paceWaits). */
  readonly pacer: Pacer;
  readonly workspaces: Workspaces;
  private readonly state: CarriedState;
  private readonly watch: DeviceWatch;
  private readonly snapshots: Snapshots;
  private snapshotEvery = DEFAULT_SNAPSHOT_EVERY;
  private gen: Generation | null = null;
  private opts: NormalizedTrainOptions | null = null;
  private optStep = 0;
  /** The update plan (clip and optimizer kind are pipeline constants), recorded with the first step after configureTraining. */
  update: Plan | null = null;
  private stagingFree: GPUBuffer[] = [];
  private lastDispatches = 0;
  private lastBatch = 0;
  private submitsThisCall = 0;

  constructor(readonly cfg: ModelConfig, ctx: GpuContext, poison = false, variant: KernelsOption = 'auto', pace = false) {
    this.device = ctx.device;
    this.deviceName = ctx.adapterName;
    this.pacer = new Pacer(pace);
    this.watch = new DeviceWatch(this.device);
    this.engine = new Engine(cfg, ctx, variant, poison);
    this.workspaces = new Workspaces(this.engine);
    this.state = new CarriedState(this.engine);
    this.snapshots = new Snapshots(this.engine);
  }

  setParameters(params: Map<string, ArrayLike<number>>): void {
    this.live();
    const lay = this.engine.lay;
    const flat = flatParameters(lay, params);
    this.device.queue.writeBuffer(this.engine.params, 0, flat);
    // the newest copy is these parameters; the optimizer's moments restart if it is ever restored
    this.snapshots.latest = { step: this.optStep, params: flat.slice(0, lay.total), m: null, v: null };
  }

  async getParameters(): Promise<Map<string, Float64Array>> {
    this.live();
    return this.split(await this.guard(read(this.engine, this.engine.params, this.engine.lay.total)));
  }

  private readonly split = (flat: Float32Array): Map<string, Float64Array> => splitParameters(this.cfg, this.engine.lay, flat);

  stats(): BackendStats {
    const c = this.engine.choice;
    const kernels = `${c.name}/${c.form(this.lastBatch)}`;
    const snapshotStep = this.snapshots.latest?.step ?? null;
    return { dispatches: this.lastDispatches, submits: this.submitsThisCall, gpuBytes: this.engine.owner.bytes, kernels, optimizerStep: this.optStep, skippedSteps: 0, snapshotStep };
  }

  setSnapshotEvery(n: number): void {
    this.snapshotEvery = n;
  }

  snapshot(): TrainingSnapshot | null {
    const s = this.snapshots.latest;
    return s && { step: s.step, params: this.split(s.params), m: s.m, v: s.v };
  }

  restoreTraining(s: TrainingSnapshot): void {
    const e = this.engine;
    this.optStep = s.step;
    if (s.m) this.device.queue.writeBuffer(e.m, 0, new Float32Array(s.m));
    if (s.v) this.device.queue.writeBuffer(e.v, 0, new Float32Array(s.v));
  }

  /** Throws DeviceLostError once the device is lost. */
  private live(): void {
    this.watch.check(this.snapshots.latest?.step ?? null);
  }

  /** Encodes a plan into `enc`, counting its dispatches for stats(). */
  encode(enc: GPUCommandEncoder, plan: Plan): void {
    this.lastDispatches = encode(enc, plan);
    this.submitsThisCall = 0;
  }

  /**
   * Records a call (its workspace, uploads, plan, encoder) inside error scopes that its submit
   * closes (failures.ts); on a throw here the scopes close at once.
   */
  private record<T>(build: () => T): T {
    this.live();
    openScopes(this.device);
    return this.inScopes(build);
  }

  /** More of a call's recording, inside the scopes record() opened: a throw closes them. */
  private inScopes<T>(build: () => T): T {
    try {
      return build();
    } catch (err) {
      void closeScopes(this.device);
      throw err;
    }
  }

  /** Every call's start: its workspace, the inputs (and targets) uploaded, the state copied in and out. */
  private begin(input: SeqInput, state: StateSource, targets?: SeqTargets, masks: DropoutMasks | null = null): { ws: Workspace; before: Plan; after: Plan } {
    const e = this.engine;
    this.lastBatch = input.batch;
    const ws = this.workspaces.get(input.batch, input.steps, !!input.ids, generalMode(e, input, masks), (w) => forwardPlan(e, w));
    const ids = upload(e, ws, input, targets);
    if (ws.general) uploadRoutes(e, ws, input, ids, masks);
    if (input.lengths && targets) uploadLossWeights(e, ws, input, targets);
    return { ws, ...this.state.ops(ws, state, input.lengths) };
  }

  /** Submits one command buffer and closes the call's error scopes: a WebGPU error rejects as a GpuError. */
  private async submit(enc: GPUCommandEncoder, call: string, ws: Workspace): Promise<void> {
    this.submitsThisCall++;
    this.device.queue.submit([enc.finish()]);
    const err = await closeScopes(this.device);
    if (err) {
      // the call's buffers or pipelines may be invalid: later calls rebuild them
      this.workspaces.clear();
      this.gen = null;
      this.state.valid = false;
      throw gpuError(err, call, `batch ${ws.B} × steps ${ws.T}`);
    }
  }

  /** A lost device turns whatever a call met into DeviceLostError. */
  private async guard<R>(p: Promise<R>): Promise<R> {
    try {
      return await p;
    } catch (err) {
      if (!(err instanceof GpuError) && (await this.watch.lostBy())) throw this.watch.error(this.snapshots.latest?.step ?? null);
      throw err;
    }
  }

  /** Submits `enc` and reads its results back with `readOut`, after the pacer's pause for this kind of call. */
  private async paced<R>(call: string, ws: Workspace, kind: string, enc: GPUCommandEncoder, readOut: () => Promise<R>): Promise<R> {
    const t0 = performance.now();
    await this.submit(enc, call, ws);
    await this.pacer.beforeWait(kind, t0);
    const out = await readOut();
    this.pacer.done(kind, t0);
    return out;
  }

  /**
   * Encodes a plan, copies [loss, ‖g‖²] into a staging buffer in the same command buffer (and a
   * snapshot, when `snapshot` records one), submits once and resolves with the two numbers. The
   * submit happens before the first await, so calls made without awaiting queue up in order.
   * `kind` names the plan for the pacer.
   */
  private async submitWithScalars(call: string, ws: Workspace, plan: Plan, kind: string, snapshot: ((enc: GPUCommandEncoder) => PendingSnapshot) | null = null): Promise<[number, number]> {
    const e = this.engine;
    const { staging, enc, pending } = this.inScopes(() => {
      const staging = this.stagingFree.pop() ?? e.owner.staging('step scalars', 16);
      const enc = this.device.createCommandEncoder();
      this.encode(enc, plan);
      enc.copyBufferToBuffer(e.scalars, 0, staging, 0, 16);
      return { staging, enc, pending: snapshot?.(enc) ?? null };
    });
    const t0 = performance.now();
    // the error scope and the mapping resolve in parallel: one wait for the GPU, not two in a row;
    // a validation error is looked at after the pacer's pause, and must not count as unhandled
    // before that
    const failure = this.submit(enc, call, ws).then(() => null, (err: unknown) => err);
    await this.pacer.beforeWait(kind, t0);
    const mapped = staging.mapAsync(MAP_READ_MODE);
    const err = await failure;
    if (err) {
      mapped.then(() => staging.unmap(), () => undefined);
      pending?.abandon();
      throw err;
    }
    await mapped.catch((e: unknown) => {
      pending?.abandon();
      throw e;
    });
    this.pacer.done(kind, t0);
    // the step is done, its copy too: mapping it now waits for nothing (a pending map would keep
    // Dawn's Node binding spinning a core through the whole step)
    pending?.collect();
    const [loss, normSq] = new Float32Array(staging.getMappedRange(), 0, 2);
    staging.unmap();
    this.stagingFree.push(staging);
    return [loss, normSq];
  }

  /** A forward-only call: the forward plan between the state's copies, its results read by `readOut`. */
  private forwardCall<R>(call: string, input: SeqInput, state: StateSource, readOut: (ws: Workspace) => Promise<R>): Promise<R> {
    const { ws, enc } = this.record(() => {
      const { ws, before, after } = this.begin(input, state);
      const enc = this.device.createCommandEncoder();
      this.encode(enc, [...before, ...ws.forward, ...after]);
      return { ws, enc };
    });
    return this.guard(this.paced(call, ws, callKind(call, ws), enc, () => readOut(ws)));
  }

  predict(input: SeqInput, state: StateSource): Promise<PredictResult> {
    return this.forwardCall('predict', input, state, (ws) => readOutputs(this.engine, ws, this.state, input.lengths));
  }

  forward(input: SeqInput, state: StateSource): Promise<ForwardResult> {
    return this.forwardCall('forward', input, state, (ws) => readForward(this.engine, ws, this.state, input.lengths));
  }

  /** The loss and backward plans of a workspace, recorded on first use. */
  private lossAndBackward(ws: Workspace, loss: LossKind, weighted: boolean): { lossOps: Plan; back: Plan } {
    const e = this.engine;
    return {
      lossOps: cachedPlan(ws, `loss:${loss}:${weighted}`, () => lossPlan(e, ws, loss, weighted)),
      back: cachedPlan(ws, 'backward', () => backwardPlan(e, ws)),
    };
  }

  gradients(input: SeqInput, targets: SeqTargets, loss: LossKind, state: StateSource, masks: DropoutMasks | null): Promise<GradientResult> {
    const e = this.engine;
    const { ws, enc } = this.record(() => {
      const { ws, before, after } = this.begin(input, state, targets, masks);
      const { lossOps, back } = this.lossAndBackward(ws, loss, !!input.lengths);
      const enc = this.device.createCommandEncoder();
      this.encode(enc, [...before, ...ws.forward, ...after, ...lossOps, ...back]);
      return { ws, enc };
    });
    return this.guard(
      this.paced('gradients', ws, callKind(`gradients:${loss}`, ws), enc, async () => {
        const n = e.units * ws.B * this.cfg.hiddenSize;
        const value = (await read(e, e.scalars, 1))[0];
        const grads = this.split(await read(e, e.grads, e.lay.total));
        const dh0 = Float64Array.from(await read(e, ws.dh0, n));
        const dc0 = this.cfg.cell === 'lstm' ? Float64Array.from(await read(e, ws.dc0, n)) : null;
        return { loss: value, grads, dh0, dc0 };
      }),
    );
  }

  async evaluate(input: SeqInput, targets: SeqTargets, loss: LossKind, state: StateSource): Promise<number> {
    const { ws, plan } = this.record(() => {
      const { ws, before, after } = this.begin(input, state, targets);
      const weighted = !!input.lengths;
      const lossOps = cachedPlan(ws, `loss:${loss}:${weighted}`, () => lossPlan(this.engine, ws, loss, weighted));
      return { ws, plan: [...before, ...ws.forward, ...after, ...lossOps] };
    });
    const [value] = await this.guard(this.submitWithScalars('evaluate', ws, plan, callKind(`evaluate:${loss}`, ws)));
    return value;
  }

  configureTraining(opts: NormalizedTrainOptions, keepState = false): void {
    this.live();
    const e = this.engine;
    const sameKind = this.opts?.optimizer.type === opts.optimizer.type;
    this.opts = opts;
    this.update = null; // the clip and optimizer kind are pipeline constants
    if (keepState && sameKind) return;
    this.optStep = 0;
    const zeros = new Float32Array(e.lay.total);
    this.device.queue.writeBuffer(e.m, 0, zeros);
    if (opts.optimizer.type === 'adam') this.device.queue.writeBuffer(e.v, 0, zeros);
  }

  /**
   * One step in one command buffer. A non-finite loss or gradient norm makes the optimizer kernel
   * a no-op (shaders/optim.wgsl), decided on the GPU from the norm the step computes anyway; the
   * scalars read back say so, and the step count is taken back.
   */
  async trainStep(input: SeqInput, targets: SeqTargets, state: StateSource, masks: DropoutMasks | null): Promise<StepResult> {
    const o = this.opts!;
    const e = this.engine;
    const t = this.optStep + 1;
    const { ws, plan } = this.record(() => {
      const { ws, before, after } = this.begin(input, state, targets, masks);
      writeOptimizerStep(e, o, t);
      const { lossOps, back } = this.lossAndBackward(ws, o.loss, !!input.lengths);
      this.update ??= updatePlan(e, o);
      return { ws, plan: [...before, ...ws.forward, ...after, ...lossOps, ...back, ...this.update] };
    });
    this.optStep = t;
    const moments = o.optimizer.type === 'adam' ? 2 : o.optimizer.momentum ? 1 : 0;
    const snapshot = this.snapshots.due(t, this.snapshotEvery) ? (enc: GPUCommandEncoder) => this.snapshots.record(enc, t, moments) : null;
    try {
      const [loss, normSq] = await this.guard(this.submitWithScalars('trainStep', ws, plan, callKind(`train:${o.loss}`, ws), snapshot));
      const skipped = !Number.isFinite(loss) || !Number.isFinite(normSq);
      if (skipped) {
        this.optStep--;
        this.state.valid = false; // the carried state ran through the bad step
      }
      return { loss, gradNorm: Math.sqrt(normSq), skipped };
    } catch (err) {
      this.optStep--;
      throw err;
    }
  }

  /**
   * Generation: the fused single-workgroup loop when the model's states fit one workgroup's memory,
   * else (and for the tutorial model, whose head also reads x_t) the stepwise plan
   * (kernels/generate.ts). Either way one command buffer, one submit, and only the drawn ids come back.
   */
  generate(prime: Int32Array, length: number, temperature: number, topK: number, seed: number): Promise<Int32Array> {
    const e = this.engine;
    const P = prime.length;
    const { ws, enc, staging, key } = this.record(() => {
      const prev = this.gen;
      this.gen = null; // freed by generation() when it no longer fits
      this.gen = generation(e, prev, P, length);
      const { ws, plan, key } = this.gen;
      writeSampling(e, ws, prime, length, temperature, topK, seed);
      const enc = this.device.createCommandEncoder();
      this.encode(enc, plan);
      const staging = e.owner.staging('generated ids', length * 4);
      enc.copyBufferToBuffer(ws.ids, P * 4, staging, 0, length * 4);
      return { ws, enc, staging, key };
    });
    return this.guard(
      this.paced('generate', ws, `generate:${key}`, enc, async () => {
        await staging.mapAsync(MAP_READ_MODE);
        const out = new Int32Array(staging.getMappedRange().slice(0));
        staging.unmap();
        e.owner.release(staging);
        return out;
      }),
    );
  }

  /** The largest `length` generate() takes after a prime of P tokens: its ids must fit one GPU buffer. */
  maxGenerateLength(P: number): number {
    const lim = this.device.limits;
    return Math.floor(Math.min(lim.maxStorageBufferBindingSize, lim.maxBufferSize) / 4) - P;
  }

  lastState(): Promise<RecurrentState | null> {
    this.live();
    return this.guard(this.state.read());
  }

  resetState(): void {
    this.state.valid = false;
  }

  dispose(): void {
    this.engine.dispose();
    this.gen = null;
  }
}


/** The pacer's name for a kind of call on a workspace's shape (src/gpu/pacer.ts). */
function callKind(call: string, ws: Workspace): string {
  return `${call}:${ws.B}:${ws.T}:${ws.tokens}`;
}
