// The one owner of GPU buffers: every allocation goes through here, and destroy() frees them all.
import { checkBindable } from './device.js';

// The spec's flag values, so this module loads where WebGPU's globals are absent (CPU-only, Node).
export const Usage = { MAP_READ: 0x1, COPY_SRC: 0x4, COPY_DST: 0x8, UNIFORM: 0x40, STORAGE: 0x80 } as const;
export const MAP_READ_MODE = 0x1;
export const SHADER_STAGE_COMPUTE = 0x4;
const STORAGE = Usage.STORAGE | Usage.COPY_SRC | Usage.COPY_DST;

/** GPU buffers alive now across every model in this process (the soak test watches it). */
let live = 0;
export const liveBuffers = (): number => live;

export class BufferOwner {
  private buffers = new Set<GPUBuffer>();

  /** poison: fill new storage buffers with NaN, so an element a kernel fails to write shows up in tests. */
  constructor(private readonly device: GPUDevice, private readonly poison = false) {}

  /** A storage buffer of at least 16 bytes (float32 / uint32 elements). */
  storage(label: string, elements: number): GPUBuffer {
    const size = Math.max(16, Math.ceil((elements * 4) / 16) * 16);
    checkBindable(this.device, label, size);
    const b = this.track(this.device.createBuffer({ label, size, usage: STORAGE }));
    if (this.poison) this.device.queue.writeBuffer(b, 0, new Float32Array(size / 4).fill(NaN));
    return b;
  }

  uniform(label: string, bytes: number): GPUBuffer {
    return this.track(
      this.device.createBuffer({ label, size: Math.ceil(bytes / 16) * 16, usage: Usage.UNIFORM | Usage.COPY_DST }),
    );
  }

  staging(label: string, bytes: number): GPUBuffer {
    return this.track(
      this.device.createBuffer({ label, size: Math.ceil(bytes / 4) * 4, usage: Usage.MAP_READ | Usage.COPY_DST }),
    );
  }

  private allocations = 0;
  private readonly order = new Map<GPUBuffer, number>();

  private track(b: GPUBuffer): GPUBuffer {
    live++;
    this.buffers.add(b);
    this.order.set(b, this.allocations++);
    return b;
  }

  /** Bytes currently allocated. */
  get bytes(): number {
    let n = 0;
    for (const b of this.buffers) n += b.size;
    return n;
  }

  /** Live buffers now (the soak test watches it). */
  get count(): number {
    return this.buffers.size;
  }

  /** A point to roll back to: releaseSince(mark()) frees what was allocated after it. */
  mark(): number {
    return this.allocations;
  }

  releaseSince(mark: number): void {
    for (const [b, n] of this.order) if (n >= mark) this.release(b);
  }

  release(b: GPUBuffer): void {
    this.order.delete(b);
    if (this.buffers.delete(b)) {
      live--;
      b.destroy();
    }
  }

  destroy(): void {
    live -= this.buffers.size;
    for (const b of this.buffers) b.destroy();
    this.buffers.clear();
    this.order.clear();
  }
}

/** Copies `bytes` at `offset` of a GPU buffer back to the CPU (one submit). */
export async function readBack(device: GPUDevice, owner: BufferOwner, src: GPUBuffer, offset: number, bytes: number): Promise<Float32Array> {
  const st = owner.staging('readback', bytes);
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(src, offset, st, 0, Math.ceil(bytes / 4) * 4);
  device.queue.submit([enc.finish()]);
  await st.mapAsync(MAP_READ_MODE);
  const out = new Float32Array(st.getMappedRange().slice(0));
  st.unmap();
  owner.release(st);
  return out;
}
