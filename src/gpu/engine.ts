// What every kernel family's host wrapper reads: the device, the pipeline cache, the kernel
// choice, the buffer owner, the parameter layout, and the model's long-lived buffers (parameters,
// gradients, optimizer moments, the scalars a step reduces into). One per model; the backend
// façade (backend.ts) owns it, the wrappers (kernels/*.ts) and the scheduler (plans.ts) borrow it.
import { directions, gateCount, parameterSpecs, sizeOf, stateLayers, type ModelConfig } from '../model/config.js';
import type { GpuContext } from './device.js';
import { BufferOwner } from './buffers.js';
import { layoutOf, type Layout } from './layout.js';
import { KernelChoice, type KernelsOption } from './limits.js';
import { grid, Pipelines, STEP_STRIDE, type Constants, type KernelSpec } from './pipelines.js';

export type Dispatch = { kind: 'dispatch'; pipeline: GPUComputePipeline; bind: GPUBindGroup; offset: number | null; x: number; y: number };

export type Op =
  | Dispatch
  | { kind: 'clear'; buffer: GPUBuffer }
  | { kind: 'copy'; src: GPUBuffer; srcOff: number; dst: GPUBuffer; dstOff: number; bytes: number };

/** Recorded GPU work, replayed into a command encoder (compute passes between copies/clears). */
export type Plan = Op[];

/** What owns a plan's Step entries (shaders/common.wgsl Step, one per time step, STEP_STRIDE apart): a workspace. */
export interface StepEntries {
  steps: GPUBuffer;
}

export class Engine {
  readonly device: GPUDevice;
  readonly pipelines: Pipelines;
  readonly choice: KernelChoice;
  readonly owner: BufferOwner;
  readonly lay: Layout;
  /** Gates G (1 RNN, 4 LSTM, 3 GRU), directions D, recurrent units L·D. */
  readonly gates: number;
  readonly directions: number;
  readonly units: number;
  /** The parameters (and the zero block, Layout.alloc); generation may swap in a copy while it records. */
  params: GPUBuffer;
  /** [loss, ‖g‖², …] */
  readonly scalars: GPUBuffer;
  readonly optUniform: GPUBuffer;
  readonly sampling: GPUBuffer;
  /** A placeholder for a binding a kernel variant does not read. */
  readonly unused: GPUBuffer;
  /** W_hhᵀ per unit for the one-dispatch forward (kernels/sequence.ts). */
  readonly whhT: GPUBuffer[] = [];
  private unusedRw: GPUBuffer | null = null;
  private gradsBuf: GPUBuffer | null = null;
  private mBuf: GPUBuffer | null = null;
  private vBuf: GPUBuffer | null = null;

  constructor(readonly cfg: ModelConfig, ctx: GpuContext, variant: KernelsOption, poison: boolean) {
    this.device = ctx.device;
    this.choice = new KernelChoice(ctx, cfg, variant);
    this.pipelines = Pipelines.of(this.device);
    this.owner = new BufferOwner(this.device, poison);
    this.lay = layoutOf(cfg);
    this.gates = gateCount(cfg.cell);
    this.directions = directions(cfg);
    this.units = stateLayers(cfg);
    this.params = this.owner.storage('params', this.lay.alloc);
    this.scalars = this.owner.storage('scalars', 4);
    this.optUniform = this.owner.uniform('optimizer', 48);
    this.sampling = this.owner.uniform('sampling', 32);
    this.unused = this.owner.storage('unused binding', 4);
  }

  /** A second unused binding, for writable slots (two writable bindings may not alias). */
  unusedWritable(): GPUBuffer {
    return (this.unusedRw ??= this.owner.storage('unused writable binding', 4));
  }

  /** Gradients, in the parameters' layout; allocated with the first backward. */
  get grads(): GPUBuffer {
    if (!this.gradsBuf) {
      this.gradsBuf = this.owner.storage('grads', this.lay.alloc);
      // the padding between parameters is never written by a kernel but is summed into ‖g‖
      for (const sp of parameterSpecs(this.cfg)) {
        const end = this.lay.offset.get(sp.name)! + sizeOf(sp.shape);
        const pad = (4 - (end % 4)) % 4;
        if (pad) this.device.queue.writeBuffer(this.gradsBuf, end * 4, new Float32Array(pad));
      }
    }
    return this.gradsBuf;
  }

  /** Adam's first moment, or SGD's momentum. */
  get m(): GPUBuffer {
    return (this.mBuf ??= this.owner.storage('adam m / momentum', this.lay.total));
  }

  /** Adam's second moment. */
  get v(): GPUBuffer {
    return (this.vBuf ??= this.owner.storage('adam v', this.lay.total));
  }

  /** A model-lifetime buffer, made on first use (the gradient norm's partials, say). */
  lazyStorage(label: string, floats: number): GPUBuffer {
    let b = this.lazy.get(label);
    if (!b) {
      b = this.owner.storage(label, floats);
      this.lazy.set(label, b);
    }
    return b;
  }

  private readonly lazy = new Map<string, GPUBuffer>();

  /** Whether the optimizer state has been allocated (a model that never trained has none to snapshot). */
  get hasMoments(): boolean {
    return this.mBuf !== null;
  }

  cellCode(): number {
    return this.cfg.cell === 'lstm' ? 1 : this.cfg.cell === 'gru' ? 2 : 0;
  }

  actCode(): number {
    return this.cfg.cell === 'tutorial' ? 2 : this.cfg.nonlinearity === 'relu' ? 1 : 0;
  }

  /**
   * One dispatch of a kernel: `buffers` fill its bindings in order, skipping the dynamic one (the
   * Step entry `stepEntry` of `entries`); total: invocations of a 1-D kernel, or an explicit
   * [x, y] workgroup grid.
   */
  op(spec: KernelSpec, constants: Constants, buffers: GPUBuffer[], total: number | [number, number], entries: StepEntries | null = null, stepEntry = 0): Dispatch {
    const dyn = spec.bindings.indexOf('d');
    const bindings: GPUBindGroupEntry[] = buffers.map((buffer, i) => ({ binding: dyn >= 0 && i >= dyn ? i + 1 : i, resource: { buffer } }));
    if (dyn >= 0) bindings.push({ binding: dyn, resource: { buffer: entries!.steps, size: 16 } });
    const bind = this.device.createBindGroup({ label: spec.label, layout: this.pipelines.layout(spec), entries: bindings });
    const [x, y] = Array.isArray(total) ? total : grid(total);
    return { kind: 'dispatch', pipeline: this.pipelines.pipeline(spec, constants), bind, offset: dyn >= 0 ? stepEntry * STEP_STRIDE : null, x, y };
  }

  /**
   * A kernel on the team tile (shaders/team.wgsl) over `teams` teams of 4 invocations: 1 to 16
   * teams a workgroup, so that there are 16 workgroups where there are teams enough (a time step's
   * product at B 32, H 128 has 16 teams: one workgroup of 64 would leave a worker thread idle).
   */
  teamOp(spec: KernelSpec, constants: Constants, buffers: GPUBuffer[], teams: number, entries: StepEntries | null = null, stepEntry = 0): Dispatch {
    const TEAM_WG = 4 * Math.min(16, Math.max(1, Math.floor(teams / 16)));
    const groups = Math.ceil((4 * teams) / TEAM_WG);
    const x = Math.min(groups, 65535);
    return this.op(spec, { ...constants, TEAM_WG }, buffers, [x, Math.ceil(groups / x)], entries, stepEntry);
  }

  dispose(): void {
    this.owner.destroy();
  }
}
