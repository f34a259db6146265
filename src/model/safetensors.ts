// safetensors: the tensor container PyTorch checkpoints are exchanged in.
//
//   file   = N (u64, little-endian) ‖ header (N bytes, UTF-8 JSON) ‖ data
//   header = {"__metadata__"?: {str: str}, name: {"dtype", "shape": [d0, …], "data_offsets": [b, e]}, …}
//   data[b:e] = the tensor, C-order (row-major), little-endian;  e − b = sizeof(dtype) · Π shape
//   the byte ranges, sorted by offset, tile data exactly: [0, e₀) [e₀, e₁) … [·, len(data))
//
// The writer pads the header with spaces so the data starts 8-byte aligned, puts `__metadata__`
// first and the tensors in insertion order. The reader treats the file as hostile: every length is
// checked against the bytes actually present before anything is allocated, so a header that claims
// a [2^40, 2^40] tensor costs nothing, and total allocation stays within the file's size (×2 for
// F16/BF16, which are widened to Float32Array).
import { SafetensorsError, show } from '../errors.js';

export type DType = 'F32' | 'F64' | 'I32' | 'F16' | 'BF16';
export type WritableDType = 'F32' | 'F64' | 'I32';

export interface TensorEntry {
  /** The dtype stored in the file; F16 / BF16 data is decoded to Float32Array. */
  dtype: DType;
  shape: number[];
  data: Float32Array | Float64Array | Int32Array;
}

export interface SafetensorsFile {
  /** In file (header) order. */
  tensors: Map<string, TensorEntry>;
  metadata: Record<string, string>;
}

export interface TensorInput {
  /** Default 'F32': the data is converted (rounded to f32). */
  dtype?: WritableDType;
  shape: number[];
  data: ArrayLike<number>;
}

const DTYPE_SIZE: Record<DType, number> = { F32: 4, F64: 8, I32: 4, F16: 2, BF16: 2 };
const WRITABLE: readonly string[] = ['F32', 'F64', 'I32'];
const METADATA_KEY = '__metadata__';
const MAX_HEADER_BYTES = 100 * 1024 * 1024;
const TENSOR_FIELDS = ['dtype', 'shape', 'data_offsets'];

const fmtShape = (shape: readonly unknown[]): string => `[${shape.join(',')}]`;

/** Hostile headers can hold megabyte names or arrays; messages quote at most 80 characters. */
const clip = (s: string): string => (s.length > 80 ? `${s.slice(0, 77)}...` : s);
const showJson = (v: unknown): string => {
  if (v === undefined) return 'nothing';
  try {
    return clip(JSON.stringify(v) ?? show(v));
  } catch {
    return show(v);
  }
};

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const isNonNegInt = (v: unknown): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Π shape, or Infinity once it passes 2^53 (so it can never equal a real byte count / length). */
function elementCount(shape: readonly number[]): number {
  if (shape.includes(0)) return 0;
  let n = 1;
  for (const d of shape) {
    n *= d;
    if (n > Number.MAX_SAFE_INTEGER) return Infinity;
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// Reading

/**
 * Parses a safetensors file. Throws SafetensorsError (with a stable `reason`) on anything
 * malformed; the returned arrays are fresh copies, independent of `bytes`.
 */
export function readSafetensors(bytes: Uint8Array | ArrayBuffer): SafetensorsFile {
  if (!(bytes instanceof Uint8Array) && !(bytes instanceof ArrayBuffer)) {
    const got = bytes === null ? 'null' : typeof bytes === 'object' ? ((bytes as object).constructor?.name ?? 'an object') : typeof bytes;
    throw new SafetensorsError('truncated', `a safetensors file must be a Uint8Array or an ArrayBuffer, got ${got}`);
  }
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (u8.length < 8) {
    throw new SafetensorsError(
      'truncated',
      `file has ${u8.length} bytes, fewer than the 8-byte header length prefix`,
    );
  }
  const view = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  const n64 = view.getBigUint64(0, true);
  const available = u8.length - 8;
  if (n64 === 0n) throw new SafetensorsError('header-length', 'header length is 0');
  if (n64 > BigInt(MAX_HEADER_BYTES)) {
    throw new SafetensorsError(
      'header-length',
      `header length ${n64} exceeds the ${MAX_HEADER_BYTES}-byte limit`,
    );
  }
  const headerLen = Number(n64);
  if (headerLen > available) {
    throw new SafetensorsError(
      'header-length',
      `header length ${headerLen} runs past the end of the file (${available} bytes after the prefix)`,
    );
  }

  const { header, keys } = parseHeader(u8.subarray(8, 8 + headerLen));
  const dataStart = 8 + headerLen;
  const dataLen = u8.length - dataStart;

  let metadata: Record<string, string> = {};
  const infos: { name: string; dtype: DType; shape: number[]; begin: number; end: number }[] = [];
  for (const name of keys) {
    const value = header[name];
    if (name === METADATA_KEY) {
      metadata = checkMetadata(value);
      continue;
    }
    infos.push({ name, ...checkTensorInfo(name, value, dataLen) });
  }

  // The byte ranges, in offset order, must tile [0, dataLen) exactly: no gap, no overlap.
  const byOffset = [...infos].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  for (const t of byOffset) {
    if (t.begin !== covered) {
      const what = t.begin > covered ? 'leave a gap' : 'overlap the previous tensor';
      throw new SafetensorsError(
        'offsets',
        `tensor '${clip(t.name)}': data_offsets [${t.begin},${t.end}] ${what} ` +
          `(previous tensors end at byte ${covered})`,
      );
    }
    covered = t.end;
  }
  if (covered !== dataLen) {
    throw new SafetensorsError(
      'offsets',
      `tensors cover ${covered} bytes of the ${dataLen}-byte data buffer; ` +
        `${dataLen - covered} trailing bytes belong to no tensor`,
    );
  }

  const tensors = new Map<string, TensorEntry>();
  for (const t of infos) {
    const raw = u8.subarray(dataStart + t.begin, dataStart + t.end);
    tensors.set(t.name, { dtype: t.dtype, shape: t.shape, data: decode(t.dtype, raw) });
  }
  return { tensors, metadata };
}

function parseHeader(headerBytes: Uint8Array): { header: Record<string, unknown>; keys: string[] } {
  let text: string;
  try {
    // ignoreBOM keeps a BOM in the text, so JSON.parse rejects it like any other stray byte.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(headerBytes);
  } catch {
    throw new SafetensorsError('header-json', 'header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw new SafetensorsError('header-json', `header is not valid JSON: ${(e as Error).message}`);
  }
  if (!isRecord(header)) {
    const got = header === null ? 'null' : Array.isArray(header) ? 'an array' : typeof header;
    throw new SafetensorsError('header-json', `header must be a JSON object, got ${got}`);
  }
  return { header, keys: objectKeysChecked(text) };
}

/**
 * Scans JSON text that JSON.parse has already accepted and returns the top-level keys in text
 * order. JSON.parse keeps only the last of duplicate keys, silently; this throws instead, for a
 * duplicate in any object (tensor names, fields of one tensor, metadata keys). Linear time.
 */
function objectKeysChecked(text: string): string[] {
  // One frame per open container; `keys` is null for arrays.
  const stack: { keys: Set<string> | null; expectKey: boolean; owner: string }[] = [];
  const topKeys: string[] = [];
  let lastKey = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const start = i;
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c /* \ */) i++;
      const top = stack[stack.length - 1];
      if (top?.keys && top.expectKey) {
        const key = JSON.parse(text.slice(start, i + 1)) as string;
        if (top.keys.has(key)) {
          throw new SafetensorsError(
            'duplicate',
            stack.length === 1
              ? `tensor name '${clip(key)}' appears more than once in the header`
              : `key '${clip(key)}' appears more than once in '${clip(top.owner)}'`,
          );
        }
        top.keys.add(key);
        if (stack.length === 1) topKeys.push(key);
        top.expectKey = false;
        lastKey = key;
      }
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      stack.push({ keys: c === 0x7b ? new Set() : null, expectKey: true, owner: lastKey });
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
    } else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top) top.expectKey = true;
    }
  }
  return topKeys;
}

function checkMetadata(value: unknown): Record<string, string> {
  if (!isRecord(value)) {
    throw new SafetensorsError('header-schema', `'${METADATA_KEY}' must be an object of strings`);
  }
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') {
      throw new SafetensorsError(
        'header-schema',
        `'${METADATA_KEY}' value for key '${clip(k)}' must be a string, got ${v === null ? 'null' : typeof v}`,
      );
    }
  }
  return value as Record<string, string>;
}

function checkTensorInfo(
  name: string,
  value: unknown,
  dataLen: number,
): { dtype: DType; shape: number[]; begin: number; end: number } {
  const label = `tensor '${clip(name)}'`;
  const schema = (msg: string) => new SafetensorsError('header-schema', `${label}: ${msg}`);
  if (!isRecord(value)) throw schema('entry must be an object {dtype, shape, data_offsets}');
  for (const k of Object.keys(value)) {
    if (!TENSOR_FIELDS.includes(k)) throw schema(`unexpected field '${clip(k)}'`);
  }
  const { dtype, shape, data_offsets: offsets } = value;
  if (typeof dtype !== 'string') throw schema('dtype must be a string');
  if (!Object.hasOwn(DTYPE_SIZE, dtype)) {
    throw new SafetensorsError(
      'dtype',
      `${label}: dtype '${clip(dtype)}' is not supported (expected one of ${Object.keys(DTYPE_SIZE).join(', ')})`,
    );
  }
  if (!Array.isArray(shape) || !shape.every(isNonNegInt)) {
    throw schema(`shape must be an array of non-negative integers, got ${showJson(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegInt)) {
    throw schema(`data_offsets must be [begin, end] non-negative integers, got ${showJson(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) {
    throw new SafetensorsError('offsets', `${label}: data_offsets [${begin},${end}] have begin > end`);
  }
  if (end > dataLen) {
    throw new SafetensorsError(
      'offsets',
      `${label}: data_offsets [${begin},${end}] run past the ${dataLen}-byte data buffer`,
    );
  }
  const dt = dtype as DType;
  const needed = elementCount(shape) * DTYPE_SIZE[dt];
  if (needed !== end - begin) {
    const needs = Number.isFinite(needed) ? `${needed} bytes` : 'more than 2^53 elements';
    throw new SafetensorsError(
      'shape-size',
      `${label}: shape ${clip(fmtShape(shape))} (${dt}) needs ${needs}, data_offsets give ${end - begin}`,
    );
  }
  return { dtype: dt, shape: shape as number[], begin, end };
}

/**
 * Little-endian bytes → a fresh typed array. DataView reads are host-independent and need no
 * alignment (offsets in a file are arbitrary); in V8 they cost about 1.5× a plain byte copy.
 */
function decode(dtype: DType, raw: Uint8Array): Float32Array | Float64Array | Int32Array {
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const n = raw.length / DTYPE_SIZE[dtype];
  switch (dtype) {
    case 'F32':
      return fill(new Float32Array(n), (i) => dv.getFloat32(4 * i, true));
    case 'F64':
      return fill(new Float64Array(n), (i) => dv.getFloat64(8 * i, true));
    case 'I32':
      return fill(new Int32Array(n), (i) => dv.getInt32(4 * i, true));
    case 'F16':
      return fill(new Float32Array(n), (i) => f16ToNumber(dv.getUint16(2 * i, true)));
    case 'BF16': {
      // bf16 is the top half of an f32: write the bits, so NaN payloads survive too.
      const out = new Float32Array(n);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) bits[i] = dv.getUint16(2 * i, true) << 16;
      return out;
    }
  }
}

function fill<T extends Float32Array | Float64Array | Int32Array>(out: T, at: (i: number) => number): T {
  for (let i = 0; i < out.length; i++) out[i] = at(i);
  return out;
}

/** IEEE binary16: sign(1) exponent(5, bias 15) mantissa(10). */
function f16ToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24; // zero / subnormal: m · 2^-24
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

// ---------------------------------------------------------------------------------------------
// Writing

/**
 * Serializes tensors (F32 unless `dtype` says otherwise) and optional string metadata.
 * Order is the Map's insertion order; for a plain object it is JS key order (integer-like
 * names first), so pass a Map where order matters.
 */
export function writeSafetensors(
  tensors: Map<string, TensorInput> | Record<string, TensorInput>,
  metadata?: Record<string, string>,
): Uint8Array {
  if (typeof tensors !== 'object' || tensors === null) throw new SafetensorsError('header-schema', `tensors must be a Map or an object of { dtype, shape, data }, got ${tensors === null ? 'null' : typeof tensors}`);
  const entries = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  // Build the JSON by hand: JSON.stringify of an object would move integer-like names first.
  const parts: string[] = [];
  if (metadata !== undefined) {
    checkMetadata(metadata);
    parts.push(`${JSON.stringify(METADATA_KEY)}:${JSON.stringify(metadata)}`);
  }
  const prepared: { dtype: WritableDType; data: ArrayLike<number>; begin: number }[] = [];
  let offset = 0;
  for (const [name, t] of entries) {
    const { dtype, shape } = checkTensorInput(name, t);
    const end = offset + t.data.length * DTYPE_SIZE[dtype];
    parts.push(`${JSON.stringify(name)}:${JSON.stringify({ dtype, shape: [...shape], data_offsets: [offset, end] })}`);
    prepared.push({ dtype, data: t.data, begin: offset });
    offset = end;
  }
  let headerBytes = new TextEncoder().encode(`{${parts.join(',')}}`);
  const padded = Math.ceil(headerBytes.length / 8) * 8; // so 8 + N ≡ 0 (mod 8)
  if (padded > MAX_HEADER_BYTES) {
    throw new SafetensorsError('header-length', `header would be ${padded} bytes, over the ${MAX_HEADER_BYTES}-byte limit`);
  }
  if (padded !== headerBytes.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(headerBytes);
    headerBytes = p;
  }

  const out = new Uint8Array(8 + padded + offset);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(padded), true);
  out.set(headerBytes, 8);
  const dataStart = 8 + padded;
  for (const { dtype, data, begin } of prepared) encode(dtype, data, dv, dataStart + begin);
  return out;
}

function checkTensorInput(name: string, t: TensorInput): { dtype: WritableDType; shape: number[] } {
  if (name === METADATA_KEY) {
    throw new SafetensorsError('header-schema', `'${METADATA_KEY}' is reserved and cannot name a tensor`);
  }
  if (typeof t !== 'object' || t === null) throw new SafetensorsError('header-schema', `tensor '${name}' must be { dtype?, shape, data }, got ${show(t)}`);
  const dtype = t.dtype ?? 'F32';
  if (!WRITABLE.includes(dtype)) {
    throw new SafetensorsError('dtype', `tensor '${name}': cannot write dtype ${show(dtype)} (use F32, F64 or I32)`);
  }
  if (!Array.isArray(t.shape) || !t.shape.every(isNonNegInt)) {
    throw new SafetensorsError(
      'header-schema',
      `tensor '${name}': shape must be an array of non-negative integers, got ${showJson(t.shape)}`,
    );
  }
  const data = t.data as unknown;
  if (typeof data !== 'object' || data === null || typeof (data as { length?: unknown }).length !== 'number') {
    throw new SafetensorsError('header-schema', `tensor '${name}': data must be an array of numbers, got ${show(data)}`);
  }
  const count = elementCount(t.shape);
  if (count !== t.data.length) {
    throw new SafetensorsError(
      'shape-size',
      `tensor '${name}': shape ${fmtShape(t.shape)} has ${Number.isFinite(count) ? count : 'more than 2^53'} elements, data has ${t.data.length}`,
    );
  }
  if (dtype === 'I32') {
    for (let i = 0; i < t.data.length; i++) {
      const v = t.data[i];
      if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) {
        throw new SafetensorsError('dtype', `tensor '${name}': value ${v} at index ${i} is not an I32`);
      }
    }
  }
  return { dtype, shape: t.shape };
}

/** Writes `data` as little-endian `dtype` at byte `pos` of `dv`; pos need not be aligned. */
function encode(dtype: WritableDType, data: ArrayLike<number>, dv: DataView, pos: number): void {
  const n = data.length;
  if (dtype === 'F32') for (let i = 0; i < n; i++) dv.setFloat32(pos + 4 * i, data[i], true);
  else if (dtype === 'F64') for (let i = 0; i < n; i++) dv.setFloat64(pos + 8 * i, data[i], true);
  else for (let i = 0; i < n; i++) dv.setInt32(pos + 4 * i, data[i], true);
}
