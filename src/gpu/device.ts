// Device acquisition. A model asks for a GPU once; devices are shared per GPU object (a lost one
// is forgotten, so the next model, or model.recover(), gets a new one). We ask for the adapter's
// own maxima of the limits the kernel choice (limits.ts) reads, since a device serves models of
// any size, and for a feature only where a kernel uses it: 'subgroups' on CPU adapters whose
// subgroups are 4 wide (the team kernels), 'timestamp-query' when the profiler asks. A device with
// WebGPU's defaults and no features runs every model; limits.ts picks the variants that fit it.
import { GpuLimitError, WebGpuUnavailableError } from '../errors.js';
import type { KernelsOption } from './limits.js';

export interface GpuOptions {
  /** A GPU object to use instead of navigator.gpu (e.g. `create([])` from the `webgpu` package in Node). */
  gpu?: GPU;
  /** Testing aid: fill every new GPU buffer with NaN, so any output element a kernel fails to write shows. */
  poisonBuffers?: boolean;
  /** Kernel variants (src/gpu/limits.ts KernelsOption): 'auto' by default, or forced for tests. */
  kernels?: KernelsOption;
  /**
   * Before reading back a call's results (a training step, an evaluation, a prediction, a forward
   * pass, gradients, a generation), sleep through most of the GPU time the same kind of call took
   * last time, so that Dawn's Node binding, which spins a core while a promise is pending, does not
   * take that core from a CPU adapter's threads (src/gpu/pacer.ts). Default: on in Node on CPU
   * adapters (SwiftShader), off elsewhere.
   */
  paceWaits?: boolean;
  /** Also request 'timestamp-query' where the adapter has it (bench/profile.ts times each kernel with it). */
  timestamps?: boolean;
}

export interface GpuContext {
  device: GPUDevice;
  adapterName: string;
  /** A CPU implementation (SwiftShader, llvmpipe, WARP): kernels without workgroup barriers win there. */
  cpuAdapter: boolean;
  /**
   * The device has the 'subgroups' feature and every subgroup is 4 invocations (SwiftShader: one
   * SSE register), which the team kernels (shaders/team.wgsl) assume.
   */
  subgroups4: boolean;
}

const contexts = new WeakMap<GPU, Map<string, Promise<GpuContext>>>();

const RAISED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupsPerDimension',
] as const;

function describe(info: GPUAdapterInfo | undefined): string {
  if (!info) return 'WebGPU adapter';
  const parts = [info.description, info.vendor, info.architecture, info.device].filter((s) => s && s.length);
  return parts.length ? [...new Set(parts)].join(' / ') : 'WebGPU adapter';
}

/** timestamps: also request 'timestamp-query' (bench/profile.ts), a device of its own. */
export function acquireGpu(gpu?: GPU, opts: { timestamps?: boolean } = {}): Promise<GpuContext> {
  const g = gpu ?? (typeof navigator !== 'undefined' ? (navigator as Navigator & { gpu?: GPU }).gpu : undefined);
  if (!g) {
    return Promise.reject(
      new WebGpuUnavailableError(
        "WebGPU is not available here (no navigator.gpu, and no `gpu` option was given); use backend: 'cpu', " +
          "or in Node pass `gpu: create([])` from the 'webgpu' package",
      ),
    );
  }
  let byKind = contexts.get(g);
  if (!byKind) contexts.set(g, (byKind = new Map()));
  const kind = opts.timestamps ? 'timestamps' : 'plain';
  let ctx = byKind.get(kind);
  if (!ctx) {
    const made = open(g, !!opts.timestamps, () => byKind.delete(kind));
    byKind.set(kind, made);
    made.catch(() => byKind.delete(kind));
    ctx = made;
  }
  return ctx;
}

async function open(gpu: GPU, timestamps: boolean, forget: () => void): Promise<GpuContext> {
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    throw new WebGpuUnavailableError("WebGPU found no adapter (requestAdapter returned null); use backend: 'cpu'");
  }
  const requiredLimits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) requiredLimits[name] = adapter.limits[name] as number;
  const adapterName = describe(adapter.info);
  const cpuAdapter = /swiftshader|llvmpipe|lavapipe|warp|cpu/i.test(`${adapterName} ${adapter.info?.architecture ?? ''}`);
  const subgroups4 = cpuAdapter && adapter.features.has('subgroups') && adapter.info?.subgroupMinSize === 4 && adapter.info?.subgroupMaxSize === 4;
  const requiredFeatures: GPUFeatureName[] = [];
  if (subgroups4) requiredFeatures.push('subgroups');
  if (timestamps && adapter.features.has('timestamp-query')) requiredFeatures.push('timestamp-query');
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  device.lost.then(forget);
  return { device, adapterName, cpuAdapter, subgroups4 };
}

/** Throws a GpuLimitError naming the limit when a buffer of `bytes` cannot be bound on this device. */
export function checkBindable(device: GPUDevice, what: string, bytes: number): void {
  for (const limit of ['maxStorageBufferBindingSize', 'maxBufferSize'] as const) {
    const have = device.limits[limit];
    if (bytes > have) {
      throw new GpuLimitError(
        limit,
        bytes,
        have,
        `${what} needs a ${bytes}-byte GPU buffer, over this device's ${limit} (${have} bytes); ` +
          `use a smaller batch or sequence, or backend: 'cpu'`,
      );
    }
  }
}
