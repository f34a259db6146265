// Where each parameter lives in the one flat float32 parameter buffer (and, at the same offsets,
// in the gradient and optimizer-moment buffers): PyTorch's state_dict order, each start 16-byte
// aligned for vec4 loads.
import { directions, embeddingName, gateCount, headBiasName, headWeightName, layerInputSize, parameterSpecs, rnnName, sizeOf, type ModelConfig } from '../model/config.js';

/** Float offsets of one recurrent unit's matrices, with leading dimensions (the tutorial's are strided). */
export interface UnitLayout {
  wih: number;
  wihLd: number;
  whh: number;
  whhLd: number;
  bih: number;
  bhh: number;
  hasBhh: boolean;
}

/**
 * Float offsets of every matrix the kernels read, per unit u = k·D + d (layer k, direction d).
 * Without biases every bias offset points at a block of G·H zeros after the parameters that the
 * optimizer never touches (its gradient lands in the same place in the gradient buffer, unread).
 */
export interface Layout {
  /** Floats of the parameters proper: what the optimizer updates and the gradient norm sums. */
  total: number;
  /** Floats allocated: total, and the zero block. */
  alloc: number;
  offset: Map<string, number>;
  units: UnitLayout[];
  /** The head's weight [O, D·H] (−1 without a head; the embedding's offset when tied), its leading dimension, its bias. */
  headW: number;
  headLd: number;
  headB: number;
  /** The tutorial head's x part, i2o.weight[:, :I]; −1 for every other model. */
  headWx: number;
  /** The embedding [V, E]; −1 without one. */
  embedding: number;
}

export function layoutOf(cfg: ModelConfig): Layout {
  const offset = new Map<string, number>();
  let total = 0;
  for (const s of parameterSpecs(cfg)) {
    offset.set(s.name, total);
    total += Math.ceil(sizeOf(s.shape) / 4) * 4;
  }
  const o = (n: string): number => offset.get(n)!;
  const { inputSize: I, hiddenSize: H } = cfg;
  if (cfg.cell === 'tutorial') {
    // i2h.weight = [W_ih | W_hh] and i2o.weight = [W_x | W_h], each row I + H long
    return {
      total,
      alloc: total,
      offset,
      units: [{ wih: o('i2h.weight'), wihLd: I + H, whh: o('i2h.weight') + I, whhLd: I + H, bih: o('i2h.bias'), bhh: 0, hasBhh: false }],
      headW: o('i2o.weight') + I,
      headLd: I + H,
      headB: o('i2o.bias'),
      headWx: o('i2o.weight'),
      embedding: -1,
    };
  }
  const zeros = total;
  const alloc = total + (cfg.bias ? 0 : Math.ceil((gateCount(cfg.cell) * H) / 4) * 4);
  const units: UnitLayout[] = [];
  for (let k = 0; k < cfg.numLayers; k++) {
    for (let d = 0; d < directions(cfg); d++) {
      units.push({
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
  const embedding = cfg.embeddingDim ? o(embeddingName(cfg)) : -1;
  const headW = !cfg.head ? -1 : cfg.tied ? embedding : o(headWeightName(cfg));
  return { total, alloc, offset, units, headW, headLd: directions(cfg) * H, headB: cfg.head ? o(headBiasName(cfg)) : -1, headWx: -1, embedding };
}

/** Parameters by name into one flat buffer's contents (Layout.alloc floats; the zero block zeros). */
export function flatParameters(lay: Layout, params: Map<string, ArrayLike<number>>): Float32Array<ArrayBuffer> {
  const flat = new Float32Array(lay.alloc);
  for (const [name, off] of lay.offset) flat.set(params.get(name)!, off);
  return flat;
}

/** A flat buffer's contents back into parameters by name (float64 copies). */
export function splitParameters(cfg: ModelConfig, lay: Layout, flat: Float32Array): Map<string, Float64Array> {
  const out = new Map<string, Float64Array>();
  for (const s of parameterSpecs(cfg)) {
    const off = lay.offset.get(s.name)!;
    out.set(s.name, Float64Array.from(flat.subarray(off, off + sizeOf(s.shape))));
  }
  return out;
}
