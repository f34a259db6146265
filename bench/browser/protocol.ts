// What the bench page (bench-page.ts) exposes to the Node driver (bench/browser.ts) as
// window.webrnnBench, and what it returns. Everything crosses page.evaluate as JSON.
import type { Measurement, Timing } from '../measure.js';
import type { Profile } from '../profile.js';
import type { GpuOptions } from '../../src/index.js';

export type TfjsBackend = 'webgpu' | 'wasm' | 'cpu';

export interface TfjsMeasurement {
  backend: TfjsBackend;
  /** ms per training step: minimize() awaited through loss.data(). */
  time: Timing;
  warmup: number;
  loss: number;
  /** Kernels one step ran (tf.profile of one extra, untimed step), when asked for. */
  kernels?: number;
  /** wasm: which binary ran (simd, threads). */
  detail?: string;
}

export interface PageInfo {
  userAgent: string;
  tfjsVersion: string;
  crossOriginIsolated: boolean;
  hardwareConcurrency: number;
}

export interface WebrnnBenchApi {
  info(): PageInfo;
  webrnn(reps: { warmup: number; reps: number }, kernels: GpuOptions['kernels']): Promise<Measurement>;
  profile(kernels: GpuOptions['kernels']): Promise<Profile>;
  tfjs(backend: TfjsBackend, reps: { warmup: number; reps: number }, profile: boolean): Promise<TfjsMeasurement>;
}

declare global {
  interface Window {
    webrnnBench?: WebrnnBenchApi;
  }
}
