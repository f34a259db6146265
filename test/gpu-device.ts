// The WebGPU entry point for tests (and scripts) running in Node: Dawn through
// the `webgpu` package, created once per process. Run under scripts/gpu-env.sh
// (npm run test:unit does) so Dawn finds Chromium's Vulkan loader and SwiftShader.
//
//   const gpu = await nodeGpu();
//   const adapter = await gpu.requestAdapter();
//   const device = await adapter!.requestDevice();
import { create, globals } from 'webgpu';

let gpu: Promise<GPU> | undefined;

/**
 * Dawn's GPU object, also installing the WebGPU globals (GPUBufferUsage,
 * GPUMapMode, ...) that browser code expects. Throws with what to fix when no
 * adapter is available.
 */
export function nodeGpu(): Promise<GPU> {
  gpu ??= (async () => {
    Object.assign(globalThis, globals);
    // unquantized timestamps for the bench's per-kernel profile (Dawn rounds them to 65.5 µs
    // otherwise, against timing attacks that do not concern a test or bench process)
    const created = create(['disable-dawn-features=timestamp_quantization']);
    if (!(await created.requestAdapter())) {
      throw new Error(
        'webgpu (Dawn) found no adapter. Run under scripts/gpu-env.sh (npm run test:unit does), ' +
          'which sets LD_LIBRARY_PATH to a directory with libvulkan.so.1 and VK_ICD_FILENAMES to ' +
          `SwiftShader's ICD; now LD_LIBRARY_PATH=${process.env.LD_LIBRARY_PATH ?? '(unset)'}, ` +
          `VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES ?? '(unset)'}.`,
      );
    }
    return created;
  })();
  return gpu;
}
