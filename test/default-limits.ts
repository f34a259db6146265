// A GPU that offers only WebGPU's default limits and no optional features, as many phones,
// integrated GPUs and compatibility-mode browsers do, over a real one: its adapter reports the
// spec's defaults and no features, refuses a device that asks for more (as a real adapter
// would), and otherwise hands out a device made with no requirements, which a conformant
// implementation (Dawn, Chromium) gives exactly the default limits. Browser-safe: the e2e page
// imports it too.

/** WebGPU's default limits (the spec's "Limits" table, the core feature level). */
export const DEFAULT_LIMITS: Record<string, number> = {
  maxTextureDimension1D: 8192,
  maxTextureDimension2D: 8192,
  maxTextureDimension3D: 2048,
  maxTextureArrayLayers: 256,
  maxBindGroups: 4,
  maxBindGroupsPlusVertexBuffers: 24,
  maxBindingsPerBindGroup: 1000,
  maxDynamicUniformBuffersPerPipelineLayout: 8,
  maxDynamicStorageBuffersPerPipelineLayout: 4,
  maxSampledTexturesPerShaderStage: 16,
  maxSamplersPerShaderStage: 16,
  maxStorageBuffersPerShaderStage: 8,
  maxStorageTexturesPerShaderStage: 4,
  maxUniformBuffersPerShaderStage: 12,
  maxUniformBufferBindingSize: 65536,
  maxStorageBufferBindingSize: 134217728,
  minUniformBufferOffsetAlignment: 256,
  minStorageBufferOffsetAlignment: 256,
  maxVertexBuffers: 8,
  maxBufferSize: 268435456,
  maxVertexAttributes: 16,
  maxVertexBufferArrayStride: 2048,
  maxInterStageShaderVariables: 16,
  maxColorAttachments: 8,
  maxColorAttachmentBytesPerSample: 32,
  maxComputeWorkgroupStorageSize: 16384,
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupSizeX: 256,
  maxComputeWorkgroupSizeY: 256,
  maxComputeWorkgroupSizeZ: 64,
  maxComputeWorkgroupsPerDimension: 65535,
};

/** `gpu`, clamped to the default limits and no features. */
export function defaultLimitsGpu(gpu: GPU): GPU {
  const wrapped = {
    async requestAdapter(opts?: GPURequestAdapterOptions): Promise<GPUAdapter | null> {
      const real = await gpu.requestAdapter(opts);
      return real && clampAdapter(real);
    },
    getPreferredCanvasFormat: () => gpu.getPreferredCanvasFormat(),
    wgslLanguageFeatures: gpu.wgslLanguageFeatures,
  };
  return wrapped as unknown as GPU;
}

function clampAdapter(real: GPUAdapter): GPUAdapter {
  const limits = { ...DEFAULT_LIMITS } as unknown as GPUSupportedLimits;
  const adapter = {
    features: new Set<string>() as unknown as GPUSupportedFeatures,
    limits,
    info: real.info,
    isFallbackAdapter: false,
    async requestDevice(desc: GPUDeviceDescriptor = {}): Promise<GPUDevice> {
      for (const f of desc.requiredFeatures ?? []) throw new TypeError(`the default-limits adapter has no feature '${f}'`);
      for (const [name, v] of Object.entries(desc.requiredLimits ?? {})) {
        if (v === undefined) continue;
        const have = DEFAULT_LIMITS[name];
        if (have === undefined) throw new TypeError(`unknown limit '${name}'`);
        const better = name.startsWith('min') ? v < have : v > have;
        if (better) throw new TypeError(`the default-limits adapter offers ${name} = ${have}, asked ${v}`);
      }
      return real.requestDevice({ label: desc.label, defaultQueue: desc.defaultQueue });
    },
  };
  return adapter as unknown as GPUAdapter;
}
