// Types for `import … from 'webrnn'` in the demo. Vite resolves the name to src/index.ts
// (vite.config.ts, resolve.alias); `tsc -p .` has no such alias, and the package's own
// "exports" point at dist/, which exists only after `npm run build`. So this file names the
// public API's exports by their source. It goes away once tsconfig.json maps the name
// ("paths": { "webrnn": ["./src/index.ts"] }).
declare module 'webrnn' {
  type Api = typeof import('../src/index.js');
  export const RnnModel: Api['RnnModel'];
  export type RnnModel = InstanceType<Api['RnnModel']>;
  export const WebGpuUnavailableError: Api['WebGpuUnavailableError'];
  export const WebrnnError: Api['WebrnnError'];
  export const readSafetensors: Api['readSafetensors'];
  export const parameterSpecs: Api['parameterSpecs'];
  export type BackendName = import('../src/index.js').BackendName;
  export type CellKind = import('../src/index.js').CellKind;
  export type ModelConfig = import('../src/index.js').ModelConfig;
  export type ModelConfigInput = import('../src/index.js').ModelConfigInput;
  export type SeqInput = import('../src/index.js').SeqInput;
  export type SeqTargets = import('../src/index.js').SeqTargets;
  export type LossKind = import('../src/index.js').LossKind;
  export type RecurrentState = import('../src/index.js').RecurrentState;
  export type TrainOptions = import('../src/index.js').TrainOptions;
  export type SafetensorsFile = import('../src/index.js').SafetensorsFile;
}
