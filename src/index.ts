// webrnn's public API: everything an app may import, and nothing else.
export { RnnModel } from './model/model.js';
export type { CreateModelOptions, InitialState, GenerateOptions } from './model/model.js';
export type { ModelConfig, ModelConfigInput, CellKind, Nonlinearity, ParamSpec, ModuleNames } from './model/config.js';
export { parameterSpecs, stateDictSpecs, normalizeConfig } from './model/config.js';
export type { InferHints } from './model/infer.js';
export type { SeqInput, SeqTargets, LossKind, RecurrentState } from './model/batch.js';
export type { BackendName, BackendStats, ForwardResult, PredictResult, GradientResult, StepResult } from './model/backend.js';
export type { TrainOptions, OptimizerSpec } from './train/options.js';
export type { GpuOptions } from './gpu/backend.js';
export { readSafetensors, writeSafetensors } from './model/safetensors.js';
export type { DType, TensorEntry, SafetensorsFile } from './model/safetensors.js';
export {
  WebrnnError,
  RnnShapeError,
  TokenRangeError,
  NonFiniteError,
  ConfigError,
  SafetensorsError,
  WebGpuUnavailableError,
  GpuLimitError,
  GpuError,
  DeviceLostError,
  DisposedError,
} from './errors.js';
