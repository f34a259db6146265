// Per-shape GPU memory: a workspace of activations for a (B, T, input kind), and the few most
// recently used kept so that alternating shapes (training batches and single-step predictions)
// do not rebuild buffers and plans.
//
// Layouts (float32, row-major, time-major so all T·B rows of a step family are one contiguous
// matrix): x [T, B, I] or ids [T, B]; per unit u: preact [T, B, G·H] (W_ih x_t + b_ih),
// h / c [T+1, B, H] (slot 0 = h0), gates [T, B, 4H] (the cell's activations, kept for BPTT),
// dh [T+1, B, H]; logits / dlogits [T, B, O]; targets [T, B(, O)]; dPreact: dA [T, B, G·H], then
// for the GRU dR (for the other cells dR = dA); carry [2, B, H] (BPTT's dh, dc between steps).
import { hasCellState, layerInputSize, type ModelConfig } from '../model/config.js';
import type { Engine, Plan } from './engine.js';
import { STEP_STRIDE } from './pipelines.js';

export interface Workspace {
  B: number;
  T: number;
  tokens: boolean;
  /** The general plan's routes (general.ts), or null for the classic one-direction stack whose layers read each other's states in place. */
  general: GeneralShape | null;
  ids: GPUBuffer;
  /** CPU adapters' and embeddings' token inputs: the rows grouped by token (io.ts rowsByToken), allocated with the first upload. */
  idsByToken: GPUBuffer;
  x: GPUBuffer;
  targetIds: GPUBuffer;
  targetY: GPUBuffer;
  /** Loss weights per row [T, B] with lengths (1 / real rows, 0 past a length), allocated with their first upload. */
  lossWeights: GPUBuffer;
  preact: GPUBuffer[];
  h: GPUBuffer[];
  c: GPUBuffer[];
  gates: GPUBuffer[];
  dh: GPUBuffer[];
  carry: GPUBuffer[];
  logits: GPUBuffer;
  dlogits: GPUBuffer;
  rowLoss: GPUBuffer;
  dPreact: GPUBuffer;
  /** The Step entries (shaders/common.wgsl): 0..T−1 one step each, T the whole sequence. */
  steps: GPUBuffer;
  /** d loss / d h0, d c0 [L·D, B, H] of the last backward. */
  dh0: GPUBuffer;
  dc0: GPUBuffer;
  /** Further buffers owned by this workspace's plans. */
  extra: GPUBuffer[];
  /** The slices of the team kernels' split row GEMMs, one buffer for all (kernels/gemm.ts rowScratch). */
  rowScratch?: GPUBuffer;
  forward: Plan;
  plans: Map<string, Plan>;
}

/** What the general plan needs routed: whether masks apply, which inputs it gathers. */
export interface GeneralMode {
  /** Masks between layers and before the head (dropout ⊙ lengths). */
  masked: boolean;
  /** Dropout on the model's input. */
  inputMask: boolean;
}

/** The general plan's buffers, beside a workspace's. */
export interface GeneralShape extends GeneralMode {
  /** Each row's reversal [T, B] (row t·B + b ↔ (len_b − 1 − t)·B + b inside the length), D = 2. */
  reversal: GPUBuffer;
  /** Token ids reversed per row, and their rows by token (the reverse direction's layer 0). */
  idsRev: GPUBuffer;
  idsByTokenRev: GPUBuffer;
  /** Layer k's input [T, B, I_k] (k = L: the head's), and its reversal for D = 2. */
  layerIn: GPUBuffer[];
  layerInRev: GPUBuffer[];
  /** The input's dropout mask [T, B, I_0]; layerMask[k] on layer k's input [T, B, D·H] (k ≥ 1; k = L the head's). */
  inputDropout: GPUBuffer;
  layerMask: GPUBuffer[];
  /** d loss / d (head input) [T, B, D·H], d (layer input) [T, B, max I_k] and its reversal. */
  dHeadIn: GPUBuffer;
  dLayerIn: GPUBuffer;
  dLayerInRev: GPUBuffer;
}

/** idsLen: token slots (generation keeps P + N ids in a T = P + N − 1 step workspace). */
export function makeWorkspace(e: Engine, B: number, T: number, tokens: boolean, idsLen: number, general: GeneralMode | null = null): Workspace {
  const { hiddenSize: H, outputSize: O, inputSize: I } = e.cfg;
  const U = e.units;
  const GH = e.gates * H;
  const s = (label: string, n: number): GPUBuffer => e.owner.storage(label, n);
  const lstm = hasCellState(e.cfg);
  const gated = e.cfg.cell === 'lstm' || e.cfg.cell === 'gru';
  const steps = e.owner.uniform('steps', (T + 1) * STEP_STRIDE);
  // entries 0..T−1: one step each (first = 1 at T−1, where BPTT starts); entry T: the whole sequence
  const u = new Uint32Array(((T + 1) * STEP_STRIDE) / 4);
  for (let i = 0; i <= T; i++) u.set(i < T ? [i, 1, T, i === T - 1 ? 1 : 0] : [0, T, T, 0], (i * STEP_STRIDE) / 4);
  e.device.queue.writeBuffer(steps, 0, u);
  const ws: Workspace = {
    B,
    T,
    tokens,
    general: null,
    ids: tokens ? s('input ids', idsLen) : e.unused,
    idsByToken: e.unused,
    x: tokens ? e.unused : s('input x', B * T * I),
    targetIds: e.unused, // allocated on the first upload of such targets
    targetY: e.unused,
    lossWeights: e.unused,
    preact: [],
    h: [],
    c: [],
    gates: [],
    dh: [],
    carry: [],
    logits: s('logits', B * T * O),
    dlogits: s('dlogits', B * T * O),
    rowLoss: s('row loss', B * T),
    dPreact: s('dA, dR', (e.cfg.cell === 'gru' ? 2 : 1) * T * B * GH),
    steps,
    dh0: s('dh0', U * B * H),
    dc0: s('dc0', lstm ? U * B * H : 1),
    extra: [],
    forward: [],
    plans: new Map(),
  };
  for (let k = 0; k < U; k++) {
    ws.preact.push(s(`A l${k}`, T * B * GH));
    ws.h.push(s(`h l${k}`, (T + 1) * B * H));
    // unused ones still get their own tiny buffers: two writable bindings may not alias
    ws.c.push(s(`c l${k}`, lstm ? (T + 1) * B * H : 1));
    ws.gates.push(s(`gates l${k}`, gated ? T * B * 4 * H : 1));
    ws.dh.push(s(`dH l${k}`, (T + 1) * B * H));
    ws.carry.push(s(`carry l${k}`, 2 * B * H));
  }
  ws.general = general && generalShape(e, B, T, ws.x, general);
  return ws;
}

/** x: the float inputs' buffer (the placeholder for token ids), layer 0's input itself when no input dropout applies. */
function generalShape(e: Engine, B: number, T: number, x: GPUBuffer, g: GeneralMode): GeneralShape {
  const M = B * T;
  const cfg: ModelConfig = e.cfg;
  const { hiddenSize: H, numLayers: L } = cfg;
  const DH = e.directions * H;
  const s = (label: string, n: number): GPUBuffer => e.owner.storage(label, n);
  const two = e.directions === 2;
  const tokens = x === e.unused;
  const hasX0 = !tokens || e.lay.embedding >= 0;
  const maxI = Math.max(DH, layerInputSize(cfg, 0));
  return {
    masked: g.masked,
    inputMask: g.inputMask,
    reversal: two ? s('row reversal', M) : e.unused,
    idsRev: two && tokens ? s('input ids reversed', M) : e.unused,
    idsByTokenRev: e.unused, // CPU adapters, allocated with the first upload
    layerIn: Array.from({ length: L + 1 }, (_, k) =>
      (k === 0 && !hasX0) || (k === L && !cfg.head)
        ? e.unused
        : k === 0 && !tokens && !g.inputMask
          ? x
          : s(`input of layer ${k}`, M * (k === 0 ? layerInputSize(cfg, 0) : DH)),
    ),
    layerInRev: Array.from({ length: L }, (_, k) => (two && (k > 0 || hasX0) ? s(`input of layer ${k}, reversed`, M * layerInputSize(cfg, k)) : e.unused)),
    inputDropout: g.inputMask ? s('input dropout', M * layerInputSize(cfg, 0)) : e.unused,
    layerMask: Array.from({ length: L + 1 }, (_, k) => (g.masked && k > 0 ? s(`mask of layer ${k}`, M * DH) : e.unused)),
    dHeadIn: s('d output', M * DH),
    dLayerIn: s('d input', M * maxI),
    dLayerInRev: two ? s('d input, reversed', M * maxI) : e.unused,
  };
}

export function freeWorkspace(e: Engine, w: Workspace): void {
  const g = w.general;
  const routed = g ? [g.reversal, g.idsRev, g.idsByTokenRev, ...g.layerIn, ...g.layerInRev, g.inputDropout, ...g.layerMask, g.dHeadIn, g.dLayerIn, g.dLayerInRev] : [];
  const all = [w.ids, w.idsByToken, w.x, w.targetIds, w.targetY, w.lossWeights, w.logits, w.dlogits, w.rowLoss, w.dPreact, w.steps, w.dh0, w.dc0];
  for (const b of new Set([...all, ...w.preact, ...w.h, ...w.c, ...w.gates, ...w.dh, ...w.carry, ...w.extra, ...routed])) {
    if (b !== e.unused) e.owner.release(b);
  }
}

/** The last few workspaces used, most recent last; `build` records a new one's forward plan. */
export class Workspaces {
  private static readonly KEEP = 3;
  private readonly byKey = new Map<string, Workspace>();

  constructor(private readonly e: Engine) {}

  get(B: number, T: number, tokens: boolean, general: GeneralMode | null, build: (ws: Workspace) => Plan): Workspace {
    const key = `${B}:${T}:${tokens}:${general ? `g${+general.masked}${+general.inputMask}` : 'c'}`;
    let w = this.byKey.get(key);
    if (w) {
      this.byKey.delete(key); // re-inserted below: most recently used last
    } else {
      // a shape over a device limit throws part-way (GpuLimitError): free what it had made
      const mark = this.e.owner.mark();
      try {
        w = makeWorkspace(this.e, B, T, tokens, B * T, general);
        w.forward = build(w);
      } catch (err) {
        this.e.owner.releaseSince(mark);
        throw err;
      }
      if (this.byKey.size >= Workspaces.KEEP) {
        const [oldest, old] = this.byKey.entries().next().value as [string, Workspace];
        this.byKey.delete(oldest);
        freeWorkspace(this.e, old);
      }
    }
    this.byKey.set(key, w);
    return w;
  }

  values(): IterableIterator<Workspace> {
    return this.byKey.values();
  }

  /** Frees every workspace (after a failed call, whose workspace may hold invalid buffers). */
  clear(): void {
    for (const w of this.byKey.values()) freeWorkspace(this.e, w);
    this.byKey.clear();
  }
}
