// The WebGPU backend and its time-step scheduler.
//
// Everything a step needs lives in GPU buffers: the parameters, gradients and Adam moments as
// flat float32 buffers in state_dict order; per (B, T) a workspace of activations. A training step
// (forward over T, loss, BPTT over T, clip, optimizer) is recorded once as a Plan (pipelines, bind
// groups, dynamic offsets) and replayed into ONE command buffer per call, submitted once; the loss
// comes back through a staging buffer when the caller awaits it. Nothing is read back per time step.
//
// Workspace layouts (float32, row-major, time-major so all T·B rows of a step family are one
// contiguous matrix): x [T, B, I] or ids [T, B]; per layer k: A [T, B, G·H], hs/cs [T+1, B, H]
// (slot 0 = h0), cache [T, B, 4H], dH [T+1, B, H]; logits/dlogits [T, B, O]; targets [T, B(, O)];
// dAR: dA [T, B, G·H], then for the GRU dR (for the other cells dR = dA); carry [2, B, H]. Inputs are reordered from PyTorch's
// batch_first layout on upload, outputs on read-back.
import { directions, embeddingName, gateCount, hasCellState, headBiasName, headWeightName, layerInputSize, parameterSpecs, rnnName, sizeOf, stateLayers, type ModelConfig } from '../model/config.js';
import type { DropoutMasks, LossKind, RecurrentState, SeqInput, SeqTargets } from '../model/batch.js';
import type { Backend, BackendStats, ForwardResult, PredictResult, GradientResult, StateSource, StepResult } from '../model/backend.js';
import type { NormalizedTrainOptions } from '../train/options.js';
import { WebGpuUnavailableError } from '../errors.js';
import { acquireGpu, type GpuContext } from './device.js';
import { BufferOwner, MAP_READ_MODE, readBack } from './buffers.js';
import { grid, Kernels, STEP_STRIDE, type Constants, type KernelName } from './kernels.js';
import { Pacer, waitsSpin } from './pacer.js';
import { ROW_MAX_K } from './rows.js';

export interface GpuOptions {
  /** A GPU object to use instead of navigator.gpu (e.g. `create([])` from the `webgpu` package in Node). */
  gpu?: GPU;
  /** Testing aid: fill every new GPU buffer with NaN, so any output element a kernel fails to write shows. */
  poisonBuffers?: boolean;
  /**
   * Kernel variants: 'auto' (default: chosen from the adapter and the shape), or forced for tests:
   * 'gpu', 'gpu-per-step' (GPU kernels, never the one-dispatch recurrence), 'cpu' (the CPU-adapter
   * kernels, 4×4-blocked), 'cpu-team' (the CPU-adapter kernels on the team tile of
   * shaders/team.wgsl, where subgroups are 4 wide; 'auto' picks it on such CPU adapters),
   * 'cpu-team-per-step' (the same, never the one-dispatch recurrence).
   */
  kernels?: KernelVariant | 'gpu-per-step' | 'cpu-team' | 'cpu-team-per-step' | 'auto';
  /**
   * Before reading back a call's results (a training step, an evaluation, a prediction, a forward
   * pass, gradients, a generation), sleep through most of the GPU time the same kind of call took
   * last time, so that Dawn's Node binding, which spins a core while a promise is pending, does not
   * take that core from a CPU adapter's threads (src/gpu/pacer.ts). Default: on in Node on CPU
   * adapters (SwiftShader), off elsewhere.
   */
  paceWaits?: boolean;
}

export type KernelVariant = 'gpu' | 'cpu';

export async function createGpuBackend(cfg: ModelConfig, params: Map<string, ArrayLike<number>>, opts: GpuOptions): Promise<Backend> {
  const ctx = await acquireGpu(opts.gpu);
  const pace = opts.paceWaits ?? (ctx.cpuAdapter && waitsSpin());
  const b = new GpuBackend(cfg, ctx, opts.poisonBuffers ?? false, opts.kernels ?? 'auto', pace);
  b.setParameters(params);
  return b;
}

/**
 * Float offsets of every matrix the kernels read, with leading dimensions (the tutorial's are
 * strided), per unit u = k·D + d (layer k, direction d). Without biases every bias offset points at
 * `zeros`, a block of G·H zeros after the parameters that the optimizer never touches (its
 * gradient lands in the same place in the gradient buffer, unread).
 */
interface Layout {
  /** Floats of the parameters proper: what the optimizer updates and the gradient norm sums. */
  total: number;
  /** Floats allocated: total, and the zero block. */
  alloc: number;
  offset: Map<string, number>;
  layers: { wih: number; wihLd: number; whh: number; whhLd: number; bih: number; bhh: number; hasBhh: boolean }[];
  fcW: number; // −1 without a head; the embedding's offset when tied
  fcLd: number;
  fcb: number;
  fcWx: number; // −1 unless tutorial
  emb: number; // −1 without an embedding
}

function layoutOf(cfg: ModelConfig): Layout {
  const offset = new Map<string, number>();
  let total = 0;
  for (const s of parameterSpecs(cfg)) {
    offset.set(s.name, total);
    total += Math.ceil(sizeOf(s.shape) / 4) * 4; // 16-byte aligned starts, for vec4 loads
  }
  const o = (n: string): number => offset.get(n)!;
  const { inputSize: I, hiddenSize: H } = cfg;
  if (cfg.cell === 'tutorial') {
    // i2h.weight = [W_ih | W_hh] and i2o.weight = [W_x | W_h], each row I + H long
    return {
      total,
      alloc: total,
      offset,
      layers: [{ wih: o('i2h.weight'), wihLd: I + H, whh: o('i2h.weight') + I, whhLd: I + H, bih: o('i2h.bias'), bhh: 0, hasBhh: false }],
      fcW: o('i2o.weight') + I,
      fcLd: I + H,
      fcb: o('i2o.bias'),
      fcWx: o('i2o.weight'),
      emb: -1,
    };
  }
  const zeros = total;
  const alloc = total + (cfg.bias ? 0 : Math.ceil((gateCount(cfg.cell) * H) / 4) * 4);
  const layers = [];
  for (let k = 0; k < cfg.numLayers; k++) {
    for (let d = 0; d < directions(cfg); d++) {
      layers.push({
        wih: o(rnnName(cfg, 'weight_ih', k, d)),
        wihLd: layerInputSize(cfg, k),
        whh: o(rnnName(cfg, 'weight_hh', k, d)),
        whhLd: H,
        bih: cfg.bias ? o(rnnName(cfg, 'bias_ih', k, d)) : zeros,
        bhh: cfg.bias ? o(rnnName(cfg, 'bias_hh', k, d)) : zeros,
        hasBhh: true,
      });
    }
  }
  const emb = cfg.embeddingDim ? o(embeddingName(cfg)) : -1;
  const fcW = !cfg.head ? -1 : cfg.tied ? emb : o(headWeightName(cfg));
  return { total, alloc, offset, layers, fcW, fcLd: directions(cfg) * H, fcb: cfg.head ? o(headBiasName(cfg)) : -1, fcWx: -1, emb };
}

type Op =
  | { kind: 'dispatch'; pipeline: GPUComputePipeline; bind: GPUBindGroup; offset: number | null; x: number; y: number }
  | { kind: 'clear'; buffer: GPUBuffer }
  | { kind: 'copy'; src: GPUBuffer; srcOff: number; dst: GPUBuffer; dstOff: number; bytes: number };

/** Recorded GPU work, replayed into a command encoder (compute passes between copies/clears). */
type Plan = Op[];

interface Workspace {
  B: number;
  T: number;
  tokens: boolean;
  /**
   * The general plan (routes between layers, src/gpu/backend.ts generalForwardPlan) rather than the
   * classic one-direction stack whose layers read each other's states in place.
   */
  general: GeneralShape | null;
  ids: GPUBuffer;
  /** CPU adapters' token inputs: the rows grouped by token (colgrad.wgsl's tokens_csr), else unused. */
  idsByToken: GPUBuffer;
  x: GPUBuffer;
  yIds: GPUBuffer;
  yf: GPUBuffer;
  /** Loss weights per row [T, B] with lengths (1 / real rows, 0 past a length), allocated with their first upload. */
  lossWeights: GPUBuffer;
  A: GPUBuffer[];
  hs: GPUBuffer[];
  cs: GPUBuffer[];
  cache: GPUBuffer[];
  dH: GPUBuffer[];
  carry: GPUBuffer[];
  logits: GPUBuffer;
  dlogits: GPUBuffer;
  rowLoss: GPUBuffer;
  dAR: GPUBuffer;
  steps: GPUBuffer;
  /** d loss / d h0, d c0 [L, B, H] of the last backward. */
  dh0: GPUBuffer;
  dc0: GPUBuffer;
  /** Further buffers owned by this workspace's plans. */
  extra: GPUBuffer[];
  /** The slices of the team kernels' split row GEMMs, one buffer for all (rowScratch). */
  rowScratch?: GPUBuffer;
  forward: Plan;
  plans: Map<string, Plan>;
}

/** What a general workspace's plans route: masks present, and the buffers they route through. */
interface GeneralShape {
  /** Masks between layers and before the head (dropout ⊙ lengths), and on the input (dropout). */
  masked: boolean;
  inputMask: boolean;
  /** Each row's reversal [T, B] (row t·B + b ↔ (len_b − 1 − t)·B + b inside the length), D = 2. */
  rev: GPUBuffer;
  /** Token ids reversed per row, and their rows by token (the reverse direction's layer 0). */
  idsRev: GPUBuffer;
  idsByTokenRev: GPUBuffer;
  /** Layer k's input [T, B, I_k] (k = L: the head's), and its reversal for D = 2. */
  X: GPUBuffer[];
  Xr: GPUBuffer[];
  /** masks: input [T, B, I_0]; layers[k] on layer k's input [T, B, D·H] (k ≥ 1; k = L the head's). */
  maskIn: GPUBuffer;
  maskL: GPUBuffer[];
  /** d loss / d (head input) [T, B, D·H], d input [T, B, max I_k] and its reversal. */
  dZ: GPUBuffer;
  dX: GPUBuffer;
  dXr: GPUBuffer;
}

export class GpuBackend implements Backend {
  readonly name = 'webgpu' as const;
  readonly deviceName: string;
  readonly device: GPUDevice;
  private readonly kernels: Kernels;
  private readonly owner: BufferOwner;
  private readonly lay: Layout;
  private readonly G: number;
  /** The parameters (and the zero block, Layout.alloc); generation may swap in a copy while it records (generationParams). */
  private params: GPUBuffer;
  /** Directions D, and units L·D (a recurrence each). */
  private readonly D: number;
  private readonly units: number;
  // Training state, allocated on first use: a model that only runs forward or generates holds
  // just its parameters and workspace.
  private gradsBuf: GPUBuffer | null = null;
  private mBuf: GPUBuffer | null = null;
  private vBuf: GPUBuffer | null = null;
  /** [loss, ‖g‖², …] */
  private readonly scalars: GPUBuffer;
  private readonly optUniform: GPUBuffer;
  private readonly sampling: GPUBuffer;
  private readonly dummy: GPUBuffer;
  /** The state the last call ended in: h [L, B, H], c [L, B, H]. */
  private stateH: GPUBuffer | null = null;
  private stateC: GPUBuffer | null = null;
  private stateBatch = 0;
  private gen: { key: string; ws: Workspace; plan: Plan } | null = null;
  private opts: NormalizedTrainOptions | null = null;
  private optStep = 0;
  private stagingFree: GPUBuffer[] = [];
  /**
   * Kernel variants: 'gpu' (tiled GEMMs in workgroup memory, the step kernels' K split across the
   * invocations of a workgroup) or 'cpu' for CPU-emulated adapters (register-blocked, no barriers).
   */
  readonly variant: KernelVariant;
  /** The CPU family on the team tile (shaders/team.wgsl) instead of 4×4 blocks. */
  private readonly team: boolean;

  private readonly allowPersistent: boolean;

  /** When read-backs wait (GpuOptions.paceWaits). */
  readonly pacer: Pacer;

  constructor(readonly cfg: ModelConfig, ctx: GpuContext, poison = false, variant: GpuOptions['kernels'] = 'auto', pace = false) {
    this.device = ctx.device;
    this.pacer = new Pacer(pace);
    this.deviceName = ctx.adapterName;
    this.variant = variant === 'auto' ? (ctx.cpuAdapter ? 'cpu' : 'gpu') : variant.startsWith('cpu') ? 'cpu' : 'gpu';
    if (variant.startsWith('cpu-team') && !ctx.subgroups4) {
      throw new WebGpuUnavailableError(
        `kernels: '${variant}' needs subgroups exactly 4 invocations wide; ${ctx.adapterName} has ` +
          `${ctx.device.features.has('subgroups') ? 'other subgroup sizes' : 'no subgroups feature'} (use 'cpu' or 'auto')`,
      );
    }
    this.team = variant.startsWith('cpu-team') || (variant === 'auto' && ctx.cpuAdapter && ctx.subgroups4);
    this.allowPersistent = !variant.endsWith('per-step');
    this.kernels = new Kernels(this.device);
    this.owner = new BufferOwner(this.device, poison);
    this.lay = layoutOf(cfg);
    this.G = gateCount(cfg.cell);
    this.D = directions(cfg);
    this.units = stateLayers(cfg);
    this.params = this.owner.storage('params', this.lay.alloc);
    this.scalars = this.owner.storage('scalars', 4);
    this.optUniform = this.owner.uniform('optimizer', 48);
    this.sampling = this.owner.uniform('sampling', 32);
    this.dummy = this.owner.storage('unused binding', 4);
  }

  private dummyRwBuf: GPUBuffer | null = null;

  /** A second unused binding, for writable slots (two writable bindings may not alias). */
  private dummyRw(): GPUBuffer {
    return (this.dummyRwBuf ??= this.owner.storage('unused writable binding', 4));
  }

  private get grads(): GPUBuffer {
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

  private get m(): GPUBuffer {
    return (this.mBuf ??= this.owner.storage('adam m / momentum', this.lay.total));
  }

  private get v(): GPUBuffer {
    return (this.vBuf ??= this.owner.storage('adam v', this.lay.total));
  }

  /** Bytes of GPU memory this model holds now. */
  get memoryBytes(): number {
    return this.owner.bytes;
  }

  setParameters(params: Map<string, ArrayLike<number>>): void {
    const flat = new Float32Array(this.lay.alloc);
    for (const [name, off] of this.lay.offset) flat.set(params.get(name)!, off);
    this.device.queue.writeBuffer(this.params, 0, flat);
  }

  async getParameters(): Promise<Map<string, Float64Array>> {
    const flat = await readBack(this.device, this.owner, this.params, 0, this.lay.total * 4);
    return this.split(flat);
  }

  private split(flat: Float32Array): Map<string, Float64Array> {
    const out = new Map<string, Float64Array>();
    for (const s of parameterSpecs(this.cfg)) {
      const off = this.lay.offset.get(s.name)!;
      out.set(s.name, Float64Array.from(flat.subarray(off, off + sizeOf(s.shape))));
    }
    return out;
  }

  // ---- workspace and plans -------------------------------------------------------------------

  /**
   * The workspace for a (B, T, input kind), kept among the last few used so that alternating
   * shapes (training batches and single-step predictions, say) do not rebuild buffers and plans.
   */
  private workspace(B: number, T: number, tokens: boolean, general: { masked: boolean; inputMask: boolean } | null = null): Workspace {
    this.lastBatch = B;
    const key = `${B}:${T}:${tokens}:${general ? `g${+general.masked}${+general.inputMask}` : 'c'}`;
    let w = this.workspaces.get(key);
    if (w) {
      this.workspaces.delete(key); // re-inserted below: most recently used last
    } else {
      w = this.makeWorkspace(B, T, tokens, B * T, general);
      if (this.workspaces.size >= GpuBackend.WORKSPACES) {
        const [oldest, old] = this.workspaces.entries().next().value as [string, Workspace];
        this.workspaces.delete(oldest);
        this.freeWorkspace(old);
      }
    }
    this.workspaces.set(key, w);
    return w;
  }

  private static readonly WORKSPACES = 3;
  private readonly workspaces = new Map<string, Workspace>();

  private freeWorkspace(w: Workspace): void {
    const g = w.general;
    const routed = g ? [g.rev, g.idsRev, g.idsByTokenRev, ...g.X, ...g.Xr, g.maskIn, ...g.maskL, g.dZ, g.dX, g.dXr] : [];
    for (const b of new Set([w.ids, w.idsByToken, w.x, w.yIds, w.yf, w.lossWeights, w.logits, w.dlogits, w.rowLoss, w.dAR, w.steps, w.dh0, w.dc0, ...w.A, ...w.hs, ...w.cs, ...w.cache, ...w.dH, ...w.carry, ...w.extra, ...routed])) {
      if (b !== this.dummy) this.owner.release(b);
    }
  }

  /** idsLen: token slots (generation keeps P + N ids in a T = P + N − 1 step workspace). */
  private makeWorkspace(B: number, T: number, tokens: boolean, idsLen: number, general: { masked: boolean; inputMask: boolean } | null = null): Workspace {
    const { hiddenSize: H, outputSize: O, inputSize: I } = this.cfg;
    const L = this.units;
    const GH = this.G * H;
    const s = (label: string, n: number): GPUBuffer => this.owner.storage(label, n);
    const lstm = hasCellState(this.cfg);
    const gated = this.cfg.cell === 'lstm' || this.cfg.cell === 'gru';
    const steps = this.owner.uniform('steps', (T + 1) * STEP_STRIDE);
    // entries 0..T−1: one step each (first = 1 at T−1, where BPTT starts); entry T: the whole sequence
    const u = new Uint32Array(((T + 1) * STEP_STRIDE) / 4);
    for (let e = 0; e <= T; e++) u.set(e < T ? [e, 1, T, e === T - 1 ? 1 : 0] : [0, T, T, 0], (e * STEP_STRIDE) / 4);
    this.device.queue.writeBuffer(steps, 0, u);
    const ws: Workspace = {
      B,
      T,
      tokens,
      general: null,
      ids: tokens ? s('input ids', idsLen) : this.dummy,
      idsByToken: this.dummy, // CPU adapters: allocated on the first upload of token ids
      x: tokens ? this.dummy : s('input x', B * T * I),
      yIds: this.dummy, // allocated on the first upload of such targets
      yf: this.dummy,
      lossWeights: this.dummy,
      A: [],
      hs: [],
      cs: [],
      cache: [],
      dH: [],
      carry: [],
      logits: s('logits', B * T * O),
      dlogits: s('dlogits', B * T * O),
      rowLoss: s('row loss', B * T),
      dAR: s('dA, dR', (this.cfg.cell === 'gru' ? 2 : 1) * T * B * GH),
      steps,
      dh0: s('dh0', L * B * H),
      dc0: s('dc0', lstm ? L * B * H : 1),
      extra: [],
      forward: [],
      plans: new Map(),
    };
    for (let k = 0; k < L; k++) {
      ws.A.push(s(`A l${k}`, T * B * GH));
      ws.hs.push(s(`h l${k}`, (T + 1) * B * H));
      // unused ones still get their own tiny buffers: two writable bindings may not alias
      ws.cs.push(s(`c l${k}`, lstm ? (T + 1) * B * H : 1));
      ws.cache.push(s(`gates l${k}`, gated ? T * B * 4 * H : 1));
      ws.dH.push(s(`dH l${k}`, (T + 1) * B * H));
      ws.carry.push(s(`carry l${k}`, 2 * B * H));
    }
    ws.general = general && this.generalShape(B, T, ws.x, general);
    ws.forward = this.forwardPlan(ws);
    return ws;
  }

  /** total: invocations of a 1-D kernel, or an explicit [x, y] workgroup grid. */
  private op(name: KernelName, constants: Constants, buffers: GPUBuffer[], total: number | [number, number], ws: Workspace | null, stepEntry = 0): Op {
    const dyn = Kernels.dynamicBinding(name);
    // buffers fill the bindings in order, skipping the dynamic one
    const entries: GPUBindGroupEntry[] = buffers.map((buffer, i) => ({ binding: dyn >= 0 && i >= dyn ? i + 1 : i, resource: { buffer } }));
    if (dyn >= 0) entries.push({ binding: dyn, resource: { buffer: ws!.steps, size: 16 } });
    const bind = this.device.createBindGroup({ layout: this.kernels.layout(name), entries });
    const [x, y] = Array.isArray(total) ? total : name === 'sample' ? [1, 1] : grid(total);
    return { kind: 'dispatch', pipeline: this.kernels.pipeline(name, constants), bind, offset: dyn >= 0 ? stepEntry * STEP_STRIDE : null, x, y };
  }

  /**
   * A kernel on the team tile (shaders/team.wgsl) over `teams` teams of 4 invocations: 1 to 16
   * teams a workgroup, so that there are 16 workgroups where there are teams enough (a time step's
   * product at B 32, H 128 has 16 teams: one workgroup of 64 would leave a worker thread idle).
   */
  private teamOp(name: KernelName, constants: Constants, buffers: GPUBuffer[], teams: number, ws: Workspace | null, stepEntry = 0): Op {
    const TEAM_WG = 4 * Math.min(16, Math.max(1, Math.floor(teams / 16)));
    const groups = Math.ceil((4 * teams) / TEAM_WG);
    const x = Math.min(groups, 65535);
    return this.op(name, { ...constants, TEAM_WG }, buffers, [x, Math.ceil(groups / x)], ws, stepEntry);
  }

  /**
   * C[m, n] = Σ_k A[m, k] B[k, n] (+ bias) over strided views (shaders/gemm_views.wgsl): each operand is
   * a buffer with a float offset and strides; bias is read from the parameters.
   */
  private gemm(
    M: number, N: number, K: number,
    a: [GPUBuffer, number, number, number], // buffer, offset, stride per m, stride per k
    b: [GPUBuffer, number, number, number], // buffer, offset, stride per k, stride per n
    c: [GPUBuffer, number, number], // buffer, offset, leading dimension
    bias: number | null = null,
    ws: Workspace | null = null, // owns split-K's scratch (GPU kernels; without it no split)
  ): Op[] {
    const common = {
      M, N, K, A_OFF: a[1], A_SM: a[2], A_SK: a[3], B_OFF: b[1], B_SK: b[2], B_SN: b[3],
      C_OFF: c[1], C_LD: c[2], BIAS_OFF: bias ?? 0, HAS_BIAS: bias !== null,
    };
    if (this.variant !== 'cpu') {
      const S = ws ? splitK(M, N, K) : 1;
      if (S === 1) return [this.op('gemm', common, [a[0], b[0], this.params, c[0]], [Math.ceil(N / 64), Math.ceil(M / 64)], null)];
      const part = this.owner.storage('split-K partial sums', S * M * N);
      ws!.extra.push(part);
      const split = { ...common, K_SPLIT: S };
      return [
        this.op('gemm', split, [a[0], b[0], this.params, part], [Math.ceil(N / 64), S * Math.ceil(M / 64)], null),
        this.op('gemmSplitSum', split, [part, this.dummy, this.params, c[0]], M * N, null),
      ];
    }
    return this.cpuGemm(M, N, K, a, b, c, common, ws);
  }

  /**
   * gemm on CPU adapters: where subgroups are 4 wide the one-row product (shaders/gemm_rows.wgsl)
   * over 64 rows of C or more, its K written out whole or, with `ws` (which owns the scratch), in
   * equal slices (rowSplit), else the team tile; without such subgroups 4×4 register blocks.
   */
  private cpuGemm(
    M: number, N: number, K: number,
    a: [GPUBuffer, number, number, number],
    b: [GPUBuffer, number, number, number],
    c: [GPUBuffer, number, number],
    common: Constants,
    ws: Workspace | null,
  ): Op[] {
    if (this.team) {
      const bufs = (x: GPUBuffer, y: GPUBuffer): GPUBuffer[] => [x, y, this.params, c[0]];
      // B's N columns held by ⌈N / 8⌉ invocations while workgroups walk C's rows: at least 64 rows
      // each (a workgroup's copy of B costs about what 6 rows of product do), up to 16 workgroups
      // in all (SwiftShader runs them on a worker thread per core)
      const ROW_WG = 4 * Math.ceil(N / 32);
      const rows = M >= 64 && this.rowWorkgroupFits(ROW_WG);
      const walkers = (slices: number): number => Math.max(1, Math.min(Math.floor(M / 64), Math.ceil(16 / slices)));
      if (rows && K <= ROW_MAX_K) {
        return [this.op('gemmRows', { ...common, ROW_WG, ROW_K: K }, bufs(a[0], b[0]), [walkers(1), 1], null)];
      }
      const S = rows && ws ? rowSplit(K) : 0;
      if (S > 1) {
        // slice s of K into its own block of a scratch buffer, then gemm.wgsl's split_sum
        const part = this.rowScratch(ws!, S * M * N);
        const slice = { ...common, ROW_WG, ROW_K: K / S, ROW_SPLIT: S, C_OFF: 0, C_LD: N, HAS_BIAS: false };
        return [
          this.op('gemmRows', slice, [a[0], b[0], this.params, part], [walkers(S), S], null),
          this.op('gemmSplitSum', { ...common, K_SPLIT: S }, [part, this.dummy, this.params, c[0]], M * N, null),
        ];
      }
      // teams of 8 rows × 32 columns of C, or of Cᵀ = Bᵀ·Aᵀ (B's view as A, A's as B, C's strides
      // swapped, the bias along rows): whichever pads C less
      const pad = (n: number, m: number): number => Math.ceil(n / m) * m;
      const teams = (rows: number, cols: number): number => Math.ceil(rows / 8) * Math.ceil(cols / 32);
      if (pad(N, 8) * pad(M, 32) < pad(M, 8) * pad(N, 32)) {
        const t = { ...common, M: N, N: M, A_OFF: b[1], A_SM: b[3], A_SK: b[2], B_OFF: a[1], B_SK: a[3], B_SN: a[2], C_LD: 1, C_SN: c[2], BIAS_ROWS: true };
        return [this.teamOp('gemmTeam', t, bufs(b[0], a[0]), teams(N, M), null)];
      }
      return [this.teamOp('gemmTeam', common, bufs(a[0], b[0]), teams(M, N), null)];
    }
    // vec4 loads where the operand is 16-byte aligned and contiguous along one of its dimensions
    const al = (...v: number[]): boolean => v.every((x) => x % 4 === 0);
    const A_VEC = a[2] === 1 && al(a[1], a[3]) ? 1 : a[3] === 1 && al(a[1], a[2]) ? 2 : 0;
    const B_VEC = b[3] === 1 && al(b[1], b[2]) ? 1 : b[2] === 1 && al(b[1], b[3]) ? 2 : 0;
    return [this.op('gemmRb', { ...common, A_VEC, B_VEC }, [a[0], b[0], this.params, c[0], a[0], b[0]], Math.ceil(M / 4) * Math.ceil(N / 4), null)];
  }

  /** Whether the device takes a one-row kernel's workgroup of n invocations. */
  private rowWorkgroupFits(n: number): boolean {
    const lim = this.device.limits;
    return n <= lim.maxComputeInvocationsPerWorkgroup && n <= lim.maxComputeWorkgroupSizeX;
  }

  /**
   * The scratch buffer every split row GEMM of a workspace shares (they run one after another in
   * its command buffer): their K is its T·B rows, their result a weight gradient, so it holds
   * rowSplit(T·B) blocks of the largest parameter.
   */
  private rowScratch(ws: Workspace, floats: number): GPUBuffer {
    const size = rowSplit(ws.T * ws.B) * Math.max(...parameterSpecs(this.cfg).map((p) => sizeOf(p.shape)));
    if (floats > size) throw new Error(`internal: a split row GEMM needs ${floats} floats of scratch, more than the ${size} sized for`);
    if (!ws.rowScratch) {
      ws.rowScratch = this.owner.storage('row GEMM slices', size);
      ws.extra.push(ws.rowScratch);
    }
    return ws.rowScratch;
  }

  /**
   * Σ v_i (or Σ v_i² when square) over `count` floats of src into scalars[outIdx]
   * (shaders/reduce.wgsl): one workgroup per slice of the input, and when there are several, a
   * second dispatch sums their partials (in `partials`, reduceSlices(count) floats) in order.
   */
  private reduceOps(src: GPUBuffer, count: number, square: boolean, outIdx: number, partials: GPUBuffer): Op[] {
    const { slice, groups } = this.reduceSlices(count);
    if (groups === 1) return [this.op('reduce', { COUNT: count, SLICE: slice, SQUARE: square, OUT_IDX: outIdx }, [src, this.scalars], [1, 1], null)];
    return [
      this.op('reduce', { COUNT: count, SLICE: slice, SQUARE: square, OUT_IDX: 0 }, [src, partials], [groups, 1], null),
      this.op('reduce', { COUNT: groups, SLICE: groups, OUT_IDX: outIdx }, [partials, this.scalars], [1, 1], null),
    ];
  }

  /**
   * Slices of a reduction over `count` floats: on a GPU 8192 floats per workgroup (32 per
   * invocation: 4.5M gradient floats fill the H100 with ~550 workgroups instead of one), at most
   * 4096 of them; on CPU adapters one workgroup up to 64K floats, so small sums stay one dispatch.
   */
  private reduceSlices(count: number): { slice: number; groups: number } {
    const slice = Math.max(this.variant === 'gpu' ? 8192 : 65536, Math.ceil(count / 4096));
    return { slice, groups: Math.max(1, Math.ceil(count / slice)) };
  }

  /** Partials of the squared gradient norm, allocated with the model's training state. */
  private get gradPartials(): GPUBuffer {
    return (this.gradPartialsBuf ??= this.owner.storage('grad norm partials', this.reduceSlices(this.lay.total).groups));
  }

  private gradPartialsBuf: GPUBuffer | null = null;

  /**
   * Row chunks of a column reduction over M rows into N·V outputs (colgrad.wgsl; V = 1 for a bias):
   * chunks of at least 256 rows on a GPU (2048 on CPU adapters, so the sizes SwiftShader trains at
   * stay one dispatch, as before), and of at least V rows, so the partials written stay below the
   * dY words read; at most 256 chunks, COL_SCRATCH floats of partials, and 65535 workgroups along y.
   * M below two minimum chunks: one chunk, written straight into the gradient (one dispatch).
   */
  private colChunks(M: number, N: number, V: number): { chunks: number; rows: number } {
    const minRows = Math.max(this.variant === 'gpu' ? 256 : 2048, V);
    const cap = Math.min(256, Math.floor(GpuBackend.COL_SCRATCH / (N * V)), Math.floor(65535 / Math.ceil(V / 64)));
    const want = Math.max(1, Math.min(Math.floor(M / minRows), cap));
    const rows = Math.ceil(M / want);
    return { chunks: Math.ceil(M / rows), rows };
  }

  private static readonly COL_SCRATCH = 1 << 22;

  /**
   * The partials buffer shared by a backward plan's column reductions (they run one after
   * another): the largest chunks · N · V of its colBias / colTokens calls, owned by the workspace.
   */
  private colPartials(ws: Workspace): GPUBuffer {
    const { outputSize: O, inputSize: I } = this.cfg;
    const M = ws.B * ws.T;
    const shapes = [[O, 1], [this.G * this.cfg.hiddenSize, 1]];
    if (ws.tokens) shapes.push([O, I], [this.G * this.cfg.hiddenSize, I]);
    let need = 0;
    for (const [N, V] of shapes) {
      const { chunks } = this.colChunks(M, N, V);
      if (chunks > 1) need = Math.max(need, chunks * N * V);
    }
    if (need === 0) return this.dummyRw();
    const b = this.owner.storage('column partials', need);
    ws.extra.push(b);
    return b;
  }

  /**
   * db[n] = Σ_m dY[m, n] into the gradient buffer at `out`, and at `out2` too when given (b_hh's
   * gradient where dR is dA: one sum, not two); through `part` when M is split.
   */
  private colBias(part: GPUBuffer, M: number, N: number, dY: GPUBuffer, dyOff: number, out: number, out2: number | null = null): Op[] {
    const { chunks, rows } = this.colChunks(M, N, 1);
    const c = { M, N, DY_OFF: dyOff, ROWS: rows };
    const dup = { OUT2_OFF: out2 ?? 0, HAS_OUT2: out2 !== null };
    const wgs: [number, number] = [Math.ceil(N / 64), chunks];
    if (chunks === 1) return [this.op('colBias', { ...c, OUT_OFF: out, ...dup }, [dY, this.dummy, this.grads], wgs, null)];
    return [
      this.op('colBias', { ...c, OUT_OFF: 0, LD_C: N }, [dY, this.dummy, part], wgs, null),
      this.op('colChunks', { M, N, CHUNKS: chunks, OUT_OFF: out, ...dup }, [part, this.dummy, this.grads], N, null),
    ];
  }

  /**
   * dW[n, v] = Σ_{m: ids[m] = v} dY[m, n]: the gradient of the one-hot columns W[:, v], W's
   * leading dimension `ld` (through `part` when M is split). The vocabulary goes in VCN chunks of
   * VCH ≤ 64 entries, as even as they come (V = 65: two of 33).
   */
  private colTokens(ws: Workspace, part: GPUBuffer, M: number, N: number, dY: GPUBuffer, V: number, out: number, ld: number, d = 0): Op[] {
    if (this.variant === 'cpu') {
      return [this.op('colTokensCsr', { M, N, V, OUT_OFF: out, LD_N: ld, LD_V: 1 }, [dY, d ? ws.general!.idsByTokenRev : ws.idsByToken, this.grads], N * V, null)];
    }
    const ids = d ? ws.general!.idsRev : ws.ids;
    const VCN = Math.ceil(V / 64);
    const VCH = Math.ceil(V / VCN);
    const { chunks, rows } = this.colChunks(M, N, V);
    const c = { M, N, V, VCH, VCN, ROWS: rows };
    const wgs: [number, number] = [Math.ceil(N / 64), VCN * chunks];
    if (chunks === 1) return [this.op('colTokens', { ...c, OUT_OFF: out, LD_N: ld }, [dY, ids, this.grads], wgs, null)];
    return [
      this.op('colTokens', { ...c, OUT_OFF: 0, LD_N: 1, LD_V: N, LD_C: V * N }, [dY, ids, part], wgs, null),
      this.op('colChunks', { M, N, V, CHUNKS: chunks, OUT_OFF: out, LD_N: ld }, [part, this.dummy, this.grads], N * V, null),
    ];
  }

  /**
   * Projection of unit k's inputs for steps [entry's t0, +nsteps): A = W_ih x + b_ih (the classic
   * plan's layers, and layer 0 of token ids in the general one, whose units are k·D + d).
   */
  private projOp(ws: Workspace, k: number, entry: number, nsteps: number): Op {
    const l = this.lay.layers[k];
    const d = k % this.D;
    k = Math.floor(k / this.D);
    const { hiddenSize: H, inputSize: I } = this.cfg;
    const GH = this.G * H;
    return this.op(
      'linear',
      {
        N: GH, B: ws.B, K1: H, K2: I, W1_OFF: l.wih, W1_LD: l.wihLd, W2_OFF: l.wih, W2_LD: l.wihLd,
        BIAS_OFF: l.bih, USE_ACT: k > 0, ACT_SLOT: 1, USE_X: k === 0, X_TOKENS: ws.tokens,
      },
      [this.params, k > 0 ? ws.hs[k - 1] : this.dummy, ws.x, this.idsOf(ws, d), ws.A[k * this.D + d]],
      nsteps * ws.B * GH,
      ws,
      entry,
    );
  }

  /** The step kernels' constants and buffers for layer k (shaders/step.wgsl). */
  private stepArgs(ws: Workspace, k: number): { c: Constants; bufs: GPUBuffer[] } {
    const l = this.lay.layers[k];
    const fuse = this.fusesTokens(ws, k);
    const ids = fuse ? this.idsOf(ws, k % this.D) : this.dummy;
    const c = {
      H: this.cfg.hiddenSize, B: ws.B, CELL: this.cellCode(), ACT: this.actCode(), WHH_OFF: l.whh, WHH_LD: l.whhLd, BHH_OFF: l.bhh, HAS_BHH: l.hasBhh,
      ...(fuse ? { A_TOKENS: true, WIH_OFF: l.wih, WIH_LD: l.wihLd, BIH_OFF: l.bih } : {}),
    };
    return { c, bufs: [this.params, ws.A[k], ws.hs[k], ws.cs[k], ws.cache[k], ids] };
  }

  /** The BPTT kernels' constants and buffers for layer k (shaders/bptt.wgsl). */
  private backArgs(ws: Workspace, k: number): { c: Constants; bufs: GPUBuffer[] } {
    const l = this.lay.layers[k];
    const c = { H: this.cfg.hiddenSize, B: ws.B, CELL: this.cellCode(), ACT: this.actCode(), WHH_OFF: l.whh, WHH_LD: l.whhLd };
    return { c, bufs: [this.params, ws.hs[k], ws.cs[k], ws.cache[k], ws.dH[k], ws.dAR, ws.carry[k]] };
  }

  private stepOp(ws: Workspace, k: number, t: number): Op {
    const H = this.cfg.hiddenSize;
    const { c, bufs } = this.stepArgs(ws, k);
    if (this.team) {
      const U = Math.floor(8 / this.G); // units an invocation, 4·U a team of 8 rows
      return this.teamOp('stepTeam', c, bufs, Math.ceil(ws.B / 8) * Math.ceil(H / (4 * U)), ws, t);
    }
    if (this.variant === 'cpu') {
      const units = this.G > 1 ? 1 : 4; // a column is a gate of one unit, or a unit (RNN)
      return this.op('stepBlocked', c, bufs, Math.ceil(ws.B / 4) * Math.ceil(H / units), ws, t);
    }
    const cols = Math.ceil(H / Math.floor(32 / this.G)); // tiles of ⌊32 / G⌋ units × G gates
    const { RB, KS } = tileShape(this.device.limits, cols, ws.B, H);
    return this.op('stepTiled', { ...c, RB, KS }, bufs, [cols, Math.ceil(ws.B / (8 * RB))], ws, t);
  }

  /** BPTT at step t (or d h0 when `h0`): tiled on GPUs; on CPU adapters team tiles or 4×4 blocks. */
  private backOp(ws: Workspace, k: number, t: number, h0: boolean): Op {
    const H = this.cfg.hiddenSize;
    const { c, bufs } = this.backArgs(ws, k);
    if (this.team) return this.teamOp(h0 ? 'h0Team' : 'backTeam', c, bufs, Math.ceil(ws.B / 8) * Math.ceil(H / 32), ws, t);
    if (this.variant === 'cpu') return this.op(h0 ? 'h0Blocked' : 'backBlocked', c, bufs, Math.ceil(ws.B / 4) * Math.ceil(H / 4), ws, t);
    const { RB, KS } = tileShape(this.device.limits, Math.ceil(H / 32), ws.B, this.G * H);
    return this.op(h0 ? 'h0Tiled' : 'backTiled', { ...c, RB, KS }, bufs, [Math.ceil(H / 32), Math.ceil(ws.B / (8 * RB))], ws, t);
  }

  /** Head over steps [entry's t0, +nsteps): logits = fc(h_t) (tutorial: i2o(cat(x_t, h_{t−1}))). */
  private headOp(ws: Workspace, entry: number, nsteps: number): Op {
    const { hiddenSize: H, inputSize: I, outputSize: O, numLayers: L } = this.cfg;
    const tut = this.lay.fcWx >= 0;
    return this.op(
      'linear',
      {
        N: O, B: ws.B, K1: H, K2: I, W1_OFF: this.lay.fcW, W1_LD: this.lay.fcLd, W2_OFF: Math.max(this.lay.fcWx, 0),
        W2_LD: this.lay.fcLd, BIAS_OFF: this.lay.fcb, USE_ACT: true, ACT_SLOT: tut ? 0 : 1, USE_X: tut,
        X_TOKENS: ws.tokens,
      },
      [this.params, ws.hs[L - 1], ws.x, ws.ids, ws.logits],
      nsteps * ws.B * O,
      ws,
      entry,
    );
  }

  private cellCode(): number {
    return this.cfg.cell === 'lstm' ? 1 : this.cfg.cell === 'gru' ? 2 : 0;
  }

  private actCode(): number {
    return this.cfg.cell === 'tutorial' ? 2 : this.cfg.nonlinearity === 'relu' ? 1 : 0;
  }

  /**
   * Whether the whole recurrence runs in one dispatch per layer (shaders/sequence.wgsl), and with
   * how many slices per unit: GPU kernels; H·KS invocations in a workgroup; the state of four rows
   * and the slices' partial sums in workgroup memory. Every workgroup streams all of W_hh each step
   * (rows in different workgroups share nothing), so this pays only while W_hh is small and the
   * workgroups few; beyond that the per-step kernels, which read W_hh once per step across all
   * rows, win.
   */
  private persistent(B: number): { KS: number; WGS: number } | null {
    if (this.variant !== 'gpu' || !this.allowPersistent) return null;
    const H = this.cfg.hiddenSize;
    const GH = this.G * H;
    const lim = this.device.limits;
    const maxInv = Math.min(lim.maxComputeInvocationsPerWorkgroup, lim.maxComputeWorkgroupSizeX);
    const whhBytes = GH * H * 4;
    if (H > maxInv || whhBytes > GpuBackend.PERSISTENT_MAX_WHH || Math.ceil(B / 4) * whhBytes > GpuBackend.PERSISTENT_MAX_TRAFFIC) return null;
    const fits = (ks: number): boolean =>
      H * ks <= maxInv &&
      (ks === 1 || Math.ceil(H / ks) >= 16) &&
      16 * (H + Math.max(1, (ks - 1) * GH)) <= lim.maxComputeWorkgroupStorageSize &&
      16 * (GH + Math.max(1, (ks - 1) * H)) <= lim.maxComputeWorkgroupStorageSize;
    const KS = [8, 4, 2, 1].find(fits);
    return KS ? { KS, WGS: H * KS } : null;
  }

  /**
   * W_hh bytes up to which a layer's recurrence may run in one dispatch (see persistent()). On the
   * H100 (bench/RESULTS.md, run 2): RNN H256 B32, W_hh 256 KiB, 1.62 ms per train step in one
   * dispatch against 2.93 per step; GRU H512 B32, W_hh 3 MiB, 6.74 against 4.35.
   */
  private static readonly PERSISTENT_MAX_WHH = 2 ** 20;
  /** W_hh bytes all workgroups together may stream per step. */
  private static readonly PERSISTENT_MAX_TRAFFIC = 64 * 2 ** 20;

  /**
   * Whether the team kernels run a layer's recurrence in one dispatch per direction (team_seq,
   * back_team_seq) instead of one per time step. SwiftShader here pays about 0.3 ms a dispatch
   * that does work (a forward recurrence of RNN H128 B32 T64: 0.72× the time of its 64 per-step
   * dispatches, bench/RESULTS.md), but runs a workgroup on one worker thread, and the sequence
   * form has only ⌈B / 8⌉ workgroups (row blocks): so it is taken while those are at least
   * half the logical cores (navigator.hardwareConcurrency where known, else 2).
   */
  private teamSequence(B: number): boolean {
    if (!this.team || !this.allowPersistent) return false;
    const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 2;
    return 2 * Math.ceil(B / 8) >= cores;
  }

  /**
   * Whether layer k's step kernels read their input pre-activations straight from the token ids
   * (shaders/step.wgsl A_TOKENS) instead of a projection pass: the team kernels' layer 0 of one-hot
   * inputs (the pass wrote and the step read back T·B·G·H floats; SwiftShader pays per load).
   */
  private fusesTokens(ws: Workspace, u: number): boolean {
    return this.team && u < this.D && ws.tokens && this.lay.emb < 0;
  }

  /** The token ids direction d reads: as given, or reversed within each row's length. */
  private idsOf(ws: Workspace, d: number): GPUBuffer {
    return d ? ws.general!.idsRev : ws.ids;
  }

  /**
   * The team kernels' one-dispatch recurrence of layer k. Where its product is short enough to be
   * written out (K = H forward, G·H backward, at most ROW_MAX_K), the one-row form (shaders/rows.wgsl:
   * a workgroup per batch row, 0.5–0.6× the time of the other on SwiftShader); else the team tile
   * (step_team.wgsl team_seq, bptt_team.wgsl back_team_seq: a workgroup per 8 batch rows).
   */
  private teamSequenceOp(ws: Workspace, k: number, dir: 'forward' | 'backward'): Op {
    const { c, bufs } = dir === 'forward' ? this.stepArgs(ws, k) : this.backArgs(ws, k);
    const H = this.cfg.hiddenSize;
    const K = dir === 'forward' ? H : this.G * H;
    // an invocation's columns: the gates of ⌊8 / G⌋ units forward, 8 units backward
    const units = dir === 'forward' ? Math.floor(8 / this.G) : 8;
    const ROW_WG = 4 * Math.ceil(H / units / 4);
    if (K <= ROW_MAX_K && this.rowWorkgroupFits(ROW_WG) && ws.B <= this.device.limits.maxComputeWorkgroupsPerDimension) {
      return this.op(dir === 'forward' ? 'stepRowSeq' : 'backRowSeq', { ...c, ROW_WG, ROW_K: K }, bufs, [ws.B, 1], ws, ws.T);
    }
    return this.op(dir === 'forward' ? 'stepTeamSeq' : 'backTeamSeq', { ...c, TEAM_WG: 4 }, bufs, [Math.ceil(ws.B / 8), 1], ws, ws.T);
  }

  /** W_hhᵀ per layer for the one-dispatch forward, refreshed by each forward (transposeOp). */
  private readonly whhT: GPUBuffer[] = [];

  private transposeOp(k: number): Op {
    const l = this.lay.layers[k];
    const H = this.cfg.hiddenSize;
    const GH = this.G * H;
    this.whhT[k] ??= this.owner.storage(`W_hh^T l${k}`, GH * H);
    return this.op('transpose', { ROWS: GH, COLS: H, OFF: l.whh, LD: l.whhLd }, [this.params, this.whhT[k]], GH * H, null);
  }

  private sequenceOp(ws: Workspace, k: number, dir: 'forward' | 'backward', p: { KS: number; WGS: number }): Op {
    const l = this.lay.layers[k];
    const H = this.cfg.hiddenSize;
    const GH = this.G * H;
    const c = {
      H, B: ws.B, CELL: this.cellCode(), ACT: this.actCode(), WHH_OFF: l.whh, WHH_LD: l.whhLd, BHH_OFF: l.bhh,
      HAS_BHH: l.hasBhh, KS: p.KS, WGS: p.WGS, SV: dir === 'forward' ? H : GH,
      PART: Math.max(1, (p.KS - 1) * (dir === 'forward' ? GH : H)),
    };
    const bufs = [this.params, ws.A[k], ws.hs[k], ws.cs[k], ws.cache[k], ws.dH[k], ws.dAR, ws.carry[k], dir === 'forward' ? this.whhT[k] : this.dummy];
    return this.op(dir === 'forward' ? 'seqForward' : 'seqBackward', c, bufs, [Math.ceil(ws.B / 4), 1], ws, ws.T);
  }

  // ---- the general plan: embeddings, bidirectional stacks, lengths, dropout, no head ------------

  /**
   * Whether a call takes the general plan: the model needs it (an embedding, two directions, no
   * head, no biases… anything but the classic stack), or the call has lengths or dropout masks.
   */
  private generalMode(input: SeqInput, masks: DropoutMasks | null): { masked: boolean; inputMask: boolean } | null {
    const c = this.cfg;
    // the tutorial model (no dropout; its head reads h_{t-1}, so nothing past a length reaches a
    // real output) takes lengths in the classic plan: weighted loss rows, h_n per row
    if (c.cell === 'tutorial') return null;
    const needs = c.embeddingDim > 0 || c.bidirectional || !c.head || !c.bias;
    const masked = !!input.lengths || !!masks;
    if (!needs && !masked) return null;
    return { masked, inputMask: !!masks?.input };
  }

  /** x: the float inputs' buffer (the dummy for token ids), layer 0's input itself when no input dropout applies. */
  private generalShape(B: number, T: number, x: GPUBuffer, g: { masked: boolean; inputMask: boolean }): GeneralShape {
    const M = B * T;
    const { hiddenSize: H, numLayers: L } = this.cfg;
    const DH = this.D * H;
    const s = (label: string, n: number): GPUBuffer => this.owner.storage(label, n);
    const two = this.D === 2;
    const tokens = x === this.dummy;
    const hasX0 = !tokens || this.lay.emb >= 0;
    const maxI = Math.max(DH, layerInputSize(this.cfg, 0));
    return {
      masked: g.masked,
      inputMask: g.inputMask,
      rev: two ? s('row reversal', M) : this.dummy,
      idsRev: two && tokens ? s('input ids reversed', M) : this.dummy,
      idsByTokenRev: this.dummy, // CPU adapters, allocated with the first upload
      X: Array.from({ length: L + 1 }, (_, k) =>
        (k === 0 && !hasX0) || (k === L && !this.cfg.head)
          ? this.dummy
          : k === 0 && !tokens && !g.inputMask
            ? x
            : s(`input of layer ${k}`, M * (k === 0 ? layerInputSize(this.cfg, 0) : DH)),
      ),
      Xr: Array.from({ length: L }, (_, k) => (two && (k > 0 || hasX0) ? s(`input of layer ${k}, reversed`, M * layerInputSize(this.cfg, k)) : this.dummy)),
      maskIn: g.inputMask ? s('input dropout', M * layerInputSize(this.cfg, 0)) : this.dummy,
      maskL: Array.from({ length: L + 1 }, (_, k) => (g.masked && k > 0 ? s(`mask of layer ${k}`, M * DH) : this.dummy)),
      dZ: s('d output', M * DH),
      dX: s('d input', M * maxI),
      dXr: two ? s('d input, reversed', M * maxI) : this.dummy,
    };
  }

  /**
   * out[r] (+)= src[i(r)] ⊙ mask over M rows of C floats (shaders/route.wgsl gather); `idx` null
   * for the identity, `mask` [buffer, leading dimension, offset, indexed by the source row] or null.
   */
  private route(
    M: number, C: number,
    src: [GPUBuffer, number, number], // buffer, offset, leading dimension
    idx: GPUBuffer | null,
    out: [GPUBuffer, number, number],
    mask: [GPUBuffer, number, number, boolean] | null = null,
    acc = false,
  ): Op {
    const c = {
      ROWS: M, C, IN_OFF: src[1], LD_IN: src[2], OUT_OFF: out[1], LD_OUT: out[2], ACC: acc, IDENTITY: idx === null,
      HAS_MASK: mask !== null, LD_MASK: mask?.[1] ?? 1, MASK_OFF: mask?.[2] ?? 0, MASK_BY_SRC: mask?.[3] ?? false,
    };
    return this.op('routeGather', c, [src[0], idx ?? this.dummy, mask?.[0] ?? this.dummy, out[0]], M * C, null);
  }

  /** Unit u's recurrence: in one dispatch (the GPU or team form) or one dispatch per step. */
  private recurrence(ws: Workspace, u: number, plan: Plan): void {
    const p = this.persistent(ws.B);
    if (p) plan.push(this.transposeOp(u), this.sequenceOp(ws, u, 'forward', p));
    else if (this.teamSequence(ws.B)) plan.push(this.teamSequenceOp(ws, u, 'forward'));
    else for (let t = 0; t < ws.T; t++) plan.push(this.stepOp(ws, u, t));
  }

  /** Unit u's BPTT, the same forms, and d h0 (d c0) into its carry buffer. */
  private bptt(ws: Workspace, u: number, plan: Plan): void {
    const p = this.persistent(ws.B);
    if (p) plan.push(this.sequenceOp(ws, u, 'backward', p));
    else if (this.teamSequence(ws.B)) plan.push(this.teamSequenceOp(ws, u, 'backward'));
    else {
      for (let t = ws.T - 1; t >= 0; t--) plan.push(this.backOp(ws, u, t, false));
      plan.push(this.backOp(ws, u, 0, true));
    }
  }

  /**
   * The general forward, time-major, M = T·B rows. Layer 0's input X_0 is the embedding's rows (a
   * gather from the parameters by token id, times the input dropout), the floats (their own buffer,
   * or a copy times the input dropout), or none for one-hot ids (the column gather, as in the
   * classic plan). Each unit u = k·D + d projects its input (the reverse direction a per-row
   * reversal of it, X_r) and runs its recurrence; the reverse direction keeps its states in the
   * order it took its steps. Layer k's output X_{k+1}
   * [M, D·H] is both directions' states routed back to time order, times the mask of the next
   * layer's input (dropout ⊙ lengths); the top's goes to the head (or is the output).
   */
  private generalForwardPlan(ws: Workspace): Plan {
    const g = ws.general!;
    const { hiddenSize: H, numLayers: L, outputSize: O } = this.cfg;
    const { B, T } = ws;
    const M = B * T;
    const D = this.D;
    const DH = D * H;
    const GH = this.G * H;
    const I0 = layerInputSize(this.cfg, 0);
    const plan: Plan = [];
    const inMask: [GPUBuffer, number, number, boolean] | null = g.inputMask ? [g.maskIn, I0, 0, false] : null;
    if (this.lay.emb >= 0) plan.push(this.route(M, I0, [this.params, this.lay.emb, I0], ws.ids, [g.X[0], 0, I0], inMask));
    else if (g.X[0] !== ws.x) plan.push(this.route(M, I0, [ws.x, 0, I0], null, [g.X[0], 0, I0], inMask));
    const hasX0 = g.X[0] !== this.dummy;
    for (let k = 0; k < L; k++) {
      const Ik = layerInputSize(this.cfg, k);
      const hasX = k > 0 || hasX0;
      if (D === 2 && hasX) plan.push(this.route(M, Ik, [g.X[k], 0, Ik], g.rev, [g.Xr[k], 0, Ik]));
      for (let d = 0; d < D; d++) {
        const u = k * D + d;
        const l = this.lay.layers[u];
        if (!hasX) {
          if (!this.fusesTokens(ws, u)) plan.push(this.projOp(ws, u, T, T));
        } else plan.push(...this.gemm(M, GH, Ik, [d ? g.Xr[k] : g.X[k], 0, Ik, 1], [this.params, l.wih, 1, l.wihLd], [ws.A[u], 0, GH], l.bih));
        this.recurrence(ws, u, plan);
      }
      const out = k === L - 1 && !this.cfg.head ? ws.logits : g.X[k + 1];
      for (let d = 0; d < D; d++) {
        const mask: [GPUBuffer, number, number, boolean] | null = g.masked ? [g.maskL[k + 1], DH, d * H, false] : null;
        plan.push(this.route(M, H, [ws.hs[k * D + d], B * H, H], d ? g.rev : null, [out, d * H, DH], mask));
      }
    }
    if (this.cfg.head) plan.push(...this.gemm(M, O, DH, [g.X[L], 0, DH, 1], [this.params, this.lay.fcW, 1, this.lay.fcLd], [ws.logits, 0, O], this.lay.fcb));
    return plan;
  }

  /**
   * The general backward: the head (d fc.weight, d fc.bias, and d Z = dlogits · fc.weight), then
   * from the top layer down: d output routed into each unit's dH (times the mask, in the unit's
   * step order), BPTT, the unit's weight gradients, its share of d input (d A · W_ih; the reverse
   * direction's routed back to time order and added), and last the embedding's gradient, a
   * scatter-add over the rows grouped by token (after a tied head's share).
   */
  private generalBackwardPlan(ws: Workspace): Plan {
    const g = ws.general!;
    const { hiddenSize: H, numLayers: L, outputSize: O, inputSize: I } = this.cfg;
    const { B, T } = ws;
    const M = B * T;
    const D = this.D;
    const DH = D * H;
    const GH = this.G * H;
    const lay = this.lay;
    const plan: Plan = [];
    const part = this.colPartials(ws);
    for (const d of ws.dH) plan.push({ kind: 'clear', buffer: d });
    let dOut = ws.dlogits;
    if (this.cfg.head) {
      plan.push(...this.gemm(M, DH, O, [ws.dlogits, 0, O, 1], [this.params, lay.fcW, lay.fcLd, 1], [g.dZ, 0, DH]));
      plan.push(...this.gemm(O, DH, M, [ws.dlogits, 0, 1, O], [g.X[L], 0, DH, 1], [this.grads, lay.fcW, lay.fcLd], null, ws));
      plan.push(...this.colBias(part, M, O, ws.dlogits, 0, lay.fcb));
      dOut = g.dZ;
    }
    const hasX0 = g.X[0] !== this.dummy;
    for (let k = L - 1; k >= 0; k--) {
      // d (layer k's output) into its units' dH, in each unit's step order
      for (let d = 0; d < D; d++) {
        const mask: [GPUBuffer, number, number, boolean] | null = g.masked ? [g.maskL[k + 1], DH, d * H, true] : null;
        plan.push(this.route(M, H, [dOut, d * H, DH], d ? g.rev : null, [ws.dH[k * D + d], B * H, H], mask));
      }
      const Ik = layerInputSize(this.cfg, k);
      const hasX = k > 0 || hasX0;
      const needDX = k > 0 || lay.emb >= 0;
      for (let d = 0; d < D; d++) {
        const u = k * D + d;
        const l = lay.layers[u];
        this.bptt(ws, u, plan);
        // dW_ih = dAᵀ · X (the direction's own input), or the one-hot columns
        if (!hasX) plan.push(...this.colTokens(ws, part, M, GH, ws.dAR, I, l.wih, l.wihLd, d));
        else plan.push(...this.gemm(GH, Ik, M, [ws.dAR, 0, 1, GH], [d ? g.Xr[k] : g.X[k], 0, Ik, 1], [this.grads, l.wih, l.wihLd], null, ws));
        const dR = this.cfg.cell === 'gru' ? M * GH : 0;
        plan.push(...this.colBias(part, M, GH, ws.dAR, 0, l.bih, dR === 0 ? l.bhh : null));
        plan.push(...this.gemm(GH, H, M, [ws.dAR, dR, 1, GH], [ws.hs[u], 0, H, 1], [this.grads, l.whh, l.whhLd], null, ws));
        if (dR !== 0) plan.push(...this.colBias(part, M, GH, ws.dAR, dR, l.bhh));
        // d input = dA · W_ih, in the direction's step order
        if (needDX) plan.push(...this.gemm(M, Ik, GH, [ws.dAR, 0, GH, 1], [this.params, l.wih, l.wihLd, 1], [d ? g.dXr : g.dX, 0, Ik]));
        plan.push({ kind: 'copy', src: ws.carry[u], srcOff: 0, dst: ws.dh0, dstOff: u * B * H * 4, bytes: B * H * 4 });
        if (this.cfg.cell === 'lstm') plan.push({ kind: 'copy', src: ws.carry[u], srcOff: B * H * 4, dst: ws.dc0, dstOff: u * B * H * 4, bytes: B * H * 4 });
      }
      if (needDX && D === 2) plan.push(this.route(M, Ik, [g.dXr, 0, Ik], g.rev, [g.dX, 0, Ik], null, true));
      if (k > 0) dOut = g.dX;
      else if (lay.emb >= 0) {
        // d E[v] = Σ_{rows of token v} d X_0 ⊙ input mask, after the tied head's share
        const c = { ROWS: M, C: Ik, V: I, LD_IN: Ik, OUT_OFF: lay.emb, ACC: this.cfg.tied, HAS_MASK: g.inputMask, LD_MASK: Ik };
        plan.push(this.op('routeScatter', c, [g.dX, ws.idsByToken, g.inputMask ? g.maskIn : this.dummy, this.grads], I * Ik, null));
      }
    }
    return plan;
  }

  private forwardPlan(ws: Workspace): Plan {
    if (ws.general) return this.generalForwardPlan(ws);
    const { hiddenSize: H, inputSize: I, outputSize: O, numLayers: L } = this.cfg;
    const { B, T } = ws;
    const M = T * B;
    const GH = this.G * H;
    const plan: Plan = [];
    for (let k = 0; k < L; k++) {
      const l = this.lay.layers[k];
      if (k === 0 && ws.tokens) {
        // the column gather (the team kernels' step gathers W_ih's columns itself)
        if (!this.fusesTokens(ws, k)) plan.push(this.projOp(ws, 0, T, T));
      } else {
        // A_k [M, G·H] = X [M, I_k] · W_ihᵀ + b_ih; X = x, or the layer below's h_1..h_T
        const X: [GPUBuffer, number, number, number] = k === 0 ? [ws.x, 0, I, 1] : [ws.hs[k - 1], B * H, H, 1];
        plan.push(...this.gemm(M, GH, k === 0 ? I : H, X, [this.params, l.wih, 1, l.wihLd], [ws.A[k], 0, GH], l.bih));
      }
      this.recurrence(ws, k, plan);
    }
    if (this.lay.fcWx >= 0) plan.push(this.headOp(ws, T, T));
    else plan.push(...this.gemm(M, O, H, [ws.hs[L - 1], B * H, H, 1], [this.params, this.lay.fcW, 1, this.lay.fcLd], [ws.logits, 0, O], this.lay.fcb));
    return plan;
  }

  /** weighted: variable lengths, the rows' weights (and nll_last's targets per row) from upload(). */
  private lossPlan(ws: Workspace, loss: LossKind, weighted = false): Plan {
    const code = loss === 'mse' ? 2 : loss === 'nll_last' && !weighted ? 1 : 0;
    const w = weighted ? ws.lossWeights : this.dummy;
    return [
      this.op('loss', { O: this.cfg.outputSize, B: ws.B, LOSS: code, WEIGHTED: weighted }, [ws.logits, ws.yIds, ws.yf, ws.dlogits, ws.rowLoss, w], ws.B * ws.T, ws, ws.T),
      ...this.reduceOps(ws.rowLoss, ws.B * ws.T, false, 0, this.lossPartials(ws)),
    ];
  }

  /** Partials of the loss sum over B·T rows, when that takes more than one workgroup. */
  private lossPartials(ws: Workspace): GPUBuffer {
    const { groups } = this.reduceSlices(ws.B * ws.T);
    if (groups === 1) return this.dummyRw();
    const b = this.owner.storage('loss partials', groups);
    ws.extra.push(b);
    return b;
  }

  /** Head backward, then BPTT layer by layer from the top, then every weight gradient. */
  private backwardPlan(ws: Workspace): Plan {
    if (ws.general) return this.generalBackwardPlan(ws);
    const { hiddenSize: H, inputSize: I, outputSize: O, numLayers: L } = this.cfg;
    const { B, T } = ws;
    const M = T * B;
    const GH = this.G * H;
    const lay = this.lay;
    const tut = lay.fcWx >= 0;
    const headSlot = tut ? 0 : B * H; // the head reads h_{t-1} (tutorial) or h_t
    const plan: Plan = [];
    const part = this.colPartials(ws);
    for (const d of ws.dH) plan.push({ kind: 'clear', buffer: d });
    // head: dH_top = dlogits · fcW; d fc.weight = dlogitsᵀ · H_top; d fc.bias = Σ_rows dlogits
    plan.push(...this.gemm(M, H, O, [ws.dlogits, 0, O, 1], [this.params, lay.fcW, lay.fcLd, 1], [ws.dH[L - 1], headSlot, H]));
    plan.push(...this.gemm(O, H, M, [ws.dlogits, 0, 1, O], [ws.hs[L - 1], headSlot, H, 1], [this.grads, lay.fcW, lay.fcLd], null, ws));
    plan.push(...this.colBias(part, M, O, ws.dlogits, 0, lay.fcb));
    if (tut) {
      // the tutorial head's x part: i2o.weight[:, :I]
      if (ws.tokens) plan.push(...this.colTokens(ws, part, M, O, ws.dlogits, I, lay.fcWx, lay.fcLd));
      else plan.push(...this.gemm(O, I, M, [ws.dlogits, 0, 1, O], [ws.x, 0, I, 1], [this.grads, lay.fcWx, lay.fcLd], null, ws));
    }
    for (let k = L - 1; k >= 0; k--) {
      const l = lay.layers[k];
      this.bptt(ws, k, plan);
      // dW_ih = dAᵀ · X (X = x, or the layer below's h_1..h_T)
      if (k === 0 && ws.tokens) plan.push(...this.colTokens(ws, part, M, GH, ws.dAR, I, l.wih, l.wihLd));
      else {
        const X: [GPUBuffer, number, number, number] = k === 0 ? [ws.x, 0, I, 1] : [ws.hs[k - 1], B * H, H, 1];
        plan.push(...this.gemm(GH, k === 0 ? I : H, M, [ws.dAR, 0, 1, GH], X, [this.grads, l.wih, l.wihLd], null, ws));
      }
      // db_ih = Σ dA; db_hh = Σ dR, the same sum unless dR is the GRU's own
      const dR = this.cfg.cell === 'gru' ? M * GH : 0;
      plan.push(...this.colBias(part, M, GH, ws.dAR, 0, l.bih, l.hasBhh && dR === 0 ? l.bhh : null));
      // dW_hh = dRᵀ · H_prev (h_0..h_{T-1})
      plan.push(...this.gemm(GH, H, M, [ws.dAR, dR, 1, GH], [ws.hs[k], 0, H, 1], [this.grads, l.whh, l.whhLd], null, ws));
      if (l.hasBhh && dR !== 0) plan.push(...this.colBias(part, M, GH, ws.dAR, dR, l.bhh));
      // the layer below's share: dH_{k-1}[slot t+1] = dA · W_ih
      if (k > 0) plan.push(...this.gemm(M, H, GH, [ws.dAR, 0, GH, 1], [this.params, l.wih, l.wihLd, 1], [ws.dH[k - 1], B * H, H]));
      plan.push({ kind: 'copy', src: ws.carry[k], srcOff: 0, dst: ws.dh0, dstOff: k * B * H * 4, bytes: B * H * 4 });
      if (this.cfg.cell === 'lstm') plan.push({ kind: 'copy', src: ws.carry[k], srcOff: B * H * 4, dst: ws.dc0, dstOff: k * B * H * 4, bytes: B * H * 4 });
    }
    return plan;
  }

  private updatePlan(): Plan {
    const o = this.opts!;
    const n = this.lay.total;
    return [
      ...this.reduceOps(this.grads, n, true, 1, this.gradPartials),
      // SGD has no second moment: its v binding is a placeholder
      this.op('optim', { COUNT: n, ADAM: o.optimizer.type === 'adam', CLIP: o.clip !== null }, [this.params, this.grads, this.m, o.optimizer.type === 'adam' ? this.v : this.dummyRw(), this.scalars, this.optUniform], n, null),
    ];
  }

  private cachedPlan(ws: Workspace, key: string, make: () => Plan): Plan {
    let p = ws.plans.get(key);
    if (!p) {
      p = make();
      ws.plans.set(key, p);
    }
    return p;
  }

  private lastDispatches = 0;
  private lastBatch = 0;
  private submitsThisCall = 0;

  stats(): BackendStats {
    const form = this.lastBatch && (this.persistent(this.lastBatch) || this.teamSequence(this.lastBatch)) ? 'sequence' : 'per-step';
    return { dispatches: this.lastDispatches, submits: this.submitsThisCall, gpuBytes: this.owner.bytes, kernels: `${this.team ? 'cpu-team' : this.variant}/${form}` };
  }

  /** One recorded dispatch into a compute pass (bench/profile.ts times each in a pass of its own). */
  private dispatch(pass: GPUComputePassEncoder, op: Extract<Op, { kind: 'dispatch' }>): void {
    pass.setPipeline(op.pipeline);
    if (op.offset === null) pass.setBindGroup(0, op.bind);
    else pass.setBindGroup(0, op.bind, [op.offset]);
    pass.dispatchWorkgroups(op.x, op.y);
  }

  private encode(enc: GPUCommandEncoder, plan: Plan): void {
    this.lastDispatches = plan.reduce((n, op) => n + (op.kind === 'dispatch' ? 1 : 0), 0);
    this.submitsThisCall = 0;
    let pass: GPUComputePassEncoder | null = null;
    for (const op of plan) {
      if (op.kind === 'dispatch') {
        pass ??= enc.beginComputePass();
        this.dispatch(pass, op);
        continue;
      }
      pass?.end();
      pass = null;
      if (op.kind === 'clear') enc.clearBuffer(op.buffer);
      else enc.copyBufferToBuffer(op.src, op.srcOff, op.dst, op.dstOff, op.bytes);
    }
    pass?.end();
  }

  // ---- inputs, state ----------------------------------------------------------------------------

  /**
   * Inputs and targets, time-major; returns the ids as uploaded (null for floats). The rows grouped
   * by token go up for the CPU adapters' column gradients and for an embedding's scatter-add.
   */
  private upload(ws: Workspace, input: SeqInput, targets?: SeqTargets): Uint32Array<ArrayBuffer> | null {
    const q = this.device.queue;
    const { B, T } = ws;
    const { inputSize: I, outputSize: O } = this.cfg;
    let ids: Uint32Array<ArrayBuffer> | null = null;
    if (input.ids) {
      ids = timeMajor(new Uint32Array(B * T), input.ids, B, T, 1);
      q.writeBuffer(ws.ids, 0, ids);
      if (this.variant === 'cpu' || this.lay.emb >= 0) {
        if (ws.idsByToken === this.dummy) ws.idsByToken = this.owner.storage('input rows by token', this.cfg.inputSize + 1 + B * T);
        q.writeBuffer(ws.idsByToken, 0, rowsByToken(ids, this.cfg.inputSize));
      }
    } else q.writeBuffer(ws.x, 0, timeMajor(new Float32Array(B * T * I), input.x!, B, T, I));
    // nll_last targets are one per sequence [B]: no time axis to move
    if (targets?.ids && ws.yIds === this.dummy) ws.yIds = this.owner.storage('target ids', B * T);
    if (targets?.y && ws.yf === this.dummy) ws.yf = this.owner.storage('target y', B * T * O);
    if (targets?.ids) {
      const perStep = targets.ids.length === B * T;
      q.writeBuffer(ws.yIds, 0, perStep ? timeMajor(new Uint32Array(B * T), targets.ids, B, T, 1) : Uint32Array.from(targets.ids));
    }
    if (targets?.y) q.writeBuffer(ws.yf, 0, timeMajor(new Float32Array(B * T * O), targets.y, B, T, O));
    return ids;
  }

  private ensureStateBuffers(B: number): void {
    if (this.stateH && this.stateBatch === B) return;
    for (const b of [this.stateH, this.stateC]) if (b) this.owner.release(b);
    const n = this.units * B * this.cfg.hiddenSize;
    this.stateH = this.owner.storage('state h', n);
    this.stateC = hasCellState(this.cfg) ? this.owner.storage('state c', n) : null;
    this.stateBatch = B;
    this.carriedValid = false;
  }

  private carriedValid = false;

  /**
   * Writes h0 (c0) into slot 0 of every unit, and records copying h_n (c_n) out afterwards: slot T,
   * or with lengths each row's slot len_b (the state after its last real step, in either
   * direction, since a reverse unit keeps its states in the order it took its steps).
   */
  private stateOps(ws: Workspace, state: StateSource, lengths?: Int32Array): { before: Plan; after: Plan } {
    this.ensureStateBuffers(ws.B);
    const { B, T } = ws;
    const bytes = B * this.cfg.hiddenSize * 4;
    const before: Plan = [];
    const after: Plan = [];
    const lstm = hasCellState(this.cfg);
    if (state.kind === 'given') {
      this.device.queue.writeBuffer(this.stateH!, 0, Float32Array.from(state.state.h));
      if (lstm) this.device.queue.writeBuffer(this.stateC!, 0, state.state.c ? Float32Array.from(state.state.c) : new Float32Array(this.units * B * this.cfg.hiddenSize));
    } else if (state.kind === 'zeros' || !this.carriedValid) {
      before.push({ kind: 'clear', buffer: this.stateH! });
      if (lstm) before.push({ kind: 'clear', buffer: this.stateC! });
    }
    const row = this.cfg.hiddenSize * 4;
    const out = (src: GPUBuffer, dst: GPUBuffer, k: number): void => {
      if (!lengths) {
        after.push({ kind: 'copy', src, srcOff: T * bytes, dst, dstOff: k * bytes, bytes });
        return;
      }
      for (let b = 0; b < B; b++) after.push({ kind: 'copy', src, srcOff: lengths[b] * bytes + b * row, dst, dstOff: k * bytes + b * row, bytes: row });
    };
    for (let k = 0; k < this.units; k++) {
      before.push({ kind: 'copy', src: this.stateH!, srcOff: k * bytes, dst: ws.hs[k], dstOff: 0, bytes });
      out(ws.hs[k], this.stateH!, k);
      if (lstm) {
        before.push({ kind: 'copy', src: this.stateC!, srcOff: k * bytes, dst: ws.cs[k], dstOff: 0, bytes });
        out(ws.cs[k], this.stateC!, k);
      }
    }
    this.carriedValid = true;
    return { before, after };
  }

  /** Submits one command buffer; validation errors reject instead of being printed and lost. */
  private async submit(enc: GPUCommandEncoder): Promise<void> {
    this.device.pushErrorScope('validation');
    this.submitsThisCall++;
    this.device.queue.submit([enc.finish()]);
    const err = await this.device.popErrorScope();
    if (err) throw new Error(`WebGPU validation error in webrnn: ${err.message}`);
  }

  private async read(buf: GPUBuffer, floats: number, offset = 0): Promise<Float32Array> {
    return readBack(this.device, this.owner, buf, offset * 4, floats * 4);
  }

  // ---- the Backend contract ---------------------------------------------------------------------

  /** Every call's start: its workspace, the inputs (and targets) uploaded, the state copied in and out. */
  private begin(input: SeqInput, state: StateSource, targets?: SeqTargets, masks: DropoutMasks | null = null): { ws: Workspace; before: Plan; after: Plan } {
    const ws = this.workspace(input.batch, input.steps, !!input.ids, this.generalMode(input, masks));
    const ids = this.upload(ws, input, targets);
    if (ws.general) this.uploadRoutes(ws, input, ids, masks);
    if (input.lengths && targets) this.uploadLossWeights(ws, input, targets);
    return { ws, ...this.stateOps(ws, state, input.lengths) };
  }

  /**
   * The general plan's per-call data: each row's reversal and the reversed ids (D = 2, from the
   * time-major `ids` upload() wrote), and the masks (dropout ⊙ lengths, time-major).
   */
  private uploadRoutes(ws: Workspace, input: SeqInput, ids: Uint32Array<ArrayBuffer> | null, masks: DropoutMasks | null): void {
    const g = ws.general!;
    const q = this.device.queue;
    const { B, T } = ws;
    const M = B * T;
    const { hiddenSize: H, numLayers: L, inputSize: V } = this.cfg;
    const DH = this.D * H;
    const len = (b: number): number => (input.lengths ? input.lengths[b] : T);
    if (this.D === 2) {
      const rev = new Uint32Array(M);
      for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) rev[t * B + b] = t < len(b) ? (len(b) - 1 - t) * B + b : t * B + b;
      q.writeBuffer(g.rev, 0, rev);
      if (ids) {
        const idsRev = rev.map((i) => ids[i]);
        q.writeBuffer(g.idsRev, 0, idsRev);
        if (this.variant === 'cpu') {
          if (g.idsByTokenRev === this.dummy) g.idsByTokenRev = this.owner.storage('input rows by token, reversed', V + 1 + M);
          q.writeBuffer(g.idsByTokenRev, 0, rowsByToken(idsRev, V));
        }
      }
    }
    if (g.masked) {
      for (let k = 1; k <= L; k++) {
        const drop = k < L ? masks?.layers[k] : masks?.output;
        const m = new Float32Array(M * DH);
        for (let b = 0; b < B; b++) {
          for (let t = 0; t < len(b); t++) {
            for (let j = 0; j < DH; j++) m[(t * B + b) * DH + j] = drop ? drop[(b * T + t) * DH + j] : 1;
          }
        }
        q.writeBuffer(g.maskL[k], 0, m);
      }
    }
    if (g.inputMask) {
      const I0 = layerInputSize(this.cfg, 0);
      q.writeBuffer(g.maskIn, 0, timeMajor(new Float32Array(M * I0), masks!.input!, B, T, I0));
    }
  }

  /**
   * With lengths, the loss rows' weights (1 / real rows, 0 past a length; nll_last: 1 / B at each
   * row's last real step, with its target put there) and the targets per row.
   */
  private uploadLossWeights(ws: Workspace, input: SeqInput, targets: SeqTargets): void {
    const q = this.device.queue;
    const { B, T } = ws;
    const M = B * T;
    const O = this.cfg.outputSize;
    const len = (b: number): number => input.lengths![b];
    if (ws.lossWeights === this.dummy) ws.lossWeights = this.owner.storage('loss weights', M);
    const w = new Float32Array(M);
    let real = 0;
    for (let b = 0; b < B; b++) real += len(b);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < len(b); t++) {
        if (targets.y) w[t * B + b] = 1 / (real * O);
        else if (targets.ids!.length === M) w[t * B + b] = 1 / real;
        else if (t === len(b) - 1) w[t * B + b] = 1 / B;
      }
    }
    q.writeBuffer(ws.lossWeights, 0, w);
    if (targets.ids) {
      // per row, 0 past a length (padding targets may hold anything)
      const y = new Uint32Array(M);
      for (let b = 0; b < B; b++) {
        if (targets.ids.length === M) for (let t = 0; t < len(b); t++) y[t * B + b] = targets.ids[b * T + t];
        else y[(len(b) - 1) * B + b] = targets.ids[b];
      }
      q.writeBuffer(ws.yIds, 0, y);
    }
  }

  async predict(input: SeqInput, state: StateSource): Promise<PredictResult> {
    const { ws, before, after } = this.begin(input, state);
    const enc = this.device.createCommandEncoder();
    this.encode(enc, [...before, ...ws.forward, ...after]);
    return this.paced(callKind('predict', ws), enc, () => this.readOutputs(ws, input.lengths));
  }

  /**
   * The head's output (batch-first) and the state the call ended in. The tutorial model's outputs
   * past a row's length are zero (its states there ran on padding).
   */
  private async readOutputs(ws: Workspace, lengths?: Int32Array): Promise<PredictResult> {
    const { B, T } = ws;
    const { outputSize: O, hiddenSize: H } = this.cfg;
    const L = this.units;
    const logits = batchFirst(new Float64Array(B * T * O), await this.read(ws.logits, B * T * O), B, T, O);
    if (lengths && this.cfg.cell === 'tutorial') for (let b = 0; b < B; b++) logits.fill(0, (b * T + lengths[b]) * O, (b + 1) * T * O);
    const hN = Float64Array.from(await this.read(this.stateH!, L * B * H));
    const cN = this.stateC ? Float64Array.from(await this.read(this.stateC, L * B * H)) : null;
    return { logits, hN, cN };
  }

  async forward(input: SeqInput, state: StateSource): Promise<ForwardResult> {
    const { ws, before, after } = this.begin(input, state);
    const enc = this.device.createCommandEncoder();
    this.encode(enc, [...before, ...ws.forward, ...after]);
    return this.paced(callKind('forward', ws), enc, () => this.readForward(ws, input.lengths));
  }

  /**
   * Submits `enc` and reads its results back with `read`, after the pacer's pause for this kind
   * of call (GpuOptions.paceWaits).
   */
  private async paced<R>(kind: string, enc: GPUCommandEncoder, read: () => Promise<R>): Promise<R> {
    const t0 = performance.now();
    await this.submit(enc);
    await this.pacer.beforeWait(kind, t0);
    const out = await read();
    this.pacer.done(kind, t0);
    return out;
  }

  /** Every layer's states [L, B, T, D·H], batch-first, in time order, zero past a row's length. */
  private async readForward(ws: Workspace, lengths?: Int32Array): Promise<ForwardResult> {
    const { B, T } = ws;
    const { hiddenSize: H, numLayers: L } = this.cfg;
    const D = this.D;
    const seq = async (bufs: GPUBuffer[]): Promise<Float64Array> => {
      const out = new Float64Array(L * B * T * D * H);
      for (let u = 0; u < this.units; u++) {
        const k = Math.floor(u / D);
        const d = u % D;
        const s = await this.read(bufs[u], (T + 1) * B * H);
        for (let b = 0; b < B; b++) {
          const len = lengths ? lengths[b] : T;
          for (let t = 0; t < len; t++) {
            const slot = (d ? len - 1 - t : t) + 1; // a reverse unit's states are in its step order
            out.set(s.subarray((slot * B + b) * H, (slot * B + b + 1) * H), (((k * B + b) * T + t) * D + d) * H);
          }
        }
      }
      return out;
    };
    return {
      ...(await this.readOutputs(ws, lengths)),
      hSeq: await seq(ws.hs),
      cSeq: hasCellState(this.cfg) ? await seq(ws.cs) : null,
    };
  }

  async gradients(input: SeqInput, targets: SeqTargets, loss: LossKind, state: StateSource, masks: DropoutMasks | null): Promise<GradientResult> {
    const { ws, before, after } = this.begin(input, state, targets, masks);
    const weighted = !!input.lengths;
    const lossPlan = this.cachedPlan(ws, `loss:${loss}:${weighted}`, () => this.lossPlan(ws, loss, weighted));
    const back = this.cachedPlan(ws, 'backward', () => this.backwardPlan(ws));
    const enc = this.device.createCommandEncoder();
    this.encode(enc, [...before, ...ws.forward, ...after, ...lossPlan, ...back]);
    return this.paced(callKind(`gradients:${loss}`, ws), enc, async () => {
      const n = this.units * ws.B * this.cfg.hiddenSize;
      const value = (await this.read(this.scalars, 1))[0];
      const grads = this.split(await this.read(this.grads, this.lay.total));
      const dh0 = Float64Array.from(await this.read(ws.dh0, n));
      const dc0 = this.cfg.cell === 'lstm' ? Float64Array.from(await this.read(ws.dc0, n)) : null;
      return { loss: value, grads, dh0, dc0 };
    });
  }

  async evaluate(input: SeqInput, targets: SeqTargets, loss: LossKind, state: StateSource): Promise<number> {
    const { ws, before, after } = this.begin(input, state, targets);
    const weighted = !!input.lengths;
    const lossPlan = this.cachedPlan(ws, `loss:${loss}:${weighted}`, () => this.lossPlan(ws, loss, weighted));
    const [value] = await this.submitWithScalars([...before, ...ws.forward, ...after, ...lossPlan], callKind(`evaluate:${loss}`, ws));
    return value;
  }

  /**
   * Encodes a plan, copies [loss, ‖g‖²] into a staging buffer in the same command buffer, submits
   * once and resolves with the two numbers. The submit happens before the first await, so calls
   * made without awaiting queue up in order. `kind` names the plan for the pacer.
   */
  private async submitWithScalars(plan: Plan, kind: string): Promise<[number, number]> {
    const staging = this.stagingFree.pop() ?? this.owner.staging('step scalars', 16);
    const enc = this.device.createCommandEncoder();
    this.encode(enc, plan);
    enc.copyBufferToBuffer(this.scalars, 0, staging, 0, 16);
    const t0 = performance.now();
    // the error scope and the mapping resolve in parallel: one wait for the GPU, not two in a row;
    // a validation error is looked at after the pacer's pause, and must not count as unhandled
    // before that
    const failure = this.submit(enc).then(() => null, (e: unknown) => e);
    await this.pacer.beforeWait(kind, t0);
    const mapped = staging.mapAsync(MAP_READ_MODE);
    const err = await failure;
    if (err) {
      mapped.then(() => staging.unmap(), () => undefined);
      throw err;
    }
    await mapped;
    this.pacer.done(kind, t0);
    const [loss, normSq] = new Float32Array(staging.getMappedRange(), 0, 2);
    staging.unmap();
    this.stagingFree.push(staging);
    return [loss, normSq];
  }

  configureTraining(opts: NormalizedTrainOptions, keepState = false): void {
    const sameKind = this.opts?.optimizer.type === opts.optimizer.type;
    this.opts = opts;
    this.update = null; // the clip and optimizer kind are pipeline constants
    if (keepState && sameKind) return;
    this.optStep = 0;
    const zeros = new Float32Array(this.lay.total);
    this.device.queue.writeBuffer(this.m, 0, zeros);
    if (opts.optimizer.type === 'adam') this.device.queue.writeBuffer(this.v, 0, zeros);
  }

  private update: Plan | null = null;

  async trainStep(input: SeqInput, targets: SeqTargets, state: StateSource, masks: DropoutMasks | null): Promise<StepResult> {
    const o = this.opts!;
    const { ws, before, after } = this.begin(input, state, targets, masks);
    this.optStep++;
    const t = this.optStep;
    const { lr, momentum, beta1, beta2, eps } = o.optimizer;
    const u = new ArrayBuffer(48);
    new Float32Array(u, 0, 8).set([lr, momentum, beta1, beta2, eps, lr / (1 - beta1 ** t), Math.sqrt(1 - beta2 ** t), o.clip ?? 0]);
    new Uint32Array(u, 32, 1)[0] = t === 1 ? 1 : 0;
    this.device.queue.writeBuffer(this.optUniform, 0, u);
    const weighted = !!input.lengths;
    const lossPlan = this.cachedPlan(ws, `loss:${o.loss}:${weighted}`, () => this.lossPlan(ws, o.loss, weighted));
    const back = this.cachedPlan(ws, 'backward', () => this.backwardPlan(ws));
    this.update ??= this.updatePlan();
    const [loss, normSq] = await this.submitWithScalars([...before, ...ws.forward, ...after, ...lossPlan, ...back, ...this.update], callKind(`train:${o.loss}`, ws));
    return { loss, gradNorm: Math.sqrt(normSq) };
  }

  /**
   * Generation: the fused single-workgroup loop (shaders/generate.wgsl) when the model's states fit
   * one workgroup's memory, else (and for the tutorial model, whose head also reads x_t) a per-step
   * plan: projection, step, head, sample per position.
   * Either way one command buffer, one submit, and only the drawn ids come back.
   */
  async generate(prime: Int32Array, length: number, temperature: number, topK: number, seed: number): Promise<Int32Array> {
    const P = prime.length;
    const fused = this.fusedGeneration();
    const key = fused ? `fused:${P + length}` : `${P}:${length}`;
    if (!this.gen || this.gen.key !== key) {
      if (this.gen) this.freeWorkspace(this.gen.ws);
      const ws = this.makeWorkspace(1, fused ? 1 : P + length - 1, true, P + length);
      const build = (): Plan => (fused ? this.fusedGenerationPlan(ws, fused) : this.stepwiseGenerationPlan(ws, P, length));
      this.gen = { key, ws, plan: this.lay.emb >= 0 ? this.embeddedGeneration(ws, build) : build() };
    }
    const { ws, plan } = this.gen;
    this.device.queue.writeBuffer(ws.ids, 0, Uint32Array.from(prime));
    const s = new ArrayBuffer(32);
    new Float32Array(s, 0, 1)[0] = temperature;
    new Uint32Array(s, 4, 4).set([topK, seed >>> 0, P, length]);
    this.device.queue.writeBuffer(this.sampling, 0, s);
    const enc = this.device.createCommandEncoder();
    this.encode(enc, plan);
    const staging = this.owner.staging('generated ids', length * 4);
    enc.copyBufferToBuffer(ws.ids, P * 4, staging, 0, length * 4);
    return this.paced(`generate:${key}`, enc, async () => {
      await staging.mapAsync(MAP_READ_MODE);
      const out = new Int32Array(staging.getMappedRange().slice(0));
      staging.unmap();
      this.owner.release(staging);
      return out;
    });
  }

  /**
   * The fused loop's split (shaders/generate.wgsl's header), or null when it does not fit one
   * workgroup's memory. On a GPU: up to 1024 invocations, each dot product cut into S (head: SO)
   * k-slices summed through workgroup memory, sampling over chunks of ⌈√O⌉ logits, so that a
   * token's latency is a few short load batches and barriers. On the CPU adapter (SwiftShader: a
   * barrier switches every invocation's coroutine) one invocation per unit, one sampling chunk:
   * the fewest barriers.
   */
  private fusedGeneration(): GenerationSplit | null {
    const { cell, hiddenSize: H, numLayers: L, outputSize: O } = this.cfg;
    // (on SwiftShader too the fused loop is faster: 849 vs 1083 µs/token for RNN H256, 2026-11-26)
    if (cell === 'tutorial') return null;
    const lim = this.device.limits;
    const maxWGS = Math.min(lim.maxComputeInvocationsPerWorkgroup, lim.maxComputeWorkgroupSizeX);
    const rows = (cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1) * H * (L > 1 ? 2 : 1); // a layer's partial-sum rows
    const state = L * H * (cell === 'lstm' ? 2 : 1) + 2 * O + 1; // words of h, c, z, keep, the token
    const split = (S: number, SO: number, CH: number, work: number): GenerationSplit | null => {
      const WGS = Math.min(maxWGS, 64 * Math.ceil(work / 64));
      const PW = Math.max(1, S > 1 ? rows * S : 0, SO > 1 ? O * SO : 0);
      const bytes = 4 * (state + PW + 2 * Math.ceil(O / CH));
      return H <= 4 * WGS && bytes <= lim.maxComputeWorkgroupStorageSize ? { WGS, S, SO, CH, PW } : null;
    };
    if (this.variant === 'cpu') return split(1, 1, O, Math.max(H, O));
    // H100, RNN H256 V65, 200 tokens (2026-11-26, before the 16-byte loads): 55.9 µs/token with one
    // invocation per unit → 13.2 with S = 16 (S = 8: 14.2, S = 32: 15.5; one sampling chunk: +13)
    const SO = [8, 4, 2].find((k) => k <= H && O * k <= maxWGS) ?? 1;
    const CH = Math.max(2, Math.ceil(Math.sqrt(O)));
    for (const S of [16, 8, 4, 2, 1].filter((k) => k <= H)) {
      const work = Math.max(H, O * SO, Math.min(rows * S, 1024));
      const g = split(S, SO, CH, work) ?? split(S, 1, CH, work);
      if (g) return g;
    }
    return null;
  }

  /**
   * Generation for an embedding model: the token kernels gather W_ih's columns by id, so they get
   * W_eff = W_ih · Eᵀ [G·H, V] (W_eff[:, v] = W_ih E[v], the same product), computed at the start
   * of each generation into a copy of the parameters that holds it after them; the plan is
   * recorded against that copy with layer 0's W_ih pointed at W_eff.
   */
  private embeddedGeneration(ws: Workspace, build: () => Plan): Plan {
    const { inputSize: V, embeddingDim: E, hiddenSize: H } = this.cfg;
    const GH = this.G * H;
    const l0 = this.lay.layers[0];
    const eff = this.lay.alloc;
    const copy = this.owner.storage('parameters and W_ih · Eᵀ for generation', eff + GH * V);
    ws.extra.push(copy);
    const prefix: Plan = [
      { kind: 'copy', src: this.params, srcOff: 0, dst: copy, dstOff: 0, bytes: eff * 4 },
      ...this.gemm(GH, V, E, [this.params, l0.wih, E, 1], [this.params, this.lay.emb, 1, E], [copy, eff, V]),
    ];
    const params = this.params;
    this.params = copy;
    this.lay.layers[0] = { ...l0, wih: eff, wihLd: V };
    try {
      return [...prefix, ...build()];
    } finally {
      this.params = params;
      this.lay.layers[0] = l0;
    }
  }

  private fusedGenerationPlan(ws: Workspace, g: GenerationSplit): Plan {
    const { hiddenSize: H, numLayers: L, outputSize: O } = this.cfg;
    const meta = new Uint32Array(L * 5 + 3);
    this.lay.layers.forEach((l, k) => meta.set([l.wih, l.wihLd, l.whh, l.bih, l.bhh], k * 5));
    meta.set([this.lay.fcW, H, this.lay.fcb], L * 5);
    const metaBuf = this.owner.storage('generation layout', meta.length);
    this.device.queue.writeBuffer(metaBuf, 0, meta);
    ws.extra.push(metaBuf);
    const constants = {
      H, L, O, CELL: this.cellCode(), ACT: this.actCode(), WGS: g.WGS, NQ: Math.ceil(H / g.WGS),
      HL: L * H, CL: this.cfg.cell === 'lstm' ? L * H : 1, S: g.S, SO: g.SO, PW: g.PW, CH: g.CH, NC: Math.ceil(O / g.CH),
      V4: H % 4 === 0 && this.lay.fcW % 4 === 0 && this.lay.layers.every((l, k) => l.whh % 4 === 0 && (k === 0 || (l.wih % 4 === 0 && l.wihLd % 4 === 0))),
    };
    return [this.op('generate', constants, [this.params, metaBuf, ws.ids, this.sampling, this.params], [1, 1], null)];
  }

  private stepwiseGenerationPlan(ws: Workspace, P: number, length: number): Plan {
    const plan: Plan = [];
    for (const k of ws.hs.keys()) plan.push({ kind: 'clear', buffer: ws.hs[k] }, { kind: 'clear', buffer: ws.cs[k] });
    for (let t = 0; t < P + length - 1; t++) {
      for (let k = 0; k < this.cfg.numLayers; k++) {
        if (!this.fusesTokens(ws, k)) plan.push(this.projOp(ws, k, t, 1));
        plan.push(this.stepOp(ws, k, t));
      }
      if (t >= P - 1) {
        plan.push(this.headOp(ws, t, 1));
        plan.push(this.op('sample', { O: this.cfg.outputSize }, [ws.logits, ws.ids, this.sampling], 1, ws, t));
      }
    }
    return plan;
  }

  async lastState(): Promise<RecurrentState | null> {
    if (!this.stateH || !this.carriedValid) return null;
    const n = this.units * this.stateBatch * this.cfg.hiddenSize;
    const h = Float64Array.from(await this.read(this.stateH, n));
    const c = this.stateC ? Float64Array.from(await this.read(this.stateC, n)) : undefined;
    return { h, c };
  }

  resetState(): void {
    this.carriedValid = false;
  }

  dispose(): void {
    this.owner.destroy();
    this.workspaces.clear();
    this.gen = null;
  }
}

/** [B, T, F] (PyTorch's batch_first) → [T, B, F] into out. */
function timeMajor<A extends Float32Array | Uint32Array>(out: A, src: ArrayLike<number>, B: number, T: number, F: number): A {
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) for (let f = 0; f < F; f++) out[(t * B + b) * F + f] = src[(b * T + t) * F + f];
  return out;
}

/**
 * Token ids grouped by token (a counting sort), for colgrad.wgsl's tokens_csr: words v, v + 1
 * bound token v's run of row indices m, which follow from word V + 1 in increasing m.
 */
function rowsByToken(ids: Uint32Array, V: number): Uint32Array<ArrayBuffer> {
  const out = new Uint32Array(V + 1 + ids.length);
  for (const v of ids) out[v + 1]++;
  for (let v = 0; v < V; v++) out[v + 1] += out[v];
  const next = out.slice(0, V);
  for (let m = 0; m < ids.length; m++) out[V + 1 + next[ids[m]]++] = m;
  return out;
}

/** [T, B, F] → [B, T, F] into out. */
function batchFirst(out: Float64Array, src: ArrayLike<number>, B: number, T: number, F: number): Float64Array {
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) for (let f = 0; f < F; f++) out[(b * T + t) * F + f] = src[(t * B + b) * F + f];
  return out;
}

/** The fused generation loop's split (shaders/generate.wgsl): workgroup size, k-slices per cell
 *  row (S) and per head row (SO), words of partial sums (PW), logits per sampling chunk (CH). */
interface GenerationSplit {
  WGS: number;
  S: number;
  SO: number;
  CH: number;
  PW: number;
}

/** The pacer's name for a kind of call on a workspace's shape (src/gpu/pacer.ts). */
function callKind(call: string, ws: Workspace): string {
  return `${call}:${ws.B}:${ws.T}:${ws.tokens}`;
}

/**
 * The team kernels' split of a GEMM's K into equal slices the one-row product can write out
 * (shaders/gemm_rows.wgsl; the weight gradients over T·B rows): the fewest slices of at most
 * ROW_MAX_K that divide K exactly, at most 32; 0 where there are none (K prime past ROW_MAX_K,
 * say: the team tile then), 1 where K needs no split.
 */
export function rowSplit(K: number): number {
  for (let S = Math.ceil(K / ROW_MAX_K); S <= 32; S++) if (K % S === 0) return S;
  return 0;
}

/**
 * Split-K slices for the GPU GEMM (shaders/gemm.wgsl) of an M × N result over K: 1 unless the
 * result has few 64×64 tiles and K is long (the weight gradients over T·B rows: d fc.weight is 65
 * rows), then enough slices for about 128 workgroups (a big GPU has ~132 SMs; the first H100 runs
 * measured d fc.weight at RNN H1024 B256, 32 workgroups over K = 16384, at 0.9 ms), each at least
 * 512 k, at most 32.
 */
export function splitK(M: number, N: number, K: number): number {
  const tiles = Math.ceil(M / 64) * Math.ceil(N / 64);
  if (tiles >= 64 || K < 1024) return 1;
  return Math.max(1, Math.min(Math.ceil(128 / tiles), Math.floor(K / 512), 32));
}

/**
 * The tile of the per-step kernels (shaders/step.wgsl `tiled`, bptt.wgsl `*_tiled`) for `cols`
 * column tiles over B rows and a reduction of length K: RB rows per invocation (tiles of 8·RB
 * rows), halved while the step would have fewer than 128 workgroups (a big GPU has ~132 SMs), and
 * KS groups of 8×8 invocations splitting K (8 from K = 512 on, where the device allows 512
 * invocations and the workgroup memory: fewer chunks, so fewer barriers).
 */
export function tileShape(lim: GPUSupportedLimits, cols: number, B: number, K: number): { RB: number; KS: number } {
  let RB = 4;
  while (RB > 1 && cols * Math.ceil(B / (8 * RB)) < 128) RB /= 2;
  const words = (ks: number): number => Math.max(8 * RB * (16 * ks + 1) + 16 * ks * 33, ks * 8 * RB * 33);
  let KS = K >= 512 ? 8 : 4;
  while (KS > 1 && (64 * KS > lim.maxComputeInvocationsPerWorkgroup || 4 * words(KS) > lim.maxComputeWorkgroupStorageSize)) KS /= 2;
  return { RB, KS };
}
