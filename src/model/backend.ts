// The contract both engines implement. The Model (model.ts) validates every argument first,
// so a backend trusts its inputs. States and outputs cross this boundary as float64 arrays
// (the GPU's float32 values upcast exactly); the layouts are PyTorch's.
import type { DropoutMasks, LossKind, RecurrentState, SeqInput, SeqTargets } from './batch.js';
import type { NormalizedTrainOptions } from '../train/options.js';

export type BackendName = 'webgpu' | 'cpu';

export interface ForwardResult {
  /** Output [B, T, O]: the head's logits (before log-softmax) or predictions, or without a head the top layer's states. */
  logits: Float64Array;
  /** Every layer's output h_t, both directions side by side: [L, B, T, D·H] (the top layer is PyTorch's `output`); zero past a row's length. */
  hSeq: Float64Array;
  /** LSTM: every layer's c_t, [L, B, T, D·H]. */
  cSeq: Float64Array | null;
  hN: Float64Array; // [L·D, B, H]
  cN: Float64Array | null; // [L·D, B, H]
}

/** The head's output and the final state only: what inference needs, with the least read back. */
export interface PredictResult {
  logits: Float64Array; // [B, T, O]
  hN: Float64Array; // [L·D, B, H]
  cN: Float64Array | null;
}

export interface GradientResult {
  loss: number;
  /** d loss / d parameter, PyTorch names and shapes, before any clipping. */
  grads: Map<string, Float64Array>;
  dh0: Float64Array; // [L·D, B, H]
  dc0: Float64Array | null;
}

export interface StepResult {
  /** Loss of this step's forward pass (before the update). */
  loss: number;
  /** Total gradient L2 norm before clipping. */
  gradNorm: number;
  /**
   * The loss or the gradient norm was not finite, so the step changed nothing: parameters,
   * optimizer moments and step count are as they were (TrainOptions.nonFinite 'skip').
   */
  skipped: boolean;
}

/**
 * A CPU copy of what training needs to go on: the parameters, the optimizer's moments (flat, in
 * the GPU layout's order; null where the optimizer has none or none were copied) and the
 * optimizer step they belong to.
 */
export interface TrainingSnapshot {
  step: number;
  /** By PyTorch name, each parameter once (as Backend.getParameters). */
  params: Map<string, Float64Array>;
  m: Float32Array | null;
  v: Float32Array | null;
}

/** Where a call's initial state comes from: zeros, given values, or the state the last call ended in. */
export type StateSource = { kind: 'zeros' } | { kind: 'given'; state: RecurrentState } | { kind: 'carry' };

/** What the last call cost on the device (the CPU backend reports zeros). */
export interface BackendStats {
  /** Compute dispatches recorded in the last command buffer submitted. */
  dispatches: number;
  /** Command buffers submitted by the last call (1 for trainStep and generate). */
  submits: number;
  /** Bytes of GPU memory the model holds now (parameters, optimizer state, workspaces). */
  gpuBytes: number;
  /** Optimizer steps taken since configureTraining (skipped steps do not count). */
  optimizerStep: number;
  /** Training steps skipped for a non-finite loss or gradient norm, since the model was made. */
  skippedSteps: number;
  /** The optimizer step of the newest CPU snapshot (model.recover()'s restart point); null on the CPU backend. */
  snapshotStep: number | null;
  /** Which kernels ran: 'cpu-reference', or the GPU family and recurrence form ('gpu/sequence', 'gpu/per-step', 'cpu/per-step', 'cpu-team/per-step'). */
  kernels: string;
}

export interface Backend {
  /** Cost of the last call. */
  stats(): BackendStats;
  readonly name: BackendName;
  /** Human-readable device: the GPU adapter's description, or 'CPU (float64 reference)'. */
  readonly deviceName: string;
  setParameters(params: Map<string, ArrayLike<number>>): void;
  getParameters(): Promise<Map<string, Float64Array>>;
  forward(input: SeqInput, state: StateSource): Promise<ForwardResult>;
  /** masks: training-mode dropout (null: none, as in eval mode). */
  gradients(input: SeqInput, targets: SeqTargets, loss: LossKind, state: StateSource, masks: DropoutMasks | null): Promise<GradientResult>;
  /** Forward and loss only (no gradients, nothing else read back). */
  evaluate(input: SeqInput, targets: SeqTargets, loss: LossKind, state: StateSource): Promise<number>;
  predict(input: SeqInput, state: StateSource): Promise<PredictResult>;
  /**
   * Sets the optimizer and clipping; resets the optimizer's moments and step count, unless
   * keepState and the optimizer kind is unchanged (a new learning rate or clip mid-training).
   */
  configureTraining(opts: NormalizedTrainOptions, keepState?: boolean): void;
  /** Forward, loss, backward, clip, optimizer update. The returned promise may resolve later. */
  trainStep(input: SeqInput, targets: SeqTargets, state: StateSource, masks: DropoutMasks | null): Promise<StepResult>;
  /** Token ids sampled after `prime` (batch 1); temperature 0 = argmax. */
  generate(prime: Int32Array, length: number, temperature: number, topK: number, seed: number): Promise<Int32Array>;
  /** The state the last forward / train call ended in, [L·D, B, H]. Null before any call. */
  lastState(): Promise<RecurrentState | null>;
  resetState(): void;
  dispose(): void;
  /** Every N training steps a CPU snapshot (0: never); GPU only. */
  setSnapshotEvery?(n: number): void;
  /** The newest snapshot (the GPU backend), to rebuild the model on a new device. */
  snapshot?(): TrainingSnapshot | null;
  /** The largest generate() length after a prime of P tokens (the GPU: what one buffer holds). */
  maxGenerateLength?(P: number): number;
  /** Restores the optimizer's moments and step count from a snapshot (after configureTraining). */
  restoreTraining?(s: TrainingSnapshot): void;
}
