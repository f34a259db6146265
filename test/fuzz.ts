// The API fuzz: hostile arguments to every public call, and hostile safetensors files (valid ones
// mutated). The property: a call either succeeds, or throws / rejects with a WebrnnError (typed,
// never a bare TypeError or a raw WebGPU error), and a rejected call leaves the model's
// parameters bit-identical. test/fuzz.test.ts runs a few thousand per `npm test`; scripts/fuzz.ts
// as many as asked (npm run fuzz -- 100000).
import { RnnModel, WebrnnError, writeSafetensors, type GpuOptions } from '../src/index.js';
import { Rng } from '../src/model/init.js';

export interface FuzzReport {
  calls: number;
  rejected: number;
  /** Failures of the property: an untyped error, or a rejection that changed the model. */
  failures: string[];
}

const V = 6;

/** The fuzzed model: a small embedding LSTM with a head (every argument kind applies). */
export function fuzzModel(backend: 'cpu' | 'webgpu', gpu: GpuOptions = {}): Promise<RnnModel> {
  return RnnModel.create({ cell: 'lstm', inputSize: V, embeddingDim: 4, hiddenSize: 5, outputSize: V, backend, seed: 1, ...gpu });
}

/** Values a caller should not pass, of every type. */
function hostileValues(r: Rng): unknown[] {
  const ids = (n: number, f: (i: number) => number): Int32Array => Int32Array.from({ length: n }, (_, i) => f(i));
  return [
    null, undefined, 0, -1, 1.5, NaN, Infinity, -Infinity, 1e9, 2 ** 53, -0, '', 'lstm', '2', true, false,
    Symbol('s'), 10n, [], [1, 2, 3], {}, { batch: 2 }, () => 1, new Date(0), new Map(), new Set([1]),
    new Int32Array(0), ids(6, () => 1), ids(6, (i) => i - 3), ids(6, () => V), ids(6, () => 2 ** 31 - 1),
    Float32Array.of(0.5, 1, 2, 0, 1, 1), new Float64Array(6).fill(NaN), new Float64Array(6).fill(1e308), new Uint8Array(6),
    new ArrayBuffer(8), { length: 6 }, { length: -1 }, { length: 1e12 }, Object.create(null),
    { batch: 2, steps: 3, ids: ids(6, () => 1) }, { batch: 2, steps: 3, ids: [1, 1, 1, 1, 1, 1] },
    { batch: 2, steps: 3, ids: ids(6, () => 1), lengths: Int32Array.of(3, 0) }, { batch: 2, steps: 3, ids: ids(6, () => 1), lengths: [3, 3] },
    { batch: 2, steps: 3, x: new Float32Array(6) }, { batch: 1e9, steps: 1e9, ids: ids(1, () => 0) }, { batch: 2.5, steps: 3, ids: ids(6, () => 1) },
    { ids: ids(6, () => 1) }, { ids: Float32Array.of(0.5, 1, 2, 0, 1, 1) }, { ids: ids(2, () => 9) }, { y: new Float32Array(6) },
    { state: 'carry' }, { state: 'sideways' }, { state: { h: new Float64Array(3) } }, { state: { h: [0, 0] } }, { state: null },
    { loss: 'nll' }, { loss: 'nll', state: { h: new Float64Array(10), c: 'x' } }, { loss: 'huber' },
    { loss: 'nll', optimizer: { type: 'adam', lr: -1 } }, { loss: 'nll', optimizer: { type: 'sgd', lr: 0.1, momentum: 2 } },
    { loss: 'nll', optimizer: null }, { loss: 'nll', optimizer: { type: 'adam', lr: 0.1 }, clip: -1 }, { loss: 'nll', optimizer: { type: 'adam', lr: 0.1 }, nonFinite: 'ignore' },
    { loss: 'nll', optimizer: { type: 'adam', lr: 0.1 }, snapshotEvery: 0.5 }, { lr: NaN }, { lr: 0.1, clip: 'x' },
    { prime: [1], length: 1e9 }, { prime: [1], length: 0 }, { prime: [], length: 3 }, { prime: [0.5], length: 3 }, { prime: null, length: 3 },
    { prime: [1], length: 3, temperature: -1 }, { prime: [1], length: 3, topK: 1.5 }, { prime: [V], length: 2 }, { prime: 'ab', length: 2 },
    new Map([['x', [1]]]), new Map([['lstm.weight_ih_l0', [1, 2]]]), 'webgpu2', r.nextU32(),
  ];
}

type Call = (m: RnnModel, a: unknown, b: unknown, c: unknown) => unknown;

/** Every public call, its arguments taken from the hostile values. */
const CALLS: [string, Call][] = [
  ['forward', (m, a, b) => m.forward(a as never, b as never)],
  ['predict', (m, a, b) => m.predict(a as never, b as never)],
  ['gradients', (m, a, b, c) => m.gradients(a as never, b as never, c as never)],
  ['evaluate', (m, a, b, c) => m.evaluate(a as never, b as never, c as never)],
  ['trainStep', (m, a, b, c) => m.trainStep(a as never, b as never, c as never)],
  ['configureTraining', (m, a) => m.configureTraining(a as never)],
  ['updateTraining', (m, a) => m.updateTraining(a as never)],
  ['generate', (m, a) => m.generate(a as never)],
  ['setParameters', (m, a) => m.setParameters(a as never)],
  ['loadSafetensors', (m, a) => m.loadSafetensors(a as never)],
  ['to', (m, a) => m.to(a as never)],
  ['fromSafetensors', (_m, a, b) => RnnModel.fromSafetensors(a as never, b as never).then((x) => x.dispose())],
  ['create', (_m, a) => RnnModel.create(a as never).then((x) => x.dispose())],
];

function describeArg(v: unknown): string {
  if (typeof v === 'symbol' || typeof v === 'bigint') return `${typeof v} ${String(v)}`;
  if (typeof v === 'function') return 'a function';
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${(v as unknown as ArrayLike<number>).length})`;
  try {
    return JSON.stringify(v)?.slice(0, 80) ?? String(v);
  } catch {
    return String(v);
  }
}

function sameParams(a: Map<string, Float64Array>, b: Map<string, Float64Array>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const w = b.get(k);
    if (!w || w.length !== v.length) return false;
    for (let i = 0; i < v.length; i++) if (!Object.is(v[i], w[i])) return false;
  }
  return true;
}

/** A valid argument with one field (or one nested field) replaced by a hostile value; `spoiled` gets its path. */
function spoil(valid: Record<string, unknown>, r: Rng, pool: unknown[], spoiled: string[], path = ''): Record<string, unknown> {
  const out: Record<string, unknown> = { ...valid };
  const keys = Object.keys(valid);
  if (r.nextU32() % 8 === 0) {
    // a field the call does not know (a typo of a known one, or noise)
    const k = r.nextU32() % 2 ? `${keys[r.nextU32() % keys.length]}s` : '__proto__x';
    out[k] = pool[r.nextU32() % pool.length];
    spoiled.push(`${path}${k} (unknown) = ${describeArg(out[k])}`);
    return out;
  }
  const k = keys[r.nextU32() % keys.length];
  const inner = valid[k];
  if (inner && typeof inner === 'object' && !ArrayBuffer.isView(inner) && !Array.isArray(inner) && r.nextU32() % 2) {
    out[k] = spoil(inner as Record<string, unknown>, r, pool, spoiled, `${path}${k}.`);
  } else {
    out[k] = pool[r.nextU32() % pool.length];
    spoiled.push(`${path}${k} = ${describeArg(out[k])}`);
  }
  return out;
}

/** Valid arguments of each call (the fuzzed model's shapes), for spoil(). */
function validArgs(): Record<string, Record<string, unknown>> {
  const ids = Int32Array.from({ length: 6 }, (_, i) => i % V);
  return {
    input: { batch: 2, steps: 3, ids, lengths: Int32Array.of(3, 2) },
    targets: { ids: Int32Array.from({ length: 6 }, (_, i) => (i + 1) % V) },
    options: { loss: 'nll', state: { h: new Float64Array(10), c: new Float64Array(10) } },
    training: { loss: 'nll', optimizer: { type: 'adam', lr: 0.01, betas: [0.9, 0.999], eps: 1e-8 }, clip: 1, nonFinite: 'skip', snapshotEvery: 10 },
    update: { lr: 0.02, clip: 2 },
    generate: { prime: [1, 2], length: 4, temperature: 0.8, topK: 3, seed: 7 },
    load: { backend: 'cpu', seed: 1, nonlinearity: 'tanh', dropout: 0, names: { embedding: 'embedding', rnn: 'rnn', head: 'fc' }, tied: false },
    create: { cell: 'gru', inputSize: V, embeddingDim: 3, hiddenSize: 4, numLayers: 2, outputSize: V, bidirectional: false, dropout: 0.1, names: { embedding: 'emb', rnn: 'rnn', head: 'fc' }, backend: 'cpu', seed: 3 },
  };
}

/** `n` calls whose arguments are valid but for one field. */
export async function fuzzFields(m: RnnModel, n: number, seed: number, report: FuzzReport): Promise<void> {
  const r = new Rng(seed);
  const pool = hostileValues(r);
  const v = validArgs();
  const saved = await m.saveSafetensors();
  const spoiled: string[] = [];
  const bad = (valid: Record<string, unknown>): never => spoil(valid, r, pool, spoiled) as never;
  const calls: [string, () => unknown][] = [
    ['forward', () => m.forward(bad(v.input), { state: 'zeros' })],
    ['predict', () => m.predict(v.input as never, bad({ state: v.options.state }))],
    ['gradients', () => m.gradients(v.input as never, bad(v.targets), bad(v.options))],
    ['evaluate', () => m.evaluate(bad(v.input), v.targets as never, { loss: 'nll' })],
    ['trainStep', () => m.trainStep(bad(v.input), bad(v.targets))],
    ['configureTraining', () => m.configureTraining(bad(v.training))],
    ['updateTraining', () => m.updateTraining(bad(v.update))],
    ['generate', () => m.generate(bad(v.generate))],
    ['create', () => RnnModel.create(bad(v.create)).then((x) => x.dispose())],
    ['fromSafetensors', () => RnnModel.fromSafetensors(saved, bad(v.load)).then((x) => x.dispose())],
  ];
  m.configureTraining({ loss: 'nll', optimizer: { type: 'adam', lr: 0.01 } });
  for (let i = 0; i < n; i++) {
    const [name, call] = calls[r.nextU32() % calls.length];
    spoiled.length = 0;
    await probe(m, name, call, report, () => spoiled.join(', '));
    if (name === 'configureTraining') m.configureTraining({ loss: 'nll', optimizer: { type: 'adam', lr: 0.01 } });
  }
}

/** One call; a rejection must be a WebrnnError that leaves `m` as it was. */
async function probe(m: RnnModel, name: string, call: () => unknown, report: FuzzReport, what: string | (() => string)): Promise<void> {
  const before = await m.getParameters();
  report.calls++;
  let err: unknown = null;
  try {
    await call();
  } catch (e) {
    err = e;
  }
  if (err === null) return;
  report.rejected++;
  if (typeof what === 'function') what = what();
  if (!(err instanceof WebrnnError)) {
    report.failures.push(`${name}(${what}) threw ${(err as Error)?.name}: ${(err as Error)?.message ?? String(err)}`);
    return;
  }
  if (!sameParams(before, await m.getParameters())) report.failures.push(`${name}(${what}) rejected with ${err.name} but changed the parameters`);
}

/** `n` calls with hostile arguments on `m` (trained in between, so trainStep is configured sometimes). */
export async function fuzzCalls(m: RnnModel, n: number, seed: number, report: FuzzReport): Promise<void> {
  const r = new Rng(seed);
  const pool = hostileValues(r);
  const pick = (): unknown => pool[r.nextU32() % pool.length];
  for (let i = 0; i < n; i++) {
    if (i % 50 === 0) m.configureTraining({ loss: 'nll', optimizer: { type: 'adam', lr: 0.01 } });
    const [name, call] = CALLS[r.nextU32() % CALLS.length];
    const args = [pick(), pick(), pick()];
    await probe(m, name, () => call(m, args[0], args[1], args[2]), report, args.map(describeArg).join(', '));
  }
}

/**
 * `n` hostile safetensors files: the model's own file mutated (bytes flipped in the header or the
 * data, truncated, the header length prefix or JSON rewritten, tensors renamed, reshaped, retyped,
 * their offsets moved), each given to loadSafetensors on `m` and to fromSafetensors.
 */
export async function fuzzSafetensors(m: RnnModel, n: number, seed: number, report: FuzzReport): Promise<void> {
  const r = new Rng(seed);
  const base = await m.saveSafetensors();
  const headerLen = Number(new DataView(base.buffer, base.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(base.subarray(8, 8 + headerLen))) as Record<string, { dtype: string; shape: number[]; data_offsets: number[] }>;
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  const odd = [-1, 0, 1.5, 2 ** 40, NaN, 'x', null, [], {}, 3, 1e300];
  const rebuild = (h: unknown, data = base.subarray(8 + headerLen)): Uint8Array => {
    const json = new TextEncoder().encode(JSON.stringify(h));
    const out = new Uint8Array(8 + json.length + data.length);
    new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
    out.set(json, 8);
    out.set(data, 8 + json.length);
    return out;
  };
  for (let i = 0; i < n; i++) {
    const kind = r.nextU32() % 9;
    let bytes: Uint8Array;
    const h = structuredClone(header);
    const t = h[names[r.nextU32() % names.length]];
    const v = odd[r.nextU32() % odd.length];
    switch (kind) {
      case 0: // a byte flipped anywhere
        bytes = base.slice();
        bytes[r.nextU32() % bytes.length] ^= 1 << r.nextU32() % 8;
        break;
      case 1: // truncated
        bytes = base.slice(0, r.nextU32() % base.length);
        break;
      case 2: // the header length prefix rewritten
        bytes = base.slice();
        new DataView(bytes.buffer).setBigUint64(0, BigInt(r.nextU32()) * BigInt(1 + (r.nextU32() % 3)), true);
        break;
      case 3: // a dtype
        (t as { dtype: unknown }).dtype = ['F16', 'BF16', 'I64', 'F64', 'U8', v][r.nextU32() % 6];
        bytes = rebuild(h);
        break;
      case 4: // a shape
        t.shape = r.nextU32() % 2 ? [v as number] : [...t.shape.slice(0, -1), (t.shape.at(-1) ?? 1) + 1];
        bytes = rebuild(h);
        break;
      case 5: // offsets
        t.data_offsets = [t.data_offsets[0] + (r.nextU32() % 9) - 4, r.nextU32() % 2 ? (v as number) : t.data_offsets[1]];
        bytes = rebuild(h);
        break;
      case 6: // a name
        h[`${names[0]}.x`] = h[names[0]];
        delete h[names[0]];
        bytes = rebuild(h);
        break;
      case 7: // the JSON itself broken
        bytes = base.slice();
        bytes[8 + (r.nextU32() % headerLen)] = [0x7b, 0x22, 0x00, 0xff, 0x5d][r.nextU32() % 5];
        break;
      default: // metadata holding a hostile webrnn_config
        (h as Record<string, unknown>).__metadata__ = { webrnn_config: JSON.stringify({ cell: v, hiddenSize: v }) };
        bytes = rebuild(h);
    }
    await probe(m, 'loadSafetensors', () => m.loadSafetensors(bytes), report, `mutation ${kind}`);
    await probe(m, 'fromSafetensors', () => RnnModel.fromSafetensors(bytes, { backend: 'cpu' }).then((x) => x.dispose()), report, `mutation ${kind}`);
  }
}

/** writeSafetensors with hostile tensors: the same property for the one writer. */
export function fuzzWriter(n: number, seed: number, report: FuzzReport): void {
  const r = new Rng(seed);
  const pool = hostileValues(r);
  for (let i = 0; i < n; i++) {
    const t = { dtype: pool[r.nextU32() % pool.length], shape: pool[r.nextU32() % pool.length], data: pool[r.nextU32() % pool.length] };
    report.calls++;
    try {
      writeSafetensors({ w: t } as never, pool[r.nextU32() % pool.length] as never);
    } catch (e) {
      report.rejected++;
      if (!(e instanceof WebrnnError)) report.failures.push(`writeSafetensors threw ${(e as Error)?.name}: ${(e as Error)?.message}`);
    }
  }
}
