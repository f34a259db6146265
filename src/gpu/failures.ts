// Failures of the device, typed: WebGPU's validation and out-of-memory errors become GpuError
// (naming the kernel and the limit where WebGPU's message does), a lost device DeviceLostError.
// Each call opens two error scopes before it records anything and closes them right after its
// submit, all before its first await, so calls queued without awaiting keep their own scopes.
import { DeviceLostError, GpuError } from '../errors.js';
import { kernelLabels } from './pipelines.js';

export function openScopes(device: GPUDevice): void {
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
}

/** Closes the scopes openScopes opened: the first error either caught, or null. */
export function closeScopes(device: GPUDevice): Promise<GPUError | null> {
  const validation = device.popErrorScope();
  const oom = device.popErrorScope();
  return Promise.all([validation, oom]).then(([v, o]) => v ?? o, () => null);
}

/**
 * A GpuError for what WebGPU reported during `call` on a (B, T) shape. The command buffer of a
 * call with an error runs nothing, so the parameters and optimizer state are as they were.
 */
export function gpuError(err: GPUError, call: string, shape: string): GpuError {
  const oom = err.constructor?.name?.includes('OutOfMemory') || /out of memory/i.test(err.message);
  const labels = kernelLabels();
  const kernel = [...err.message.matchAll(/"([A-Za-z0-9]+)[":]/g)].map((m) => m[1]).find((l) => labels.has(l)) ?? null;
  const limits = [...new Set(err.message.match(/max[A-Z][A-Za-z]+/g) ?? [])];
  const what = oom ? 'ran out of GPU memory' : 'rejected the work (validation error)';
  const limitNote = limits.length ? ` (limit: ${limits.join(', ')})` : '';
  return new GpuError(
    oom ? 'out-of-memory' : 'validation',
    kernel,
    true,
    `WebGPU ${what} in ${call} on ${shape}${kernel ? `, kernel ${kernel}` : ''}${limitNote}: ${err.message.trim()}. ` +
      `Nothing ran; the model's parameters and optimizer state are unchanged and it is still usable` +
      (oom ? ' (a smaller batch or sequence may fit)' : ''),
  );
}

let uncaptured = 0;

/**
 * WebGPU errors in this process that no call's error scope caught (WebGPU's `uncapturederror`
 * events on the devices models use). Every call records and submits inside its scopes, so this
 * stays 0; the test suite checks that it does. (A browser also logs such an error to the console:
 * the listener does not prevent that.)
 */
export function uncapturedErrors(): number {
  return uncaptured;
}

const watched = new WeakSet<GPUDevice>();

/** Watches a device for loss; `check` throws DeviceLostError once it is lost. */
export class DeviceWatch {
  info: GPUDeviceLostInfo | null = null;

  constructor(private readonly device: GPUDevice) {
    device.lost.then((i) => {
      this.info = i;
    });
    // one listener a device, however many models share it
    if (!watched.has(device)) {
      watched.add(device);
      device.addEventListener('uncapturederror', () => uncaptured++);
    }
  }

  error(snapshotStep: number | null): DeviceLostError {
    const i = this.info!;
    const msg = i.message ? `: ${i.message}` : '';
    const snap = snapshotStep === null ? 'no snapshot was taken' : `model.recover() restores the snapshot of step ${snapshotStep}`;
    return new DeviceLostError(i.reason, snapshotStep, `the GPU device was lost (${i.reason}${msg}); ${snap}`);
  }

  check(snapshotStep: number | null): void {
    if (this.info) throw this.error(snapshotStep);
  }

  /**
   * Whether an error a call met comes from a lost device: a mapping or a submit aborted when the
   * device went away reports before device.lost resolves, so this waits a little for it.
   */
  async lostBy(): Promise<boolean> {
    if (this.info) return true;
    const waited = await Promise.race([this.device.lost.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 200))]);
    return waited || this.info !== null;
  }
}
