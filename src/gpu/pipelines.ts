// The one pipeline cache (per device). A kernel is a KernelSpec, declared by its family's host wrapper
// (src/gpu/kernels/*.ts, beside the family's .wgsl files): its WGSL, entry point and bindings.
// Sizes and parameter offsets reach the shaders as override constants (visible in each .wgsl
// file's header); shaders/common.wgsl and shaders/cells.wgsl (the shared cell math) are prepended
// to every module, and kernels that use subgroups open with `enable subgroups;`; the one-row
// kernels (shaders/rows.wgsl) also get their product written out for their K (src/gpu/rows.ts), a
// module per K.
import common from '../../shaders/common.wgsl?raw';
import cells from '../../shaders/cells.wgsl?raw';
import { SHADER_STAGE_COMPUTE } from './buffers.js';
import { rowProductWgsl } from './rows.js';

export interface KernelSpec {
  /** The kernel's name in pipeline labels (bench/profile.ts groups by it) and errors. */
  readonly label: string;
  readonly src: string;
  readonly entry: string;
  /**
   * One letter per binding in order: r read-only storage, w read-write storage, u uniform, d
   * uniform with a dynamic offset (a Step entry).
   */
  readonly bindings: string;
  /** Needs the 'subgroups' feature. */
  readonly subgroups?: boolean;
  /** A one-row kernel: constants.ROW_K picks the product rows.ts writes out. */
  readonly rows?: boolean;
}

const labels = new Set<string>();

export function kernel(label: string, src: string, entry: string, bindings: string, extra: { subgroups?: boolean; rows?: boolean } = {}): KernelSpec {
  labels.add(label);
  return { label, src, entry, bindings, ...extra };
}

/** Every kernel's label (failures.ts finds them in WebGPU's messages). */
export function kernelLabels(): ReadonlySet<string> {
  return labels;
}

/** Storage buffers a kernel binds: what maxStorageBuffersPerShaderStage must hold. */
export function storageBindings(spec: KernelSpec): number {
  return [...spec.bindings].filter((b) => b === 'r' || b === 'w').length;
}

export type Constants = Record<string, number | boolean>;

/** Bytes between Step entries in the step uniform buffer (minUniformBufferOffsetAlignment). */
export const STEP_STRIDE = 256;

/** One cache per device, shared by every model on it (compiling a pipeline is the slow part of a first call). */
const perDevice = new WeakMap<GPUDevice, Pipelines>();

export class Pipelines {
  static of(device: GPUDevice): Pipelines {
    let p = perDevice.get(device);
    if (!p) perDevice.set(device, (p = new Pipelines(device)));
    return p;
  }

  private modules = new Map<string, GPUShaderModule>();
  private layouts = new Map<KernelSpec, GPUBindGroupLayout>();
  private pipelines = new Map<string, GPUComputePipeline>();

  private constructor(private readonly device: GPUDevice) {}

  layout(spec: KernelSpec): GPUBindGroupLayout {
    let l = this.layouts.get(spec);
    if (!l) {
      const entries: GPUBindGroupLayoutEntry[] = [...spec.bindings].map((b, i) => ({
        binding: i,
        visibility: SHADER_STAGE_COMPUTE,
        buffer:
          b === 'r'
            ? { type: 'read-only-storage' }
            : b === 'w'
              ? { type: 'storage' }
              : { type: 'uniform', hasDynamicOffset: b === 'd' },
      }));
      l = this.device.createBindGroupLayout({ label: spec.label, entries });
      this.layouts.set(spec, l);
    }
    return l;
  }

  /** constants.ROW_K (the one-row kernels only) picks the written-out product; the rest are overrides. */
  pipeline(spec: KernelSpec, constants: Constants): GPUComputePipeline {
    const key = `${spec.label}:${JSON.stringify(constants)}`;
    let p = this.pipelines.get(key);
    if (!p) {
      const { ROW_K, ...overrides } = constants;
      const generated = spec.rows ? rowProductWgsl(Number(ROW_K)) : '';
      const moduleKey = `${spec.src}${generated}`;
      let module = this.modules.get(moduleKey);
      if (!module) {
        const enable = spec.subgroups ? 'enable subgroups;\n' : '';
        module = this.device.createShaderModule({ label: spec.label, code: `${enable}${common}\n${cells}\n${spec.src}\n${generated}` });
        this.modules.set(moduleKey, module);
      }
      const c: Record<string, number> = {};
      for (const [n, v] of Object.entries(spec.rows ? overrides : constants)) c[n] = typeof v === 'boolean' ? Number(v) : v;
      p = this.device.createComputePipeline({
        label: key,
        layout: this.device.createPipelineLayout({ bindGroupLayouts: [this.layout(spec)] }),
        compute: { module, entryPoint: spec.entry, constants: c },
      });
      this.pipelines.set(key, p);
    }
    return p;
  }
}

/** Workgroups for `total` invocations of 64: x ≤ 65535, y as needed (flatId in common.wgsl). */
export function grid(total: number): [number, number] {
  const groups = Math.max(1, Math.ceil(total / 64));
  const x = Math.min(groups, 65535);
  return [x, Math.ceil(groups / x)];
}
