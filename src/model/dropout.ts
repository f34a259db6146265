// Training-mode dropout masks at PyTorch's places (word_language_model's RNNModel): on the
// embedding's output (inputDropout), between recurrent layers (nn.RNN's dropout, on every layer's
// output but the last), on the stack's output before the head (outputDropout). Inverted dropout:
// a kept element is scaled by 1/(1 − p), a dropped one is 0, so evaluation needs no rescaling.
// The masks are drawn on the CPU from the model's seeded generator and handed to either backend,
// so a run is reproducible and both backends see the same masks.
import { directions, layerInputSize, type ModelConfig } from './config.js';
import type { DropoutMasks } from './batch.js';
import type { Rng } from './init.js';

function mask(n: number, p: number, rng: Rng): Float64Array | null {
  if (p <= 0) return null;
  const keep = 1 / (1 - p);
  const m = new Float64Array(n);
  for (let i = 0; i < n; i++) m[i] = rng.next() < p ? 0 : keep;
  return m;
}

/** Masks for one training call over B rows of T steps, batch-first. */
export function dropoutMasks(cfg: ModelConfig, B: number, T: number, rng: Rng): DropoutMasks {
  const DH = directions(cfg) * cfg.hiddenSize;
  const layers: (Float64Array | null)[] = [null];
  for (let k = 1; k < cfg.numLayers; k++) layers.push(mask(B * T * DH, cfg.dropout, rng));
  return {
    input: mask(B * T * layerInputSize(cfg, 0), cfg.inputDropout, rng),
    layers,
    output: mask(B * T * DH, cfg.outputDropout, rng),
  };
}
