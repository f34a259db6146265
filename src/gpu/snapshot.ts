// The model's recent copy on the CPU: every N training steps the step's own command buffer also
// copies the parameters, the optimizer's moments and the step's scalars into a staging buffer,
// mapped without awaiting (training goes on; the copy lands when the GPU gets there), so that a
// lost device costs at most N steps (model.recover()). One snapshot in flight at a time: a due
// one is put off while the last is still mapping.
import { MAP_READ_MODE } from './buffers.js';
export { DEFAULT_SNAPSHOT_EVERY } from '../train/options.js';
import type { Engine } from './engine.js';

/** A snapshot as copied: the parameters flat, in the layout's order. */
export interface FlatSnapshot {
  step: number;
  params: Float32Array;
  m: Float32Array | null;
  v: Float32Array | null;
}

export class Snapshots {
  /** The newest complete snapshot (the parameters given at creation until the first is taken). */
  latest: FlatSnapshot | null = null;
  private pending = false;

  constructor(private readonly e: Engine) {}

  /** Whether a snapshot should go with step t (1-based), every `every` steps (0: never). */
  due(t: number, every: number): boolean {
    return every > 0 && t % every === 0 && !this.pending;
  }

  /**
   * Appends the copies to a step's encoder (after its update); `moments`: 0 none (plain SGD), 1 m
   * (momentum), 2 m and v (Adam). Returns what to call once the step's own results are back (the
   * copy has landed by then, so mapping it waits for nothing): `collect` maps it and keeps it,
   * `abandon` drops it (the step failed).
   */
  record(enc: GPUCommandEncoder, t: number, moments: 0 | 1 | 2): PendingSnapshot {
    const e = this.e;
    const n = e.lay.total * 4;
    const staging = e.owner.staging('snapshot', 16 + (1 + moments) * n);
    enc.copyBufferToBuffer(e.scalars, 0, staging, 0, 16);
    enc.copyBufferToBuffer(e.params, 0, staging, 16, n);
    if (moments >= 1) enc.copyBufferToBuffer(e.m, 0, staging, 16 + n, n);
    if (moments === 2) enc.copyBufferToBuffer(e.v, 0, staging, 16 + 2 * n, n);
    this.pending = true;
    const abandon = (): void => {
      this.pending = false;
      e.owner.release(staging);
    };
    const collect = (): void => {
      staging.mapAsync(MAP_READ_MODE).then(
        () => {
          const all = new Float32Array(staging.getMappedRange().slice(0));
          staging.unmap();
          e.owner.release(staging);
          this.pending = false;
          const [loss, normSq] = all;
          // a skipped step (non-finite loss or norm) changed nothing: its snapshot is step t − 1's
          const step = Number.isFinite(loss) && Number.isFinite(normSq) ? t : t - 1;
          const total = e.lay.total;
          this.latest = {
            step,
            params: all.slice(4, 4 + total),
            m: moments >= 1 ? all.slice(4 + total, 4 + 2 * total) : null,
            v: moments === 2 ? all.slice(4 + 2 * total, 4 + 3 * total) : null,
          };
        },
        // the device was lost before the copy landed: the previous snapshot stands
        abandon,
      );
    };
    return { collect, abandon };
  }
}

export interface PendingSnapshot {
  collect(): void;
  abandon(): void;
}
