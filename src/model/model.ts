// The one model API for both backends. It owns the config, validates every call at the
// boundary (typed errors, nothing changed on rejection) and delegates the math to a Backend.
import { ConfigError, DisposedError, RnnShapeError, SafetensorsError, TokenRangeError, NonFiniteError, checkKeys, show } from '../errors.js';
import { hasDropout, MODEL_CONFIG_KEYS, normalizeConfig, stateDictSpecs, sizeOf, type ModelConfig, type ModelConfigInput } from './config.js';
import { checkObject, validateInput, validateState, validateTargets, type DropoutMasks, type RecurrentState, type SeqInput, type SeqTargets } from './batch.js';
import { checkHints, inferConfig, type InferHints } from './infer.js';
import { dropoutMasks } from './dropout.js';
import type { Backend, BackendName, BackendStats, PredictResult, ForwardResult, GradientResult, StateSource, StepResult } from './backend.js';
import { initParameters, Rng } from './init.js';
import { readSafetensors, writeSafetensors } from './safetensors.js';
import { normalizeTrainOptions, type NormalizedTrainOptions, type TrainOptions } from '../train/options.js';
import { CpuBackend } from '../cpu/backend.js';
import { createGpuBackend, type GpuOptions } from '../gpu/backend.js';
import { KERNELS_OPTIONS } from '../gpu/limits.js';

export interface CreateModelOptions extends ModelConfigInput, GpuOptions {
  /** 'webgpu' (default) or 'cpu'. Nothing falls back silently: without WebGPU, 'webgpu' throws. */
  backend?: BackendName;
  /** Seed for the parameter init and the dropout masks (default 0). */
  seed?: number;
  /** Initial parameters by PyTorch name (otherwise a seeded init). */
  parameters?: Map<string, ArrayLike<number>>;
}

/**
 * How a call starts: from zeros (default), from a given state { h [L, B, H], c? }, or 'carry': from
 * where the last call ended (detached, as in truncated BPTT). 'carry' starts from zeros when there
 * is no previous call, after resetState(), or when the batch size changed.
 */
export type InitialState = 'zeros' | 'carry' | RecurrentState;

export interface GenerateOptions {
  /** Token ids fed first (at least one). */
  prime: ArrayLike<number>;
  /** Number of tokens to sample. */
  length: number;
  /** 0 = argmax; default 1. */
  temperature?: number;
  /** Keep only the k most likely tokens (0 = all, default). */
  topK?: number;
  seed?: number;
}

export class RnnModel {
  private backendImpl: Backend;
  private trainOpts: NormalizedTrainOptions | null = null;
  private disposed = false;
  /** Draws the dropout masks of training calls: seeded, so a run is reproducible. */
  private readonly dropoutRng: Rng;
  /** Training steps skipped for a non-finite loss or gradient norm. */
  private skippedSteps = 0;

  private constructor(readonly config: ModelConfig, backend: Backend, seed: number, private readonly gpuOpts: GpuOptions) {
    this.backendImpl = backend;
    this.dropoutRng = new Rng((seed ^ 0x5eed) >>> 0);
  }

  /** Builds a model on the requested backend ('webgpu' by default). */
  static async create(opts: CreateModelOptions): Promise<RnnModel> {
    if (typeof opts !== 'object' || opts === null) throw new ConfigError(`RnnModel.create takes an options object { cell, inputSize, hiddenSize, … }, got ${show(opts)}`);
    checkKeys('RnnModel.create options', opts, CREATE_OPTIONS);
    const cfg = normalizeConfig(opts);
    if (opts.parameters !== undefined && !(opts.parameters instanceof Map)) throw new ConfigError('parameters must be a Map from PyTorch names to arrays');
    const seed = seedOf(opts.seed);
    const gpu = gpuOptionsOf(opts);
    const params = opts.parameters ? checkParameters(cfg, opts.parameters) : initParameters(cfg, seed);
    const backend = await makeBackend(cfg, opts.backend ?? 'webgpu', params, gpu);
    return new RnnModel(cfg, backend, seed, gpu);
  }

  /**
   * A model from a safetensors state_dict: saved by saveSafetensors, or by PyTorch. The
   * architecture is read from the names and shapes (src/model/infer.ts): the recurrent module from
   * nn.RNN's pattern `<rnn>.weight_ih_l<k>[_reverse]` (cell from the gate count G in weight_hh_l0
   * [G·H, H], bias, bidirectional), an embedding (a module with a 2-D weight only), a head (weight
   * and bias), tied when the head's weight is absent or bit-identical to the embedding's; or the
   * tutorial's i2h / i2o. `model.config` says what was inferred. What a state_dict does not hold
   * comes from `opts`: nn.RNN's nonlinearity ('relu' for a relu RNN; tanh otherwise, unless the
   * file's metadata says), dropout; and where a file is ambiguous, `names` and `tied`.
   */
  static async fromSafetensors(
    bytes: Uint8Array | ArrayBuffer,
    opts: { backend?: BackendName; seed?: number } & InferHints & GpuOptions = {},
  ): Promise<RnnModel> {
    opts = optionsOf(opts, 'fromSafetensors options', ['backend', 'seed', ...INFER_HINTS, ...GPU_OPTIONS]);
    const seed = seedOf(opts.seed);
    const gpu = gpuOptionsOf(opts);
    checkHints(opts);
    const file = readSafetensors(bytes);
    const cfg = configOf(file.tensors, file.metadata, opts);
    const params = new Map<string, ArrayLike<number>>();
    for (const [name, t] of file.tensors) params.set(name, t.data);
    const shapes = new Map([...file.tensors].map(([n, t]) => [n, t.shape]));
    const checked = checkParameters(cfg, params, shapes);
    return new RnnModel(cfg, await makeBackend(cfg, opts.backend ?? 'webgpu', checked, gpu), seed, gpu);
  }

  /** The backend in use: 'webgpu' or 'cpu'. */
  get backend(): BackendName {
    return this.backendImpl.name;
  }

  /** The GPU adapter's description, or the CPU reference's name. */
  get deviceName(): string {
    return this.backendImpl.deviceName;
  }

  /** The WebGPU device the model runs on (null on the CPU backend): to share it, or to watch it. */
  get gpuDevice(): GPUDevice | null {
    const b = this.backendImpl as Backend & { device?: GPUDevice };
    return b.device ?? null;
  }

  private live(): Backend {
    if (this.disposed) throw new DisposedError('this model was disposed; create a new one');
    return this.backendImpl;
  }

  private stateSource(input: SeqInput, s: InitialState | undefined): StateSource {
    if (s === undefined || s === 'zeros') return { kind: 'zeros' };
    if (s === 'carry') return { kind: 'carry' };
    if (typeof s !== 'object' || s === null || !('h' in s)) {
      throw new ConfigError(`state must be 'zeros', 'carry' or { h, c? }, got ${show(s)}`);
    }
    validateState(this.config, input.batch, s);
    return { kind: 'given', state: s };
  }

  /** Training-mode dropout masks for a call (null without dropout): drawn after validation, so a rejected call draws none. */
  private masks(input: SeqInput): DropoutMasks | null {
    if (!hasDropout(this.config)) return null;
    if (this.config.inputDropout > 0 && !input.x && !this.config.embeddingDim) {
      throw new ConfigError('inputDropout applies to an embedding or float inputs, not to one-hot token ids');
    }
    return dropoutMasks(this.config, input.batch, input.steps, this.dropoutRng);
  }

  /** Forward pass over a batch: logits / predictions [B, T, O], every layer's states, h_n (c_n). */
  async forward(input: SeqInput, opts: { state?: InitialState } = {}): Promise<ForwardResult> {
    const b = this.live();
    opts = optionsOf(opts, 'forward options', ['state']);
    validateInput(this.config, input);
    return b.forward(input, this.stateSource(input, opts.state));
  }

  /**
   * Inference: the head's output [B, T, O] and the final state, nothing else read back (cheaper
   * than forward, which also returns every layer's states). With state 'carry', one step at a
   * time continues a sequence (stateful inference, free-running forecasts).
   */
  async predict(input: SeqInput, opts: { state?: InitialState } = {}): Promise<PredictResult> {
    const b = this.live();
    opts = optionsOf(opts, 'predict options', ['state']);
    validateInput(this.config, input);
    return b.predict(input, this.stateSource(input, opts.state));
  }

  /** Loss and the gradient of every parameter (and of h0 / c0), without updating anything. */
  async gradients(
    input: SeqInput,
    targets: SeqTargets,
    opts: { loss: TrainOptions['loss']; state?: InitialState },
  ): Promise<GradientResult> {
    const b = this.live();
    checkObject('gradients options', opts, '{ loss, state? }', ['loss', 'state']);
    const { loss } = normalizeTrainOptions({ loss: opts.loss, optimizer: { type: 'sgd', lr: 0 } });
    validateInput(this.config, input);
    validateTargets(this.config, loss, input, targets);
    return b.gradients(input, targets, loss, this.stateSource(input, opts.state), this.masks(input));
  }

  /** The loss of a batch, forward only (validation): one submit, one number read back. */
  async evaluate(input: SeqInput, targets: SeqTargets, opts: { loss: TrainOptions['loss']; state?: InitialState }): Promise<number> {
    const b = this.live();
    checkObject('evaluate options', opts, '{ loss, state? }', ['loss', 'state']);
    const { loss } = normalizeTrainOptions({ loss: opts.loss, optimizer: { type: 'sgd', lr: 0 } });
    validateInput(this.config, input);
    validateTargets(this.config, loss, input, targets);
    return b.evaluate(input, targets, loss, this.stateSource(input, opts.state));
  }

  /** Sets the loss, optimizer and clipping for trainStep; resets the optimizer's state. */
  configureTraining(opts: TrainOptions): void {
    const b = this.live();
    const n = normalizeTrainOptions(opts);
    b.configureTraining(n);
    b.setSnapshotEvery?.(n.snapshotEvery);
    this.trainOpts = n;
  }

  /**
   * Changes the learning rate (or other hyper-parameters) and clipping mid-training, keeping
   * Adam's moments and step count (PyTorch's `param_group['lr'] = …`). Changing the optimizer
   * kind or the loss starts afresh, as configureTraining does.
   */
  updateTraining(change: { lr?: number; clip?: number | null }): void {
    const b = this.live();
    if (!this.trainOpts) throw new ConfigError('call configureTraining({ loss, optimizer, clip }) before updateTraining');
    checkObject('updateTraining', change, '{ lr?, clip? }', ['lr', 'clip']);
    const o = this.trainOpts;
    const n = normalizeTrainOptions({
      loss: o.loss,
      optimizer: o.optimizer.type === 'adam'
        ? { type: 'adam', lr: change.lr ?? o.optimizer.lr, betas: [o.optimizer.beta1, o.optimizer.beta2], eps: o.optimizer.eps }
        : { type: 'sgd', lr: change.lr ?? o.optimizer.lr, momentum: o.optimizer.momentum },
      clip: change.clip === undefined ? o.clip : change.clip,
      nonFinite: o.nonFinite,
      snapshotEvery: o.snapshotEvery,
    });
    b.configureTraining(n, true);
    this.trainOpts = n;
  }

  /**
   * One training step: forward, loss, BPTT, clip, optimizer update. state 'carry' continues from
   * the state the last call ended in (truncated BPTT over a long sequence).
   */
  async trainStep(input: SeqInput, targets: SeqTargets, opts: { state?: InitialState } = {}): Promise<StepResult> {
    const b = this.live();
    opts = optionsOf(opts, 'trainStep options', ['state']);
    if (!this.trainOpts) throw new ConfigError('call configureTraining({ loss, optimizer, clip }) before trainStep');
    validateInput(this.config, input);
    validateTargets(this.config, this.trainOpts.loss, input, targets);
    const r = await b.trainStep(input, targets, this.stateSource(input, opts.state), this.masks(input));
    if (r.skipped) {
      this.skippedSteps++;
      if (this.trainOpts.nonFinite === 'throw') {
        throw new NonFiniteError(`the step's loss is ${r.loss} and its gradient norm ${r.gradNorm}: nothing was changed (parameters, optimizer state and step count are as before)`);
      }
    }
    return r;
  }

  /**
   * After a DeviceLostError: a new device, the newest CPU snapshot's parameters and optimizer
   * state (TrainOptions.snapshotEvery steps apart; the parameters given at creation or by
   * setParameters before the first), the training options as configured. Resolves with the
   * optimizer step training goes on from. The carried recurrent state starts from zeros. On a live
   * device it does the same (a rollback to the snapshot); on the CPU backend it does nothing.
   */
  async recover(): Promise<{ step: number }> {
    if (this.disposed) throw new DisposedError('this model was disposed; create a new one');
    const b = this.backendImpl;
    const snap = b.snapshot?.();
    if (!snap) return { step: 0 };
    const next = await makeBackend(this.config, b.name, snap.params, this.gpuOpts);
    if (this.trainOpts) {
      next.configureTraining(this.trainOpts);
      next.setSnapshotEvery?.(this.trainOpts.snapshotEvery);
      next.restoreTraining?.(snap);
    }
    b.dispose();
    this.backendImpl = next;
    return { step: snap.step };
  }

  /** Samples `length` tokens after `prime` (batch 1); only the tokens come back from the GPU. */
  async generate(opts: GenerateOptions): Promise<Int32Array> {
    const b = this.live();
    checkObject('generate options', opts, '{ prime, length, temperature?, topK?, seed? }', ['prime', 'length', 'temperature', 'topK', 'seed']);
    const { inputSize, outputSize } = this.config;
    if (this.config.bidirectional) throw new ConfigError('generation runs forward in time: a bidirectional model cannot generate (its reverse direction reads the future)');
    if (!this.config.head) throw new ConfigError('generation samples from the head\'s log-softmax: this model has no head');
    if (inputSize !== outputSize) {
      throw new ConfigError(`generation feeds outputs back as inputs: needs inputSize (${inputSize}) = outputSize (${outputSize})`);
    }
    const primeIn: unknown = opts.prime;
    if (!Array.isArray(primeIn) && !(ArrayBuffer.isView(primeIn) && !(primeIn instanceof DataView) && !(primeIn instanceof BigInt64Array) && !(primeIn instanceof BigUint64Array))) {
      throw new RnnShapeError(`prime must be an array or typed array of token ids, got ${show(primeIn)}`);
    }
    const primeIds = primeIn as ArrayLike<unknown>;
    if (primeIds.length < 1) throw new RnnShapeError('generate needs a prime of at least one token');
    if (primeIds.length > MAX_GENERATE_LENGTH) throw new RnnShapeError(`prime holds ${primeIds.length} tokens, more than the ${MAX_GENERATE_LENGTH} generate takes`);
    for (let i = 0; i < primeIds.length; i++) {
      const v = primeIds[i];
      if (typeof v !== 'number' || !Number.isInteger(v)) throw new TokenRangeError(`prime[${i}] = ${show(v)} is not an integer token id`);
      if (!(v >= 0 && v < inputSize)) throw new TokenRangeError(`prime[${i}] = ${v} is out of range [0, ${inputSize}) (inputSize)`);
    }
    const prime = Int32Array.from(primeIds as ArrayLike<number>);
    const maxLength = Math.min(MAX_GENERATE_LENGTH, b.maxGenerateLength?.(prime.length) ?? MAX_GENERATE_LENGTH);
    if (typeof opts.length !== 'number' || !Number.isInteger(opts.length) || opts.length < 1 || opts.length > maxLength) {
      throw new RnnShapeError(`length must be an integer in [1, ${maxLength}], got ${show(opts.length)}`);
    }
    const temperature: unknown = opts.temperature ?? 1;
    if (typeof temperature !== 'number' || !Number.isFinite(temperature) || temperature < 0) throw new ConfigError(`temperature must be a finite number ≥ 0, got ${show(temperature)}`);
    const topK: unknown = opts.topK ?? 0;
    if (typeof topK !== 'number' || !Number.isInteger(topK) || topK < 0) throw new ConfigError(`topK must be a non-negative integer, got ${show(topK)}`);
    const seed = seedOf(opts.seed);
    return b.generate(prime, opts.length, temperature, topK, seed);
  }

  /** The state the last call ended in ([L, B, H]), for stateful inference. */
  lastState(): Promise<RecurrentState | null> {
    return this.live().lastState();
  }

  resetState(): void {
    this.live().resetState();
  }

  /**
   * Parameters by PyTorch name, every name the state_dict has (a tied head's weight under both
   * names); float64 copies, the GPU's float32 values upcast exactly.
   */
  async getParameters(): Promise<Map<string, Float64Array>> {
    const p = await this.live().getParameters();
    const out = new Map<string, Float64Array>();
    for (const s of stateDictSpecs(this.config)) out.set(s.name, s.alias ? p.get(s.alias)!.slice() : p.get(s.name)!);
    return out;
  }

  /** Replaces the parameters (all of them, PyTorch names and shapes). */
  setParameters(params: Map<string, ArrayLike<number>>): void {
    const b = this.live();
    if (!(params instanceof Map)) throw new ConfigError(`setParameters takes a Map from PyTorch names to arrays, got ${params === null ? 'null' : typeof params}`);
    b.setParameters(checkParameters(this.config, params));
  }

  /** The state_dict as safetensors (F32), loadable with safetensors.torch.load_file. */
  async saveSafetensors(): Promise<Uint8Array> {
    const params = await this.getParameters();
    const specs = stateDictSpecs(this.config);
    return writeSafetensors(
      new Map(specs.map((s) => [s.name, { dtype: 'F32' as const, shape: s.shape, data: params.get(s.name)! }])),
      { format: 'pt', webrnn_config: JSON.stringify(this.config) },
    );
  }

  /** Loads a state_dict into this model (same architecture), saved by saveSafetensors or by PyTorch. */
  loadSafetensors(bytes: Uint8Array | ArrayBuffer): void {
    const b = this.live();
    const file = readSafetensors(bytes);
    const params = new Map<string, ArrayLike<number>>();
    for (const [name, t] of file.tensors) params.set(name, t.data);
    const shapes = new Map([...file.tensors].map(([n, t]) => [n, t.shape]));
    b.setParameters(checkParameters(this.config, params, shapes));
  }

  /** Moves the model (parameters and carried state) to another backend. The optimizer restarts. */
  async to(backend: BackendName, gpu: GpuOptions = this.gpuOpts): Promise<RnnModel> {
    const b = this.live();
    if (backend === b.name) return this;
    const gpuOpts = gpuOptionsOf(gpu);
    const params = await b.getParameters();
    const next = await makeBackend(this.config, backend, params, gpuOpts);
    b.dispose();
    this.backendImpl = next;
    if (this.trainOpts) next.configureTraining(this.trainOpts);
    return this;
  }

  /** Dispatches and submits of the last call, and GPU memory held (zeros on the CPU backend). */
  stats(): BackendStats {
    return { ...this.live().stats(), skippedSteps: this.skippedSteps };
  }

  /** Frees every GPU buffer. The model cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.backendImpl.dispose();
  }
}

/** Tokens one generate() call may draw (a fused generation is one dispatch: longer runs risk the browser's GPU watchdog). */
const MAX_GENERATE_LENGTH = 1 << 20;

/** An options object (or {} for undefined) with only the `known` fields. */
function optionsOf<T extends object>(o: T | undefined, what: string, known: readonly string[]): T {
  if (o === undefined) return {} as T;
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new ConfigError(`${what} must be an object, got ${show(o)}`);
  checkKeys(what, o, known);
  return o;
}

const GPU_OPTIONS = ['gpu', 'poisonBuffers', 'kernels', 'paceWaits', 'timestamps'] as const satisfies readonly (keyof GpuOptions)[];
const INFER_HINTS = ['names', 'tied', 'nonlinearity', 'dropout', 'inputDropout', 'outputDropout'] as const satisfies readonly (keyof InferHints)[];
const CREATE_OPTIONS = [...MODEL_CONFIG_KEYS, ...GPU_OPTIONS, 'backend', 'seed', 'parameters'] as const;

/** A seed: an integer in [0, 2^32) (default 0), as the generators take it. */
function seedOf(v: unknown): number {
  if (v === undefined) return 0;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= 2 ** 32) throw new ConfigError(`seed must be an integer in [0, 2^32), got ${show(v)}`);
  return v;
}

/**
 * The WebGPU options of a create / fromSafetensors call (kept for recover() and to()), checked: a
 * typed error, not a TypeError deep inside device acquisition.
 */
function gpuOptionsOf(o: GpuOptions): GpuOptions {
  if (typeof o !== 'object' || o === null) throw new ConfigError(`GPU options must be an object { gpu?, kernels?, … }, got ${show(o)}`);
  const gpu: unknown = o.gpu;
  if (gpu !== undefined && (typeof gpu !== 'object' || gpu === null || typeof (gpu as GPU).requestAdapter !== 'function')) {
    throw new ConfigError(`gpu must be a GPU object (navigator.gpu, or create([]) from the 'webgpu' package in Node), got ${show(gpu)}`);
  }
  if (o.kernels !== undefined && !KERNELS_OPTIONS.includes(o.kernels)) {
    throw new ConfigError(`kernels must be one of ${KERNELS_OPTIONS.map((k) => `'${k}'`).join(', ')}, got ${show(o.kernels)}`);
  }
  for (const k of ['poisonBuffers', 'paceWaits', 'timestamps'] as const) {
    if (o[k] !== undefined && typeof o[k] !== 'boolean') throw new ConfigError(`${k} must be true or false, got ${show(o[k])}`);
  }
  return { gpu: o.gpu, poisonBuffers: o.poisonBuffers, kernels: o.kernels, paceWaits: o.paceWaits, timestamps: o.timestamps };
}

/** The architecture of a file: webrnn's own metadata where it has it, else read off names and shapes. */
function configOf(tensors: Map<string, { shape: number[]; data: ArrayLike<number> }>, metadata: Record<string, string>, hints: InferHints): ModelConfig {
  if (metadata.webrnn_config) {
    let saved: ModelConfigInput;
    try {
      saved = JSON.parse(metadata.webrnn_config) as ModelConfigInput;
    } catch {
      throw new SafetensorsError('header-schema', `__metadata__.webrnn_config is not JSON: ${metadata.webrnn_config.slice(0, 80)}`);
    }
    if (typeof saved !== 'object' || saved === null) throw new SafetensorsError('header-schema', '__metadata__.webrnn_config is not a JSON object');
    const defined = Object.fromEntries(Object.entries(hints).filter(([k, v]) => v !== undefined && ['nonlinearity', 'dropout', 'inputDropout', 'outputDropout'].includes(k)));
    try {
      return normalizeConfig({ ...saved, ...defined });
    } catch (e) {
      throw new SafetensorsError('header-schema', `__metadata__.webrnn_config does not describe a model: ${(e as Error).message}`);
    }
  }
  return inferConfig(tensors, hints);
}

async function makeBackend(
  cfg: ModelConfig,
  name: BackendName,
  params: Map<string, ArrayLike<number>>,
  gpu: GpuOptions,
): Promise<Backend> {
  if (name === 'cpu') return new CpuBackend(cfg, params);
  if (name === 'webgpu') return createGpuBackend(cfg, params, gpu);
  throw new ConfigError(`backend must be 'webgpu' or 'cpu', got ${show(name)}`);
}

/**
 * Every parameter present by PyTorch name, right size, finite; nothing extra. A tied head's weight
 * may come under either name, or both when they hold the same values (a state_dict has both).
 * Returns each parameter once, under the model's own name.
 */
export function checkParameters(
  cfg: ModelConfig,
  params: Map<string, ArrayLike<number>>,
  shapes?: Map<string, number[]>,
): Map<string, Float64Array> {
  const specs = stateDictSpecs(cfg);
  const out = new Map<string, Float64Array>();
  const known = new Set(specs.map((s) => s.name));
  for (const { name, shape, alias } of specs) {
    if (alias) continue;
    const twin = specs.find((s) => s.alias === name)?.name;
    const from = params.has(name) ? name : twin !== undefined && params.has(twin) ? twin : null;
    if (from === null) {
      throw new SafetensorsError('missing', `parameter '${name}' [${shape.join(', ')}] is missing (have: ${[...params.keys()].join(', ') || 'none'})`);
    }
    const v = params.get(from)!;
    if (!v || typeof v.length !== 'number') throw new RnnShapeError(`parameter '${from}' must be an array of numbers, got ${show(v)}`);
    const given = shapes?.get(from);
    if ((given && given.join() !== shape.join()) || v.length !== sizeOf(shape)) {
      throw new RnnShapeError(
        `parameter '${from}' has ${given ? `shape [${given.join(', ')}]` : `${v.length} values`}, model expects [${shape.join(', ')}]`,
      );
    }
    const a = Float64Array.from(v);
    const bad = a.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) throw new NonFiniteError(`parameter '${from}' holds ${a[bad]} at flat index ${bad}`);
    if (twin !== undefined && from === name && params.has(twin)) {
      const w = params.get(twin)!;
      if (w.length !== a.length || a.some((x, i) => x !== Number(w[i]))) {
        throw new ConfigError(`the model ties '${twin}' to '${name}', but the two hold different values`);
      }
    }
    out.set(name, a);
  }
  const extra = [...params.keys()].filter((k) => !known.has(k));
  if (extra.length) throw new SafetensorsError('unexpected', `unexpected parameters for this ${cfg.cell} model: ${extra.join(', ')}`);
  return out;
}
