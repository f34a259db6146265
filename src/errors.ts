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

/** A model that was disposed was used again. */
export class DisposedError extends WebrnnError {}
