// Every WGSL kernel, its bindings, and the one pipeline cache. Sizes and parameter offsets reach
// the shaders as override constants (visible in each .wgsl file's header); shaders/common.wgsl and
// shaders/cells.wgsl (the shared cell math) are prepended to each, shaders/tile.wgsl to the step
// and BPTT kernels, shaders/gemm_views.wgsl (operands) to the GEMMs, and shaders/team.wgsl (the
// team tile) to the kernels that use subgroups, whose modules open with `enable subgroups;`; the
// one-row kernels (shaders/rows.wgsl) also get their product written out for their K
// (src/gpu/rows.ts), a module per K.
import common from '../../shaders/common.wgsl?raw';
import cells from '../../shaders/cells.wgsl?raw';
import linear from '../../shaders/linear.wgsl?raw';
import step from '../../shaders/step.wgsl?raw';
import bptt from '../../shaders/bptt.wgsl?raw';
import tile from '../../shaders/tile.wgsl?raw';
import gemm from '../../shaders/gemm.wgsl?raw';
import gemmRb from '../../shaders/gemm_rb.wgsl?raw';
import gemmViews from '../../shaders/gemm_views.wgsl?raw';
import team from '../../shaders/team.wgsl?raw';
import gemmTeam from '../../shaders/gemm_team.wgsl?raw';
import stepTeam from '../../shaders/step_team.wgsl?raw';
import bpttTeam from '../../shaders/bptt_team.wgsl?raw';
import rows from '../../shaders/rows.wgsl?raw';
import stepRows from '../../shaders/step_rows.wgsl?raw';
import bpttRows from '../../shaders/bptt_rows.wgsl?raw';
import gemmRows from '../../shaders/gemm_rows.wgsl?raw';
import colgrad from '../../shaders/colgrad.wgsl?raw';
import loss from '../../shaders/loss.wgsl?raw';
import reduce from '../../shaders/reduce.wgsl?raw';
import optim from '../../shaders/optim.wgsl?raw';
import sample from '../../shaders/sample.wgsl?raw';
import generate from '../../shaders/generate.wgsl?raw';
import sequence from '../../shaders/sequence.wgsl?raw';
import transpose from '../../shaders/transpose.wgsl?raw';
import route from '../../shaders/route.wgsl?raw';
import { SHADER_STAGE_COMPUTE } from './buffers.js';
import { rowProductWgsl } from './rows.js';

/** step.wgsl and bptt.wgsl, after the register tile their GPU entries share (shaders/tile.wgsl). */
const stepSrc = `${tile}\n${step}`;
const bpttSrc = `${tile}\n${bptt}`;
/** The same with the team tile and its entries (CPU adapters whose subgroups are 4 wide). */
const stepTeamSrc = `${stepSrc}\n${team}\n${stepTeam}`;
const bpttTeamSrc = `${bpttSrc}\n${team}\n${bpttTeam}`;
const gemmTeamSrc = `${team}\n${gemmViews}\n${gemmTeam}`;
/** The team kernels' one-row forms: recurrences and GEMM (rowProduct comes from rows.ts, for ROW_K). */
const stepRowsSrc = `${stepTeamSrc}\n${rows}\n${stepRows}`;
const bpttRowsSrc = `${bpttTeamSrc}\n${rows}\n${bpttRows}`;
const gemmRowsSrc = `${gemmTeamSrc}\n${rows}\n${gemmRows}`;
/** The GEMMs after their shared overrides and bindings (shaders/gemm_views.wgsl). */
const gemmSrc = `${gemmViews}\n${gemm}`;
const gemmRbSrc = `${gemmViews}\n${gemmRb}`;

/**
 * Each kernel's bindings, one letter per binding in order: r read-only storage, w read-write
 * storage, u uniform, d uniform with a dynamic offset (a Step entry).
 */
const KERNELS = {
  linear: { src: linear, entry: 'main', bindings: 'rrrrwd' },
  stepTiled: { src: stepSrc, entry: 'tiled', bindings: 'rrwwwdr' },
  stepBlocked: { src: stepSrc, entry: 'blocked', bindings: 'rrwwwdr' },
  backTiled: { src: bpttSrc, entry: 'back_tiled', bindings: 'rrrrrwwd' },
  backBlocked: { src: bpttSrc, entry: 'back_blocked', bindings: 'rrrrrwwd' },
  h0Tiled: { src: bpttSrc, entry: 'h0_tiled', bindings: 'rrrrrwwd' },
  h0Blocked: { src: bpttSrc, entry: 'h0_blocked', bindings: 'rrrrrwwd' },
  stepTeam: { src: stepTeamSrc, entry: 'team', bindings: 'rrwwwdr', subgroups: true },
  stepTeamSeq: { src: stepTeamSrc, entry: 'team_seq', bindings: 'rrwwwdr', subgroups: true },
  backTeam: { src: bpttTeamSrc, entry: 'back_team', bindings: 'rrrrrwwd', subgroups: true },
  h0Team: { src: bpttTeamSrc, entry: 'h0_team', bindings: 'rrrrrwwd', subgroups: true },
  backTeamSeq: { src: bpttTeamSrc, entry: 'back_team_seq', bindings: 'rrrrrwwd', subgroups: true },
  stepRowSeq: { src: stepRowsSrc, entry: 'row_seq', bindings: 'rrwwwdr', subgroups: true, rows: true },
  backRowSeq: { src: bpttRowsSrc, entry: 'back_row_seq', bindings: 'rrrrrwwd', subgroups: true, rows: true },
  gemmTeam: { src: gemmTeamSrc, entry: 'main', bindings: 'rrrw', subgroups: true },
  gemmRows: { src: gemmRowsSrc, entry: 'row_gemm', bindings: 'rrrw', subgroups: true, rows: true },
  gemm: { src: gemmSrc, entry: 'main', bindings: 'rrrw' },
  gemmSplitSum: { src: gemmSrc, entry: 'split_sum', bindings: 'rrrw' },
  gemmRb: { src: gemmRbSrc, entry: 'main', bindings: 'rrrwrr' },
  colBias: { src: colgrad, entry: 'bias', bindings: 'rrw' },
  colTokens: { src: colgrad, entry: 'tokens', bindings: 'rrw' },
  colChunks: { src: colgrad, entry: 'chunks', bindings: 'rrw' },
  colTokensCsr: { src: colgrad, entry: 'tokens_csr', bindings: 'rrw' },
  loss: { src: loss, entry: 'main', bindings: 'rrrwwdr' },
  routeGather: { src: route, entry: 'gather', bindings: 'rrrw' },
  routeScatter: { src: route, entry: 'scatter_csr', bindings: 'rrrw' },
  reduce: { src: reduce, entry: 'main', bindings: 'rw' },
  optim: { src: optim, entry: 'main', bindings: 'wrwwru' },
  sample: { src: sample, entry: 'main', bindings: 'rwud' },
  generate: { src: generate, entry: 'main', bindings: 'rrwur' },
  seqForward: { src: sequence, entry: 'forward', bindings: 'rrwwwrwwdr' },
  seqBackward: { src: sequence, entry: 'backward', bindings: 'rrwwwrwwdr' },
  transpose: { src: transpose, entry: 'main', bindings: 'rw' },
} as const;

export type KernelName = keyof typeof KERNELS;
export type Constants = Record<string, number | boolean>;

/** Bytes between Step entries in the step uniform buffer (minUniformBufferOffsetAlignment). */
export const STEP_STRIDE = 256;

export class Kernels {
  private modules = new Map<string, GPUShaderModule>();
  private layouts = new Map<KernelName, GPUBindGroupLayout>();
  private pipelines = new Map<string, GPUComputePipeline>();

  constructor(private readonly device: GPUDevice) {}

  layout(name: KernelName): GPUBindGroupLayout {
    let l = this.layouts.get(name);
    if (!l) {
      const entries: GPUBindGroupLayoutEntry[] = [...KERNELS[name].bindings].map((b, i) => ({
        binding: i,
        visibility: SHADER_STAGE_COMPUTE,
        buffer:
          b === 'r'
            ? { type: 'read-only-storage' }
            : b === 'w'
              ? { type: 'storage' }
              : { type: 'uniform', hasDynamicOffset: b === 'd' },
      }));
      l = this.device.createBindGroupLayout({ label: name, entries });
      this.layouts.set(name, l);
    }
    return l;
  }

  /** constants.ROW_K (the one-row kernels only) picks the written-out product; the rest are overrides. */
  pipeline(name: KernelName, constants: Constants): GPUComputePipeline {
    const key = `${name}:${JSON.stringify(constants)}`;
    let p = this.pipelines.get(key);
    if (!p) {
      const k = KERNELS[name];
      const { ROW_K, ...overrides } = constants;
      const generated = 'rows' in k ? rowProductWgsl(Number(ROW_K)) : '';
      const moduleKey = `${k.src}${generated}`;
      let module = this.modules.get(moduleKey);
      if (!module) {
        const enable = 'subgroups' in k ? 'enable subgroups;\n' : '';
        module = this.device.createShaderModule({ label: name, code: `${enable}${common}\n${cells}\n${k.src}\n${generated}` });
        this.modules.set(moduleKey, module);
      }
      const c: Record<string, number> = {};
      for (const [n, v] of Object.entries('rows' in k ? overrides : constants)) c[n] = typeof v === 'boolean' ? Number(v) : v;
      p = this.device.createComputePipeline({
        label: key,
        layout: this.device.createPipelineLayout({ bindGroupLayouts: [this.layout(name)] }),
        compute: { module, entryPoint: k.entry, constants: c },
      });
      this.pipelines.set(key, p);
    }
    return p;
  }

  /** Whether binding i of the kernel takes a dynamic offset. */
  static dynamicBinding(name: KernelName): number {
    return KERNELS[name].bindings.indexOf('d');
  }
}

/** Workgroups for `total` invocations of 64: x ≤ 65535, y as needed (flatId in common.wgsl). */
export function grid(total: number): [number, number] {
  const groups = Math.max(1, Math.ceil(total / 64));
  const x = Math.min(groups, 65535);
  return [x, Math.ceil(groups / x)];
}
