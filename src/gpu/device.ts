// Device acquisition. A model asks for a GPU once; devices are shared per GPU object. We ask for
// the adapter's own maxima of the limits big shapes run into, and say which one a shape exceeds.
import { WebGpuUnavailableError } from '../errors.js';

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

const contexts = new WeakMap<GPU, Promise<GpuContext>>();

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

export function acquireGpu(gpu?: GPU): Promise<GpuContext> {
  const g = gpu ?? (typeof navigator !== 'undefined' ? (navigator as Navigator & { gpu?: GPU }).gpu : undefined);
  if (!g) {
    return Promise.reject(
      new WebGpuUnavailableError(
        "WebGPU is not available here (no navigator.gpu, and no `gpu` option was given); use backend: 'cpu', " +
          "or in Node pass `gpu: create([])` from the 'webgpu' package",
      ),
    );
  }
  let ctx = contexts.get(g);
  if (!ctx) {
    ctx = open(g);
    contexts.set(g, ctx);
    ctx.catch(() => contexts.delete(g));
  }
  return ctx;
}

async function open(gpu: GPU): Promise<GpuContext> {
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    throw new WebGpuUnavailableError("WebGPU found no adapter (requestAdapter returned null); use backend: 'cpu'");
  }
  const requiredLimits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) requiredLimits[name] = adapter.limits[name] as number;
  const subgroups = adapter.features.has('subgroups');
  // 'timestamp-query' where offered: unused it costs nothing, and bench/profile.ts times each
  // kernel of a step with it
  const requiredFeatures = (['subgroups', 'timestamp-query'] as const).filter((f) => adapter.features.has(f));
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  const adapterName = describe(adapter.info);
  device.lost.then(() => contexts.delete(gpu));
  const cpuAdapter = /swiftshader|llvmpipe|lavapipe|warp|cpu/i.test(`${adapterName} ${adapter.info?.architecture ?? ''}`);
  const subgroups4 = subgroups && adapter.info?.subgroupMinSize === 4 && adapter.info?.subgroupMaxSize === 4;
  return { device, adapterName, cpuAdapter, subgroups4 };
}

/** Throws when a buffer of `bytes` cannot be bound on this device. */
export function checkBindable(device: GPUDevice, what: string, bytes: number): void {
  const limit = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
  if (bytes > limit) {
    throw new WebGpuUnavailableError(
      `${what} needs a ${bytes}-byte GPU buffer, over this adapter's maxStorageBufferBindingSize / maxBufferSize ` +
        `(${limit} bytes); use a smaller batch or sequence, or backend: 'cpu'`,
    );
  }
}
