// Typed errors. Every message names what was wrong and, where there is one, what was expected,
// so a caller can act on it (STYLE.md §5). Validation happens once, at the API boundary.

export class WebrnnError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A tensor or argument has the wrong shape / size. */
export class RnnShapeError extends WebrnnError {}

/** A token or class id is outside [0, vocab). */
export class TokenRangeError extends WebrnnError {}

/** An input, target or parameter holds NaN or ±Infinity. */
export class NonFiniteError extends WebrnnError {}

/** A model or training option is invalid (unknown cell, non-positive size, bad learning rate...). */
export class ConfigError extends WebrnnError {}

/** A safetensors file is malformed or does not match the model. `reason` is a stable code. */
export class SafetensorsError extends WebrnnError {
  constructor(
    readonly reason:
      | 'truncated'
      | 'header-length'
      | 'header-json'
      | 'header-schema'
      | 'dtype'
      | 'shape-size'
      | 'offsets'
      | 'duplicate'
      | 'missing'
      | 'unexpected',
    message: string,
  ) {
    super(message);
  }
}

/** WebGPU is missing, or the adapter lacks a feature or limit the model needs. */
export class WebGpuUnavailableError extends WebrnnError {}

/**
 * The model, or one call's shape, needs more of a device limit than this device has: `limit` is
 * the WebGPU limit's name, `needed` what the model asks, `available` what the device offers.
 */
export class GpuLimitError extends WebGpuUnavailableError {
  constructor(
    readonly limit: string,
    readonly needed: number,
    readonly available: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * WebGPU rejected the work of a call (a validation or out-of-memory error). `kernel` names the
 * kernel the error is about where WebGPU's message says, `modelUsable` whether the model's
 * parameters and optimizer state are intact (a rejected command buffer runs nothing), so that the
 * caller may retry with a smaller batch or sequence, or save the model.
 */
export class GpuError extends WebrnnError {
  constructor(
    readonly kind: 'validation' | 'out-of-memory' | 'internal',
    readonly kernel: string | null,
    readonly modelUsable: boolean,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The GPU device was lost (a driver reset, a backgrounded tab on mobile, device.destroy()): every
 * call rejects with this until `model.recover()` recreates a device from the model's last CPU
 * snapshot. `reason` is WebGPU's ('destroyed' or 'unknown'); `snapshotStep` the optimizer step
 * the snapshot holds (null: none).
 */
export class DeviceLostError extends WebrnnError {
  constructor(
    readonly reason: string,
    readonly snapshotStep: number | null,
    message: string,
  ) {
    super(message);
  }
}

/** A model that was disposed was used again. */
export class DisposedError extends WebrnnError {}

/**
 * Rejects a field an options object does not know: a typo such as `{ learningRate }` or `{ clipNorm }`
 * would otherwise be ignored silently (PyTorch rejects an unexpected keyword argument, too).
 */
export function checkKeys(what: string, v: object, known: readonly string[]): void {
  for (const k of Object.keys(v)) {
    if (!known.includes(k)) throw new ConfigError(`${what} has no field '${k.slice(0, 60)}' (its fields: ${known.join(', ')})`);
  }
}

/** Any value as error-message text, whatever it is (a symbol, a BigInt, an object without a prototype). */
export function show(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return `'${v.slice(0, 60)}'`;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'undefined' || typeof v === 'bigint' || typeof v === 'symbol') return String(v);
  if (typeof v === 'function') return 'a function';
  if (Array.isArray(v)) return 'a plain Array';
  const ctor = (v as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof ctor === 'string' ? `a ${ctor}` : 'an object';
}
