import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { SafetensorsError } from '../errors.js';
import { readSafetensors, writeSafetensors, type TensorInput } from './safetensors.js';

/** The shared PyTorch golden cases; a missing folder fails the test (readFileSync throws). */
function goldenDir(): URL {
  const env = process.env.WEBRNN_GOLDEN_DIR;
  return env ? pathToFileURL(env.endsWith('/') ? env : `${env}/`) : new URL('../../test/fixtures/golden/', import.meta.url);
}
const golden = (file: string): Uint8Array => new Uint8Array(readFileSync(new URL(file, goldenDir())));

/** A file from a raw header text and data bytes; `headerLen` overrides the u64 prefix. */
function rawFile(header: string, data: ArrayLike<number> = [], headerLen?: bigint): Uint8Array {
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, headerLen ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

/** Little-endian u16 words → bytes. */
const u16Bytes = (words: number[]): Uint8Array => {
  const out = new Uint8Array(2 * words.length);
  words.forEach((w, i) => new DataView(out.buffer).setUint16(2 * i, w, true));
  return out;
};

function expectError(bytes: Uint8Array, reason: SafetensorsError['reason'], message: RegExp): void {
  let caught: unknown;
  try {
    readSafetensors(bytes);
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(SafetensorsError);
  expect((caught as SafetensorsError).reason).toBe(reason);
  expect((caught as SafetensorsError).message).toMatch(message);
}

const entry = (dtype: string, shape: unknown, offsets: unknown) =>
  JSON.stringify({ dtype, shape, data_offsets: offsets });

describe('writeSafetensors / readSafetensors round trip', () => {
  const tensors = new Map<string, TensorInput>([
    ['b.f32', { shape: [3], data: [0.1, -2.5, 1e30] }], // default F32; 12 bytes, so the next tensor is unaligned
    ['a.f64', { dtype: 'F64', shape: [2, 3], data: [0.1, -1e-300, Number.MAX_VALUE, -0, Infinity, 1 / 3] }],
    ['10', { dtype: 'I32', shape: [4], data: [-(2 ** 31), 2 ** 31 - 1, 0, -7] }],
    ['2', { dtype: 'F64', shape: [], data: [Math.PI] }],
    ['empty', { shape: [0, 4], data: [] }],
  ]);
  const metadata = { format: 'pt', loss: '2.3859124345399216', '': 'empty key' };

  it('writes values that read back exactly, with shapes, dtypes, order and metadata', () => {
    const file = readSafetensors(writeSafetensors(tensors, metadata));
    expect(file.metadata).toEqual(metadata);
    expect([...file.tensors.keys()]).toEqual(['b.f32', 'a.f64', '10', '2', 'empty']);

    const f32 = file.tensors.get('b.f32')!;
    expect(f32.dtype).toBe('F32');
    expect(f32.data).toBeInstanceOf(Float32Array);
    expect([...f32.data]).toEqual([0.1, -2.5, 1e30].map(Math.fround));

    const f64 = file.tensors.get('a.f64')!;
    expect(f64.shape).toEqual([2, 3]);
    expect(f64.data).toBeInstanceOf(Float64Array);
    expect([...f64.data]).toEqual([0.1, -1e-300, Number.MAX_VALUE, -0, Infinity, 1 / 3]);
    expect(Object.is(f64.data[3], -0)).toBe(true);

    const i32 = file.tensors.get('10')!;
    expect(i32.data).toBeInstanceOf(Int32Array);
    expect([...i32.data]).toEqual([-(2 ** 31), 2 ** 31 - 1, 0, -7]);

    expect(file.tensors.get('2')).toEqual({ dtype: 'F64', shape: [], data: new Float64Array([Math.PI]) });
    expect(file.tensors.get('empty')).toEqual({ dtype: 'F32', shape: [0, 4], data: new Float32Array(0) });
  });

  it('pads the header with spaces so the data starts 8-byte aligned, metadata first', () => {
    const bytes = writeSafetensors(tensors, metadata);
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(header.startsWith('{"__metadata__":')).toBe(true);
    expect(header).toMatch(/} *$/);
    expect(header.trimEnd().length).toBeGreaterThan(n - 8);
  });

  it('reads a file from an unaligned view into a larger buffer', () => {
    const bytes = writeSafetensors(tensors);
    const big = new Uint8Array(bytes.length + 3);
    big.set(bytes, 3);
    const file = readSafetensors(big.subarray(3));
    expect([...file.tensors.get('a.f64')!.data]).toEqual(Array.from(tensors.get('a.f64')!.data));
    expect(file.metadata).toEqual({});
    expect(readSafetensors(bytes.slice().buffer).tensors.size).toBe(5);
  });

  it('accepts a plain object of tensors and writes an empty file with no tensors', () => {
    const file = readSafetensors(writeSafetensors({ w: { shape: [1, 2], data: new Float32Array([1, 2]) } }));
    expect([...file.tensors.get('w')!.data]).toEqual([1, 2]);
    expect(readSafetensors(writeSafetensors({})).tensors.size).toBe(0);
  });

  it('rejects data whose length does not match the shape, unwritable dtypes and non-integer I32 values', () => {
    const write = (t: TensorInput) => () => writeSafetensors({ 'fc.weight': t });
    expect(write({ shape: [3, 4], data: new Float32Array(10) })).toThrow(
      /tensor 'fc.weight': shape \[3,4\] has 12 elements, data has 10/,
    );
    expect(write({ shape: [3, 4], data: [] })).toThrow(SafetensorsError);
    expect(write({ shape: [-1], data: [] })).toThrow(/shape must be an array of non-negative integers/);
    expect(write({ dtype: 'F16' as 'F32', shape: [1], data: [1] })).toThrow(/cannot write dtype 'F16'/);
    expect(write({ dtype: 'I32', shape: [2], data: [1, 1.5] })).toThrow(/value 1.5 at index 1 is not an I32/);
    expect(() => writeSafetensors({ __metadata__: { shape: [], data: [1] } })).toThrow(/reserved/);
    expect(() => writeSafetensors({}, { k: 1 as unknown as string })).toThrow(/key 'k' must be a string/);
  });
});

describe('F16 and BF16', () => {
  it('decodes F16 normals, the largest finite, subnormals, zeros, infinities and NaN', () => {
    const words = [0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001, 0x03ff, 0x8000, 0x7c00, 0xfc00, 0x7e00];
    const header = `{"h":${entry('F16', [words.length], [0, 2 * words.length])}}`;
    const t = readSafetensors(rawFile(header, u16Bytes(words))).tensors.get('h')!;
    expect(t.dtype).toBe('F16');
    expect(t.data).toBeInstanceOf(Float32Array);
    expect([...t.data]).toEqual([1, -2, 0.5, 65504, 2 ** -24, 1023 * 2 ** -24, -0, Infinity, -Infinity, NaN]);
    expect(Object.is(t.data[6], -0)).toBe(true);
  });

  it('decodes BF16 as the top half of an f32, including subnormals, infinities and NaN', () => {
    const words = [0x3f80, 0xc000, 0x3f00, 0x477f, 0x7f7f, 0x0001, 0x7f80, 0xff80, 0x7fc0];
    const header = `{"b":${entry('BF16', [3, 3], [0, 2 * words.length])}}`;
    const t = readSafetensors(rawFile(header, u16Bytes(words))).tensors.get('b')!;
    expect(t.dtype).toBe('BF16');
    expect(t.shape).toEqual([3, 3]);
    const maxBf16 = (2 - 2 ** -7) * 2 ** 127;
    expect([...t.data]).toEqual([1, -2, 0.5, 65280, maxBf16, 2 ** -133, Infinity, -Infinity, NaN]);
  });
});

describe('golden PyTorch files', () => {
  const caseJson = JSON.parse(new TextDecoder().decode(golden('rnn_tanh_small/case.json'))) as {
    parameters: Record<string, number[]>;
    expected_tensors: Record<string, number[]>;
  };

  it('reads the 6 F32 parameters of rnn_tanh_small with the shapes case.json lists', () => {
    const bytes = golden('rnn_tanh_small/weights.safetensors');
    const file = readSafetensors(bytes);
    expect(file.tensors.size).toBe(6);
    expect([...file.tensors.keys()]).toEqual(Object.keys(caseJson.parameters));
    for (const [name, shape] of Object.entries(caseJson.parameters)) {
      const t = file.tensors.get(name)!;
      expect(t.dtype).toBe('F32');
      expect(t.shape).toEqual(shape);
      expect(t.data.length).toBe(shape.reduce((a, b) => a * b, 1));
      expect(t.data.every(Number.isFinite)).toBe(true);
    }
    expect(file.metadata.format).toBe('pt');
    // Our writer produces the same compact header and layout, byte for byte.
    const again = new Map([...file.tensors].map(([k, t]) => [k, { shape: t.shape, data: t.data }]));
    expect(writeSafetensors(again, file.metadata)).toEqual(bytes);
  });

  it('reads expected.safetensors: I32 tokens, F64 tensors equal to expected.json, and the loss in metadata', () => {
    const file = readSafetensors(golden('rnn_tanh_small/expected.safetensors'));
    expect(file.metadata.loss).toBe('2.3859124345399216');
    const tokens = file.tensors.get('tokens')!;
    expect(tokens.dtype).toBe('I32');
    expect(tokens.shape).toEqual([3, 8]);
    expect(tokens.data).toBeInstanceOf(Int32Array);

    const json = JSON.parse(new TextDecoder().decode(golden('rnn_tanh_small/expected.json'))) as {
      tensors: Record<string, { shape: number[]; data: number[] }>;
    };
    for (const [name, shape] of Object.entries(caseJson.expected_tensors)) {
      const t = file.tensors.get(name)!;
      expect(t.shape, name).toEqual(shape);
      if (name !== 'tokens' && name !== 'input_ids' && name !== 'targets') expect(t.dtype, name).toBe('F64');
    }
    for (const [name, ref] of Object.entries(json.tensors)) {
      expect([...file.tensors.get(name)!.data], name).toEqual(ref.data);
    }
  });
});

describe('malformed files', () => {
  const f32x2 = (offsets: [number, number]) => entry('F32', [2], offsets);

  it('rejects a file shorter than the 8-byte length prefix', () => {
    expectError(new Uint8Array(5), 'truncated', /5 bytes, fewer than the 8-byte/);
  });

  it('rejects a header length of 0, past the end of the file, or over 100 MB', () => {
    expectError(rawFile('', [], 0n), 'header-length', /header length is 0/);
    expectError(rawFile('{}', [], 100n), 'header-length', /header length 100 runs past the end of the file \(2 bytes/);
    expectError(rawFile('{}', [], 2n ** 63n), 'header-length', /exceeds the 104857600-byte limit/);
  });

  it('rejects a header that is not UTF-8, not JSON, or not a JSON object', () => {
    expectError(rawFile('{}').fill(0xff, 8), 'header-json', /not valid UTF-8/);
    expectError(rawFile('{"a": '), 'header-json', /not valid JSON/);
    expectError(rawFile('\ufeff{}'), 'header-json', /not valid JSON/);
    expectError(rawFile('[1,2]'), 'header-json', /must be a JSON object, got an array/);
    expectError(rawFile('null'), 'header-json', /got null/);
    expectError(rawFile('"x"'), 'header-json', /got string/);
  });

  it('rejects entries that are not {dtype, shape, data_offsets} and names the tensor', () => {
    expectError(rawFile(`{"w":${entry('F32', [-1, 2], [0, 0])}}`), 'header-schema', /tensor 'w': shape must be .*\[-1,2\]/);
    expectError(rawFile(`{"w":${entry('F32', [1.5], [0, 0])}}`), 'header-schema', /tensor 'w': shape/);
    expectError(rawFile(`{"w":${entry('F32', '2', [0, 0])}}`), 'header-schema', /tensor 'w': shape/);
    expectError(rawFile(`{"w":${entry('F32', [0], [0])}}`), 'header-schema', /tensor 'w': data_offsets must be/);
    expectError(rawFile(`{"w":${entry('F32', [0], [0, -1])}}`), 'header-schema', /tensor 'w': data_offsets must be/);
    expectError(rawFile('{"w":{"dtype":"F32","shape":[0]}}'), 'header-schema', /tensor 'w': data_offsets .*got nothing/);
    expectError(rawFile('{"w":{"dtype":7,"shape":[0],"data_offsets":[0,0]}}'), 'header-schema', /dtype must be a string/);
    expectError(
      rawFile('{"w":{"dtype":"F32","shape":[0],"data_offsets":[0,0],"extra":1}}'),
      'header-schema',
      /tensor 'w': unexpected field 'extra'/,
    );
    expectError(rawFile('{"w":[1]}'), 'header-schema', /tensor 'w': entry must be an object/);
  });

  it('rejects metadata that is not a map of strings', () => {
    expectError(rawFile('{"__metadata__":{"k":1}}'), 'header-schema', /value for key 'k' must be a string, got number/);
    expectError(rawFile('{"__metadata__":["a"]}'), 'header-schema', /'__metadata__' must be an object/);
  });

  it('rejects a dtype it does not know', () => {
    expectError(rawFile(`{"w":${entry('I64', [1], [0, 8])}}`, new Uint8Array(8)), 'dtype', /tensor 'w': dtype 'I64' is not supported/);
    // A hostile name or value is quoted, not copied whole, into the message.
    const longName = 'n'.repeat(10_000);
    expectError(rawFile(`{"${longName}":${entry('X'.repeat(10_000), [1], [0, 8])}}`, new Uint8Array(8)), 'dtype', /^.{0,300}$/);
  });

  it('rejects offsets out of range, reversed, overlapping, with gaps, or leaving trailing bytes', () => {
    const data = new Uint8Array(20);
    expectError(rawFile(`{"w":${f32x2([0, 100])}}`, data.subarray(0, 8)), 'offsets', /tensor 'w': data_offsets \[0,100\] run past the 8-byte/);
    expectError(rawFile(`{"w":${entry('F32', [0], [8, 0])}}`, data.subarray(0, 8)), 'offsets', /tensor 'w': .*begin > end/);
    expectError(
      rawFile(`{"a":${f32x2([0, 8])},"b":${f32x2([4, 12])}}`, data.subarray(0, 12)),
      'offsets',
      /tensor 'b': data_offsets \[4,12\] overlap the previous tensor \(previous tensors end at byte 8\)/,
    );
    expectError(
      rawFile(`{"a":${f32x2([0, 8])},"b":${f32x2([12, 20])}}`, data),
      'offsets',
      /tensor 'b': data_offsets \[12,20\] leave a gap \(previous tensors end at byte 8\)/,
    );
    expectError(rawFile(`{"a":${f32x2([4, 12])}}`, data.subarray(0, 12)), 'offsets', /tensor 'a'.*gap/);
    expectError(rawFile(`{"a":${f32x2([0, 8])}}`, data.subarray(0, 12)), 'offsets', /4 trailing bytes/);
    expectError(rawFile('{}', data.subarray(0, 1)), 'offsets', /1 trailing bytes/);
  });

  it('accepts tensors listed out of offset order, and zero-size tensors anywhere in the tiling', () => {
    const header = `{"b":${f32x2([8, 16])},"z":${entry('F64', [0, 3], [8, 8])},"a":${f32x2([0, 8])}}`;
    const file = readSafetensors(rawFile(header, new Uint8Array(16)));
    expect([...file.tensors.keys()]).toEqual(['b', 'z', 'a']);
  });

  it('rejects a shape whose byte size does not match its offsets', () => {
    expectError(
      rawFile(`{"fc.weight":${entry('F32', [3, 4], [0, 40])}}`, new Uint8Array(40)),
      'shape-size',
      /^tensor 'fc.weight': shape \[3,4\] \(F32\) needs 48 bytes, data_offsets give 40$/,
    );
  });

  it('rejects a huge shape against tiny data without allocating for it', () => {
    const huge = rawFile(`{"w":${entry('F32', [2 ** 40, 2 ** 40], [0, 8])}}`, new Uint8Array(8));
    expectError(huge, 'shape-size', /tensor 'w': shape \[1099511627776,1099511627776\] \(F32\) needs more than 2\^53 elements/);
    const big = rawFile(`{"w":${entry('F64', [2 ** 20, 2 ** 20], [0, 8])}}`, new Uint8Array(8));
    expectError(big, 'shape-size', /needs 8796093022208 bytes, data_offsets give 8/);
  });

  it('rejects duplicate tensor names, which JSON.parse alone would silently merge', () => {
    const e = f32x2([0, 8]);
    expectError(rawFile(`{"a":${e},"b":${e},"a":${e}}`, new Uint8Array(8)), 'duplicate', /tensor name 'a' appears more than once/);
    expectError(rawFile(`{"\\u0061":${e},"a":${e}}`, new Uint8Array(8)), 'duplicate', /tensor name 'a'/);
    expectError(
      rawFile('{"w":{"dtype":"F32","dtype":"F64","shape":[0],"data_offsets":[0,0]}}'),
      'duplicate',
      /key 'dtype' appears more than once in 'w'/,
    );
    expectError(rawFile('{"__metadata__":{"k":"1","k":"2"}}'), 'duplicate', /key 'k' .* in '__metadata__'/);
    // Keys inside strings and nested arrays are not mistaken for top-level names.
    const tricky = `{"__metadata__":{"x":"\\",\\"a\\":{","y":"[{\\"a\\""},"a":${e}}`;
    expect([...readSafetensors(rawFile(tricky, new Uint8Array(8))).tensors.keys()]).toEqual(['a']);
  });
});

describe('fuzzing', () => {
  it('turns 2000 random byte flips and truncations of a valid file into a parse or a SafetensorsError', () => {
    const valid = writeSafetensors(
      new Map<string, TensorInput>([
        ['w', { shape: [2, 3], data: [1, 2, 3, 4, 5, 6] }],
        ['b', { dtype: 'F64', shape: [3], data: [0.5, -1, 2] }],
        ['i', { dtype: 'I32', shape: [2], data: [7, -8] }],
        ['s', { shape: [], data: [9] }],
      ]),
      { format: 'pt', note: 'fuzz' },
    );
    const headerEnd = 8 + Number(new DataView(valid.buffer).getBigUint64(0, true));
    // mulberry32: a small seeded PRNG, so a failure reproduces.
    let seed = 0x5eed;
    const rand = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
    };
    const randInt = (n: number) => Math.floor(rand() * n);

    let parsed = 0;
    let rejected = 0;
    const start = performance.now();
    for (let k = 0; k < 2000; k++) {
      let bytes = valid.slice();
      const kind = randInt(4);
      if (kind === 0) {
        bytes = bytes.subarray(0, randInt(bytes.length));
      } else {
        // Mostly flip header bytes (the data bytes always parse), sometimes the length prefix.
        for (let f = 1 + randInt(3); f > 0; f--) {
          const pos = kind === 3 ? randInt(bytes.length) : kind === 2 ? randInt(8) : 8 + randInt(headerEnd - 8);
          bytes[pos] = rand() < 0.5 ? bytes[pos] ^ (1 << randInt(8)) : randInt(256);
        }
      }
      try {
        readSafetensors(bytes);
        parsed++;
      } catch (e) {
        if (!(e instanceof SafetensorsError)) throw new Error(`mutation ${k} threw ${String(e)}`);
        rejected++;
      }
    }
    expect(performance.now() - start).toBeLessThan(2000);
    expect(parsed).toBeGreaterThan(0);
    expect(rejected).toBeGreaterThan(0);
  });
});
