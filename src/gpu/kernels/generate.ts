// Generation (batch 1), one command buffer and one submit whatever the length: the fused loop
// (shaders/generate.wgsl: every position, layer, head and draw in one dispatch of one workgroup)
// where the model's states fit a workgroup's memory, else a stepwise plan (projection, step, head
// and sample.wgsl's draw per position). Only the drawn ids come back.
import generate from '../../../shaders/generate.wgsl?raw';
import sample from '../../../shaders/sample.wgsl?raw';
import type { Engine, Plan } from '../engine.js';
import type { GenerationSplit } from '../limits.js';
import { kernel } from '../pipelines.js';
import { freeWorkspace, makeWorkspace, type Workspace } from '../workspace.js';
import { gemm } from './gemm.js';
import { headOp, projectionOp } from './linear.js';
import { fusesTokens, stepOp } from './step.js';

export const GENERATE = kernel('generate', generate, 'main', 'rrwur');
export const SAMPLE = kernel('sample', sample, 'main', 'rwud');

/** A recorded generation: its workspace and plan, for one prime length and one length (fused: their sum). */
export interface Generation {
  key: string;
  ws: Workspace;
  plan: Plan;
}

/** The generation for a prime of P tokens and `length` more: `prev` when it has that shape, else a new one (prev freed). */
export function generation(e: Engine, prev: Generation | null, P: number, length: number): Generation {
  const fused = e.choice.generation();
  const key = fused ? `fused:${P + length}` : `${P}:${length}`;
  if (prev?.key === key) return prev;
  if (prev) freeWorkspace(e, prev.ws);
  const mark = e.owner.mark();
  try {
    const ws = makeWorkspace(e, 1, fused ? 1 : P + length - 1, true, P + length);
    const build = (): Plan => (fused ? fusedGenerationPlan(e, ws, fused) : stepwiseGenerationPlan(e, ws, P, length));
    return { key, ws, plan: e.lay.embedding >= 0 ? embeddedGeneration(e, ws, build) : build() };
  } catch (err) {
    e.owner.releaseSince(mark); // a length over a device limit: nothing of it stays
    throw err;
  }
}

/** The prime into the ids and the sampling uniform (shaders/sample.wgsl's Sampling). */
export function writeSampling(e: Engine, ws: Workspace, prime: Int32Array, length: number, temperature: number, topK: number, seed: number): void {
  e.device.queue.writeBuffer(ws.ids, 0, Uint32Array.from(prime));
  const s = new ArrayBuffer(32);
  new Float32Array(s, 0, 1)[0] = temperature;
  new Uint32Array(s, 4, 4).set([topK, seed >>> 0, prime.length, length]);
  e.device.queue.writeBuffer(e.sampling, 0, s);
}

function fusedGenerationPlan(e: Engine, ws: Workspace, g: GenerationSplit): Plan {
  const { hiddenSize: H, numLayers: L, outputSize: O } = e.cfg;
  const lay = e.lay;
  const meta = new Uint32Array(L * 5 + 3);
  lay.units.forEach((l, k) => meta.set([l.wih, l.wihLd, l.whh, l.bih, l.bhh], k * 5));
  meta.set([lay.headW, H, lay.headB], L * 5);
  const metaBuf = e.owner.storage('generation layout', meta.length);
  e.device.queue.writeBuffer(metaBuf, 0, meta);
  ws.extra.push(metaBuf);
  const constants = {
    H, L, O, CELL: e.cellCode(), ACT: e.actCode(), WG_SIZE: g.workgroupSize, NQ: Math.ceil(H / g.workgroupSize),
    HL: L * H, CL: e.cfg.cell === 'lstm' ? L * H : 1, S: g.cellSlices, HEAD_SLICES: g.headSlices, PARTIALS: g.partials,
    CHUNK: g.chunk, NC: Math.ceil(O / g.chunk),
    V4: H % 4 === 0 && lay.headW % 4 === 0 && lay.units.every((l, k) => l.whh % 4 === 0 && (k === 0 || (l.wih % 4 === 0 && l.wihLd % 4 === 0))),
  };
  return [e.op(GENERATE, constants, [e.params, metaBuf, ws.ids, e.sampling, e.params], [1, 1])];
}

function stepwiseGenerationPlan(e: Engine, ws: Workspace, P: number, length: number): Plan {
  const plan: Plan = [];
  for (const k of ws.h.keys()) plan.push({ kind: 'clear', buffer: ws.h[k] }, { kind: 'clear', buffer: ws.c[k] });
  for (let t = 0; t < P + length - 1; t++) {
    for (let k = 0; k < e.cfg.numLayers; k++) {
      if (!fusesTokens(e, ws, k)) plan.push(projectionOp(e, ws, k, t, 1));
      plan.push(stepOp(e, ws, k, t));
    }
    if (t >= P - 1) {
      plan.push(headOp(e, ws, t, 1));
      plan.push(e.op(SAMPLE, { O: e.cfg.outputSize }, [ws.logits, ws.ids, e.sampling], 1, ws, t));
    }
  }
  return plan;
}

/**
 * Generation for an embedding model: the token kernels gather W_ih's columns by id, so they get
 * W_eff = W_ih · Eᵀ [G·H, V] (W_eff[:, v] = W_ih E[v], the same product), computed at the start
 * of each generation into a copy of the parameters that holds it after them; the plan is
 * recorded against that copy with layer 0's W_ih pointed at W_eff.
 */
function embeddedGeneration(e: Engine, ws: Workspace, build: () => Plan): Plan {
  const { inputSize: V, embeddingDim: E, hiddenSize: H } = e.cfg;
  const GH = e.gates * H;
  const l0 = e.lay.units[0];
  const eff = e.lay.alloc;
  const copy = e.owner.storage('parameters and W_ih · Eᵀ for generation', eff + GH * V);
  ws.extra.push(copy);
  const prefix: Plan = [
    { kind: 'copy', src: e.params, srcOff: 0, dst: copy, dstOff: 0, bytes: eff * 4 },
    ...gemm(e, GH, V, E, [e.params, l0.wih, E, 1], [e.params, e.lay.embedding, 1, E], [copy, eff, V]),
  ];
  const params = e.params;
  e.params = copy;
  e.lay.units[0] = { ...l0, wih: eff, wihLd: V };
  try {
    return [...prefix, ...build()];
  } finally {
    e.params = params;
    e.lay.units[0] = l0;
  }
}
