import { WebGpuUnavailableError } from '../errors.js';
import type { ModelConfig } from '../model/config.js';
import type { Backend } from '../model/backend.js';

export interface GpuOptions {
  /** A GPU object to use instead of navigator.gpu (e.g. `create([])` from the `webgpu` package in Node). */
  gpu?: GPU;
}

export async function createGpuBackend(_cfg: ModelConfig, _params: Map<string, ArrayLike<number>>, _opts: GpuOptions): Promise<Backend> {
  throw new WebGpuUnavailableError("the WebGPU backend is not available in this build; use backend: 'cpu'");
}
