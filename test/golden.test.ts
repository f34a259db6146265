// The PyTorch golden cases (test/fixtures/golden, a copy of ../shared/golden; README there) replayed through
// the golden runner: every forward output, the loss, every gradient and every optimizer step must
// match PyTorch's float64 numbers. A missing golden folder is a failure, not a skip.
import { describe, it, expect, afterAll } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runGoldenCase, type Row } from '../tools/golden/runner.js';
import { nodeGpu } from './gpu-device.js';
import { readSafetensors, writeSafetensors, type TensorInput } from '../src/model/safetensors.js';

const GOLDEN = process.env.WEBRNN_GOLDEN_DIR ?? fileURLToPath(new URL('./fixtures/golden/', import.meta.url));
const AFTER_GROUPS = ['after_adam.', 'after_adam2.', 'after_sgd.', 'after_sgd_clip.', 'after_sgd_clip_tight.'];

interface CaseJson {
  name: string;
  kind: string;
  parameters: Record<string, number[]>;
  expected_tensors: Record<string, number[]>;
  scalars: Record<string, number>;
}
const readCase = (dir: string): CaseJson => JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as CaseJson;

let cases: string[] = [];
let indexError: unknown = null;
try {
  cases = (JSON.parse(readFileSync(join(GOLDEN, 'index.json'), 'utf8')) as { cases: string[] }).cases;
} catch (e) {
  indexError = e;
}

const failures = (rows: Row[]): string[] =>
  rows.filter((r) => !r.ok).map((r) => `${r.quantity}: err ${r.err} > tol ${r.tol}${r.note ? ` (${r.note})` : ''}`);

/** Every quantity a case ships must show up as a row: loss, every grad.* and every after_*.* tensor. */
function expectCompleteRows(cj: CaseJson, rows: Row[]): void {
  const quantities = new Set(rows.map((r) => r.quantity));
  expect(quantities.has('loss')).toBe(true);
  for (const p of Object.keys(cj.parameters)) {
    expect(quantities.has(`grad.${p}`), `row grad.${p}`).toBe(true);
    for (const g of AFTER_GROUPS) expect(quantities.has(g + p), `row ${g}${p}`).toBe(true);
  }
  for (const t of Object.keys(cj.expected_tensors)) {
    if (t.startsWith('grad.') || t.startsWith('after_')) expect(quantities.has(t), `row ${t}`).toBe(true);
  }
}

describe('the PyTorch golden cases on the CPU backend', () => {
  it(`finds the golden index at ${GOLDEN}`, () => {
    if (indexError) throw indexError;
    expect(cases.length).toBeGreaterThanOrEqual(10);
  });

  for (const name of cases) {
    it(`reproduces PyTorch on case ${name}`, async () => {
      const dir = join(GOLDEN, name);
      const cj = readCase(dir);
      const rows = await runGoldenCase(dir, 'cpu');
      expect(failures(rows)).toEqual([]);
      expect(rows.every((r) => r.case === cj.name && Number.isFinite(r.err))).toBe(true);
      expectCompleteRows(cj, rows);
      if (cj.kind !== 'tutorial') expect(rows.length).toBeGreaterThan(40);
      else expect(rows.length).toBeGreaterThan(25);
    });
  }
});

describe('the PyTorch golden cases on the WebGPU backend (Dawn + SwiftShader)', () => {
  for (const name of cases) {
    it(`reproduces PyTorch within float32 tolerances on case ${name}`, async () => {
      const dir = join(GOLDEN, name);
      const cj = readCase(dir);
      const rows = await runGoldenCase(dir, 'webgpu', await nodeGpu());
      expect(failures(rows)).toEqual([]);
      expectCompleteRows(cj, rows);
    });
  }
});

describe('the golden runner on cases it was not shipped with', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'webrnn-golden-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  /** A copy of a shipped case in the tmp dir. */
  function copyCase(name: string, as: string): string {
    const dir = join(tmp, as);
    cpSync(join(GOLDEN, name), dir, { recursive: true });
    return dir;
  }

  /** 'rnn.x' → 'net.x', 'fc.x' → 'head.x', also inside 'grad.' / 'after_*.' prefixes. */
  const rename = (n: string): string => n.replace(/(^|\.)rnn\./, '$1net.').replace(/(^|\.)fc\./, '$1head.');

  function renameSafetensors(path: string): void {
    const file = readSafetensors(readFileSync(path));
    const out = new Map<string, TensorInput>();
    for (const [n, t] of file.tensors) {
      expect(['F32', 'F64', 'I32']).toContain(t.dtype);
      out.set(rename(n), { dtype: t.dtype as TensorInput['dtype'], shape: t.shape, data: t.data });
    }
    writeFileSync(path, writeSafetensors(out, file.metadata));
  }

  const renameKeys = <V>(o: Record<string, V>): Record<string, V> =>
    Object.fromEntries(Object.entries(o).map(([k, v]) => [rename(k), v]));

  it('maps renamed parameters (net.*, head.*) onto the model by state_dict order and shape', async () => {
    if (indexError) throw indexError;
    const dir = copyCase('rnn_tanh_small', 'renamed');
    renameSafetensors(join(dir, 'weights.safetensors'));
    renameSafetensors(join(dir, 'expected.safetensors'));
    const cj = readCase(dir);
    cj.parameters = renameKeys(cj.parameters);
    cj.expected_tensors = renameKeys(cj.expected_tensors);
    writeFileSync(join(dir, 'case.json'), JSON.stringify(cj));
    expect(Object.keys(cj.parameters)).toEqual([
      'net.weight_ih_l0', 'net.weight_hh_l0', 'net.bias_ih_l0', 'net.bias_hh_l0', 'head.weight', 'head.bias',
    ]);
    const names = [...readSafetensors(readFileSync(join(dir, 'weights.safetensors'))).tensors.keys()];
    expect(names.some((n) => n.startsWith('rnn.') || n.startsWith('fc.'))).toBe(false);

    const rows = await runGoldenCase(dir, 'cpu');
    expect(failures(rows)).toEqual([]);
    expectCompleteRows(cj, rows);
    expect(rows.length).toBeGreaterThan(40);
    expect(rows.some((r) => /(^|\.)(rnn|fc)\./.test(r.quantity))).toBe(false);
  });

  it('passes a ReLU unit that revives at the second Adam step, and still fails a zero-gradient entry that moved after one step', async () => {
    if (indexError) throw indexError;
    // rnn_relu_revive (tools/golden/make_revive.py): unit 3's gradients are exactly 0 at step 1
    // and not at step 2, so after_adam2 moves entries whose step-1 gradient was 0
    const rows = await runGoldenCase(join(GOLDEN, 'rnn_relu_revive'), 'cpu');
    expect(failures(rows)).toEqual([]);
    expect(rows.find((r) => r.quantity === 'after_adam2.rnn.bias_ih_l0')?.ok).toBe(true);
    const dir = copyCase('rnn_relu_revive', 'moved-after-one-step');
    const path = join(dir, 'expected.safetensors');
    const file = readSafetensors(readFileSync(path));
    const out = new Map<string, TensorInput>();
    for (const [n, t] of file.tensors) {
      const data = Float64Array.from(t.data);
      // unit 3's b_ih after one Adam step, 1e-9 off PyTorch's: far inside the 1e-4 tiny-gradient
      // tolerance, but its gradient was exactly 0, so it must be exactly unchanged
      if (n === 'after_adam.rnn.bias_ih_l0') data[3] += 1e-9;
      out.set(n, { dtype: t.dtype as TensorInput['dtype'], shape: t.shape, data: t.dtype === 'I32' ? Int32Array.from(t.data) : data });
    }
    writeFileSync(path, writeSafetensors(out, file.metadata));
    const moved = await runGoldenCase(dir, 'cpu');
    expect(moved.filter((r) => !r.ok).map((r) => r.quantity)).toEqual(['after_adam.rnn.bias_ih_l0']);
  });

  it("fails the 'loss' row, and only that row, when the expected loss is off by one part in a million", async () => {
    if (indexError) throw indexError;
    const dir = copyCase('rnn_tanh_small', 'corrupt-loss');
    const cj = readCase(dir);
    cj.scalars.loss *= 1 + 1e-6;
    writeFileSync(join(dir, 'case.json'), JSON.stringify(cj));
    const rows = await runGoldenCase(dir, 'cpu');
    expect(rows.filter((r) => !r.ok).map((r) => r.quantity)).toEqual(['loss']);
    expect(rows.find((r) => r.quantity === 'loss')!.err).toBeGreaterThan(5e-7);
  });
});

// PyTorch modules under their own names (test/fixtures/golden-models, tools/golden/make_models.py):
// word_language_model's RNNModel (tied LSTM, GRU, relu RNN), the names tutorial's CharRNN over
// packed names, a bidirectional LSTM tagger over packed sequences, a GRU without biases; and
// word_language_model weights trained by its own loop. Each is read by fromSafetensors with no
// description given, so the inference of the architecture is under test too.
const MODELS = fileURLToPath(new URL('./fixtures/golden-models/', import.meta.url));
const modelIndex = JSON.parse(readFileSync(join(MODELS, 'index.json'), 'utf8')) as { cases: string[]; trained: string[] };

describe('PyTorch modules under their own names, on both backends', () => {
  it('ships the six module cases of issue 15 and four trained word_language_model files', () => {
    expect(modelIndex.cases).toEqual(['wlm_lstm_tied', 'wlm_gru', 'wlm_rnn_relu', 'names_charrnn_packed', 'bilstm_tagger_packed', 'gru_nobias_floats']);
    expect(modelIndex.trained.length).toBe(4);
  });
  for (const backend of ['cpu', 'webgpu'] as const) {
    for (const name of [...modelIndex.cases, ...modelIndex.trained]) {
      it(`reproduces PyTorch on ${name} (${backend})`, async () => {
        const rows = await runGoldenCase(join(MODELS, name), backend, backend === 'webgpu' ? await nodeGpu() : undefined);
        expect(failures(rows)).toEqual([]);
        const cj = JSON.parse(readFileSync(join(MODELS, name, 'case.json'), 'utf8')) as { named_parameters?: string[]; files?: Record<string, string[]> };
        if (cj.named_parameters) {
          // outputs, the loss twice, every gradient and both optimizer steps, the saved keys
          for (const p of cj.named_parameters) {
            for (const q of [`grad.${p}`, `after_adam.${p}`, `after_sgd.${p}`]) expect(rows.some((r) => r.quantity === q), q).toBe(true);
          }
          expect(rows.some((r) => r.quantity === 'saved state_dict keys')).toBe(true);
        } else expect(rows.length).toBe(Object.keys(cj.files!).length);
      });
    }
  }
});
