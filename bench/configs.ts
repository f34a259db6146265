// The benchmark's configurations (issue 6) and the GPU memory the math needs for each.
// Shared by the Node bench (bench.ts) and the browser page (browser/bench-page.ts).
//
// Every config is the char-LM of the issue: one-hot token ids over a vocabulary of V = 65,
// one recurrent layer, a Linear head [V, H], log-softmax + NLL (mean over B·T), clip_grad_norm 1.0,
// Adam. A 'gen' config samples `tokens` tokens at batch 1 instead of training.
import { normalizeConfig, parameterSpecs, type CellKind, type ModelConfigInput } from '../src/index.js';

export const VOCAB = 65;

export interface BenchConfig {
  name: string;
  kind: 'train' | 'gen';
  cell: CellKind;
  H: number;
  /** Batch (1 for generation). */
  B: number;
  /** Sequence length of a train step; tokens sampled for generation. */
  T: number;
  /** Issue 6's target on the H100 (ms per step, or µs per token for generation). */
  target?: number;
  /** PyTorch + cuDNN on the H100 (../shared/device/README.md, 2026-11-26): recorded reference, same unit. */
  pytorch?: number;
  /** The rest of the model's description, for the general plan's configs (an embedding, …). */
  model?: Partial<ModelConfigInput>;
}

const train = (cell: CellKind, H: number, B: number, T: number, target?: number, pytorch?: number): BenchConfig => ({
  name: `${cell}-h${H}-b${B}-t${T}`,
  kind: 'train',
  cell,
  H,
  B,
  T,
  target,
  pytorch,
});

const gen = (cell: CellKind, H: number, tokens: number, target?: number, pytorch?: number): BenchConfig => ({
  name: `gen-${cell}-h${H}`,
  kind: 'gen',
  cell,
  H,
  B: 1,
  T: tokens,
  target,
  pytorch,
});

/** The table, measured side by side with torch_probe.py on the H100. */
export const FULL: BenchConfig[] = [
  train('rnn', 256, 32, 64, 1.0, 2.61),
  train('rnn', 1024, 256, 64, 5.0, 5.08),
  train('lstm', 1024, 64, 128, 8.0, 8.18),
  train('gru', 512, 32, 64, 4.0, 5.8),
  gen('rnn', 256, 200, 20, 408),
];

/** The headless-Chromium comparison's config (TF.js side by side). */
export const CHROMIUM = train('rnn', 128, 32, 64);

/** Small enough for SwiftShader (a CPU Vulkan driver) in a minute or two. */
export const QUICK: BenchConfig[] = [
  train('rnn', 64, 8, 16),
  train('lstm', 64, 8, 16),
  train('gru', 64, 8, 16),
  CHROMIUM,
  FULL[4],
];

/** The key torch_probe.py (../shared/device/) prints this config's figure under, if it has one. */
export function torchKey(c: BenchConfig): string {
  const cell = c.cell.toUpperCase();
  return c.kind === 'train' ? `train_${cell}_V${VOCAB}_H${c.H}_B${c.B}_T${c.T}_ms` : `gen_${cell}_H${c.H}_us_per_token`;
}

/**
 * The general plan beside the classic one (--configs only): the char-LM's LSTM, and the same with a
 * tied embedding of 128 instead of one-hot inputs (word_language_model's shape at a char
 * vocabulary); a bidirectional GRU (a tagger's stack) with a head over both directions.
 */
export const GENERAL: BenchConfig[] = [
  train('lstm', 128, 32, 64),
  { ...train('lstm', 128, 32, 64), name: 'emb-tied-lstm-h128-b32-t64', model: { embeddingDim: 128, tied: true } },
  { ...train('gru', 64, 32, 64), name: 'bi-gru-h64-b32-t64', model: { bidirectional: true } },
];

export const ALL: BenchConfig[] = [...FULL, ...QUICK.filter((q) => !FULL.some((f) => f.name === q.name)), ...GENERAL];

export function findConfigs(names: string[]): BenchConfig[] {
  return names.map((n) => {
    const c = ALL.find((x) => x.name === n);
    if (!c) throw new Error(`unknown config '${n}'; known: ${ALL.map((x) => x.name).join(', ')}`);
    return c;
  });
}

/** Gate blocks whose pre-activations BPTT needs per step: LSTM i,f,g,o; GRU r,z,n and W_hn h + b_hn. */
const cachedGates = (cell: CellKind): number => (cell === 'lstm' || cell === 'gru' ? 4 : 0);

export interface MemoryBudget {
  params: number;
  /** Bytes, float32 / int32 throughout. */
  bytes: number;
  detail: Record<string, number>;
}

/**
 * The fewest bytes the math needs on the device.
 * train: parameters, gradients, Adam m and v (4 × P floats); per layer hs [T+1, B, H]
 *        (+ cs [T+1, B, H] for LSTM, + the gate cache [T, B, 4H] for LSTM / GRU); logits [B, T, V];
 *        input and target ids [B, T] each.
 * gen:   parameters; h (and c) [1, H]; logits [V]; the prime and the sampled ids.
 */
export function minimumBytes(c: BenchConfig): MemoryBudget {
  const P = parameterSpecs(normalizeConfig({ cell: c.cell, inputSize: VOCAB, hiddenSize: c.H, outputSize: VOCAB, ...c.model }))
    .reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
  const { B, T, H } = c;
  const lstm = c.cell === 'lstm';
  const detail: Record<string, number> =
    c.kind === 'train'
      ? {
          'params + grads + adam m, v': 4 * P,
          hs: (T + 1) * B * H,
          cs: lstm ? (T + 1) * B * H : 0,
          'gate cache': T * B * cachedGates(c.cell) * H,
          logits: B * T * VOCAB,
          'input + target ids': 2 * B * T,
          'embedding rows': B * T * (c.model?.embeddingDim ?? 0),
        }
      : { params: P, state: (lstm ? 2 : 1) * H, logits: VOCAB, ids: 1 + T };
  for (const k of Object.keys(detail)) detail[k] *= 4;
  return { params: P, bytes: Object.values(detail).reduce((a, b) => a + b, 0), detail };
}
