// The kernel choice: every decision that depends on the device's limits and features is made
// here, from `device.limits` and `device.features` (what the device was created with, not what the
// adapter could offer), so that a device with only WebGPU's default limits and no optional
// features gets variants that fit it. The shape-only heuristics (split-K, reduction slices) stay
// with their kernel families.
import { gateCount, type ModelConfig } from '../model/config.js';
import { WebGpuUnavailableError } from '../errors.js';
import type { GpuContext } from './device.js';
import { storageBindings, type KernelSpec } from './pipelines.js';
import { SEQ_BACKWARD, SEQ_FORWARD } from './kernels/sequence.js';

/** 'gpu': tiled kernels in workgroup memory; 'cpu': register-blocked kernels without barriers (CPU adapters). */
export type KernelFamily = 'gpu' | 'cpu';

/**
 * Kernel variants: 'auto' (default: chosen from the adapter and the shape), or forced for tests:
 * 'gpu', 'gpu-per-step' (GPU kernels, never the one-dispatch recurrence), 'cpu' (the CPU-adapter
 * kernels, 4×4-blocked), 'cpu-team' (the CPU-adapter kernels on the team tile of
 * shaders/team.wgsl, where subgroups are 4 wide; 'auto' picks it on such CPU adapters),
 * 'cpu-team-per-step' (the same, never the one-dispatch recurrence).
 */
export const KERNELS_OPTIONS = ['auto', 'gpu', 'gpu-per-step', 'cpu', 'cpu-team', 'cpu-team-per-step'] as const;
export type KernelsOption = (typeof KERNELS_OPTIONS)[number];

/** The one-dispatch recurrence's split (shaders/sequence.wgsl): k-slices per unit, invocations a workgroup (H · slices). */
export interface SequenceSplit {
  kSlices: number;
  workgroupSize: number;
}

/**
 * The fused generation loop's split (shaders/generate.wgsl): invocations in its one workgroup,
 * k-slices per cell row and per head row, words of partial sums, logits per sampling chunk.
 */
export interface GenerationSplit {
  workgroupSize: number;
  cellSlices: number;
  headSlices: number;
  chunk: number;
  partials: number;
}

export class KernelChoice {
  readonly family: KernelFamily;
  /** The CPU family on the team tile (shaders/team.wgsl) instead of 4×4 blocks. */
  readonly team: boolean;
  /** Whether a recurrence may run in one dispatch (not forced per step). */
  private readonly sequences: boolean;
  private readonly lim: GPUSupportedLimits;

  constructor(ctx: GpuContext, private readonly cfg: ModelConfig, variant: KernelsOption) {
    this.lim = ctx.device.limits;
    this.family = variant === 'auto' ? (ctx.cpuAdapter ? 'cpu' : 'gpu') : variant.startsWith('cpu') ? 'cpu' : 'gpu';
    const subgroups4 = ctx.subgroups4 && ctx.device.features.has('subgroups');
    if (variant.startsWith('cpu-team') && !subgroups4) {
      throw new WebGpuUnavailableError(
        `kernels: '${variant}' needs subgroups exactly 4 invocations wide; ${ctx.adapterName} has ` +
          `${ctx.device.features.has('subgroups') ? 'other subgroup sizes' : 'no subgroups feature'} (use 'cpu' or 'auto')`,
      );
    }
    this.team = variant.startsWith('cpu-team') || (variant === 'auto' && ctx.cpuAdapter && subgroups4);
    this.sequences = !variant.endsWith('per-step');
  }

  /** The device runs this kernel: its storage bindings within maxStorageBuffersPerShaderStage, subgroups present if it needs them. */
  fits(spec: KernelSpec): boolean {
    return storageBindings(spec) <= this.lim.maxStorageBuffersPerShaderStage && (!spec.subgroups || this.team);
  }

  /** Invocations a workgroup may have along x. */
  get maxWorkgroupSize(): number {
    return Math.min(this.lim.maxComputeInvocationsPerWorkgroup, this.lim.maxComputeWorkgroupSizeX);
  }

  /** Whether the device takes a one-row kernel's workgroup of n invocations. */
  rowWorkgroupFits(n: number): boolean {
    return n <= this.maxWorkgroupSize;
  }

  /** Whether a dispatch of n workgroups along one dimension fits. */
  workgroupsFit(n: number): boolean {
    return n <= this.lim.maxComputeWorkgroupsPerDimension;
  }

  /**
   * Whether the whole recurrence runs in one dispatch per unit (shaders/sequence.wgsl), and with
   * how many slices per unit: GPU kernels; the kernels' 9 storage bindings; H·slices invocations
   * in a workgroup; the state of four rows and the slices' partial sums in workgroup memory. Every
   * workgroup streams all of W_hh each step (rows in different workgroups share nothing), so this
   * pays only while W_hh is small and the workgroups few; beyond that the per-step kernels, which
   * read W_hh once per step across all rows, win.
   */
  sequence(B: number): SequenceSplit | null {
    if (this.family !== 'gpu' || !this.sequences || !this.fits(SEQ_FORWARD) || !this.fits(SEQ_BACKWARD)) return null;
    const H = this.cfg.hiddenSize;
    const GH = gateCount(this.cfg.cell) * H;
    const maxInv = this.maxWorkgroupSize;
    const whhBytes = GH * H * 4;
    if (H > maxInv || whhBytes > SEQUENCE_MAX_WHH || Math.ceil(B / 4) * whhBytes > SEQUENCE_MAX_TRAFFIC) return null;
    const store = this.lim.maxComputeWorkgroupStorageSize;
    const fits = (ks: number): boolean =>
      H * ks <= maxInv &&
      (ks === 1 || Math.ceil(H / ks) >= 16) &&
      16 * (H + Math.max(1, (ks - 1) * GH)) <= store &&
      16 * (GH + Math.max(1, (ks - 1) * H)) <= store;
    const kSlices = [8, 4, 2, 1].find(fits);
    return kSlices ? { kSlices, workgroupSize: H * kSlices } : null;
  }

  /**
   * Whether the team kernels run a layer's recurrence in one dispatch per direction (team_seq,
   * back_team_seq) instead of one per time step. SwiftShader here pays about 0.3 ms a dispatch
   * that does work (a forward recurrence of RNN H128 B32 T64: 0.72× the time of its 64 per-step
   * dispatches, bench/RESULTS.md), but runs a workgroup on one worker thread, and the sequence
   * form has only ⌈B / 8⌉ workgroups (row blocks): so it is taken while those are at least
   * half the logical cores (navigator.hardwareConcurrency where known, else 2).
   */
  teamSequence(B: number): boolean {
    if (!this.team || !this.sequences) return false;
    const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 2;
    return 2 * Math.ceil(B / 8) >= cores;
  }

  /** The recurrence form a batch of B rows gets, for stats(). */
  form(B: number): 'sequence' | 'per-step' {
    return B && (this.sequence(B) || this.teamSequence(B)) ? 'sequence' : 'per-step';
  }

  /** 'gpu', 'cpu' or 'cpu-team': the family as stats() names it. */
  get name(): string {
    return this.team ? 'cpu-team' : this.family;
  }

  /**
   * The tile of the per-step kernels (shaders/step.wgsl `tiled`, bptt.wgsl `*_tiled`) for `cols`
   * column tiles over B rows and a reduction of length K: rows per invocation (tiles of 8 of
   * them), halved while the step would have fewer than 128 workgroups (a big GPU has ~132 SMs),
   * and k-slices, groups of 8×8 invocations splitting K (8 from K = 512 on, where the device allows
   * 512 invocations and the workgroup memory: fewer chunks, so fewer barriers).
   */
  stepTile(cols: number, B: number, K: number): { rowsPerInvocation: number; kSlices: number } {
    return stepTile(this.lim, cols, B, K);
  }

  /**
   * The fused generation loop's split (shaders/generate.wgsl's header), or null when it does not
   * fit one workgroup's memory. On a GPU: up to 1024 invocations, each dot product cut into
   * k-slices summed through workgroup memory, sampling over chunks of ⌈√O⌉ logits, so that a
   * token's latency is a few short load batches and barriers. On the CPU adapter (SwiftShader: a
   * barrier switches every invocation's coroutine) one invocation per unit, one sampling chunk:
   * the fewest barriers.
   */
  generation(): GenerationSplit | null {
    const { cell, hiddenSize: H, numLayers: L, outputSize: O } = this.cfg;
    // (on SwiftShader too the fused loop is faster: 849 vs 1083 µs/token for RNN H256, 2026-11-26)
    if (cell === 'tutorial') return null;
    const maxWGS = this.maxWorkgroupSize;
    const rows = gateCount(cell) * H * (L > 1 ? 2 : 1); // a layer's partial-sum rows
    const state = L * H * (cell === 'lstm' ? 2 : 1) + 2 * O + 1; // words of h, c, z, keep, the token
    const split = (cellSlices: number, headSlices: number, chunk: number, work: number): GenerationSplit | null => {
      const workgroupSize = Math.min(maxWGS, 64 * Math.ceil(work / 64));
      const partials = Math.max(1, cellSlices > 1 ? rows * cellSlices : 0, headSlices > 1 ? O * headSlices : 0);
      const bytes = 4 * (state + partials + 2 * Math.ceil(O / chunk));
      return H <= 4 * workgroupSize && bytes <= this.lim.maxComputeWorkgroupStorageSize ? { workgroupSize, cellSlices, headSlices, chunk, partials } : null;
    };
    if (this.family === 'cpu') return split(1, 1, O, Math.max(H, O));
    // H100, RNN H256 V65, 200 tokens (2026-11-26, before the 16-byte loads): 55.9 µs/token with one
    // invocation per unit → 13.2 with 16 cell slices (8: 14.2, 32: 15.5; one sampling chunk: +13)
    const headSlices = [8, 4, 2].find((k) => k <= H && O * k <= maxWGS) ?? 1;
    const chunk = Math.max(2, Math.ceil(Math.sqrt(O)));
    for (const S of [16, 8, 4, 2, 1].filter((k) => k <= H)) {
      const work = Math.max(H, O * headSlices, Math.min(rows * S, 1024));
      const g = split(S, headSlices, chunk, work) ?? split(S, 1, chunk, work);
      if (g) return g;
    }
    return null;
  }
}

/**
 * W_hh bytes up to which a layer's recurrence may run in one dispatch (KernelChoice.sequence). On
 * the H100 (bench/RESULTS.md, run 2): RNN H256 B32, W_hh 256 KiB, 1.62 ms per train step in one
 * dispatch against 2.93 per step; GRU H512 B32, W_hh 3 MiB, 6.74 against 4.35.
 */
const SEQUENCE_MAX_WHH = 2 ** 20;
/** W_hh bytes all workgroups together may stream per step. */
const SEQUENCE_MAX_TRAFFIC = 64 * 2 ** 20;

/** KernelChoice.stepTile for given limits (exported for tests). */
export function stepTile(lim: GPUSupportedLimits, cols: number, B: number, K: number): { rowsPerInvocation: number; kSlices: number } {
  let rb = 4;
  while (rb > 1 && cols * Math.ceil(B / (8 * rb)) < 128) rb /= 2;
  const words = (ks: number): number => Math.max(8 * rb * (16 * ks + 1) + 16 * ks * 33, ks * 8 * rb * 33);
  let ks = K >= 512 ? 8 : 4;
  while (ks > 1 && (64 * ks > lim.maxComputeInvocationsPerWorkgroup || 4 * words(ks) > lim.maxComputeWorkgroupStorageSize)) ks /= 2;
  return { rowsPerInvocation: rb, kSlices: ks };
}
