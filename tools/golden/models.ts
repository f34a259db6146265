// Golden cases of PyTorch modules under their own names and of trained word_language_model
// weights (tools/golden/make_models.py), replayed on a backend: no Node APIs, so the same code runs
// in Node (tools/golden/runner.ts) and in headless Chromium (e2e/engine.spec.ts), reading a case's
// files through `load`.
import { RnnModel, readSafetensors, type GpuOptions, type SeqInput, type SeqTargets } from '../../src/index.js';
import type { BackendName } from '../../src/model/backend.js';
import { relErr } from '../compare.js';

/** A case's file by name (case.json, weights.safetensors, …). */
export type Load = (file: string) => Promise<Uint8Array>;

/** The optimizers of the reference cases (../shared/golden/README.md). */
/** A GPU object, or the WebGPU options a case's models are made with (a forced kernel family, say). */
export function gpuOptions(g?: GPU | GpuOptions): GpuOptions {
  if (!g) return {};
  return 'requestAdapter' in g ? { gpu: g } : g;
}

export const ADAM = { type: 'adam' as const, lr: 0.01, betas: [0.9, 0.999] as [number, number], eps: 1e-8 };
export const SGD = { type: 'sgd' as const, lr: 0.1 };

export interface Tolerances {
  forward: number;
  loss: number;
  grad: number;
  params: number;
  adamTinyGrad: number;
}

export const TOLERANCES: Record<BackendName, Tolerances> = {
  cpu: { forward: 1e-9, loss: 1e-9, grad: 1e-9, params: 1e-9, adamTinyGrad: 1e-6 },
  webgpu: { forward: 1e-4, loss: 1e-4, grad: 1e-3, params: 1e-3, adamTinyGrad: 1e-4 },
};

export interface Row {
  case: string;
  quantity: string;
  err: number;
  tol: number;
  ok: boolean;
  note?: string;
}

interface ModelCaseJson {
  name: string;
  kind: 'model';
  nonlinearity: 'tanh' | 'relu' | null;
  loss: 'nll' | 'nll_last';
  batch_size: number;
  seq_len: number;
  state_dict_keys: string[];
  named_parameters: string[];
  scalars: Record<string, number>;
}

/**
 * A case of a real PyTorch module under its own names (tools/golden/make_models.py): the model is
 * read from weights.safetensors by fromSafetensors with nothing but the nonlinearity (which no
 * state_dict holds), so name and shape inference is under test too; then forward outputs, the loss,
 * every gradient, one Adam and one SGD step, and a save whose keys are the module's state_dict's.
 */
export async function runModelCase(load: Load, backend: BackendName, gpuOrOpts?: GPU | GpuOptions): Promise<Row[]> {
  const gpuOpts = gpuOptions(gpuOrOpts);
  const cj = JSON.parse(new TextDecoder().decode(await load('case.json'))) as ModelCaseJson;
  const bytes = await load('weights.safetensors');
  const expected = readSafetensors(await load('expected.safetensors')).tensors;
  const tol = TOLERANCES[backend];
  const rows: Row[] = [];
  const has = (n: string): boolean => expected.has(n);
  const E = (n: string): ArrayLike<number> => {
    const t = expected.get(n);
    if (!t) throw new Error(`${cj.name}: expected tensor '${n}' is missing from expected.safetensors`);
    return t.data;
  };
  const check = (quantity: string, actual: ArrayLike<number>, exp: ArrayLike<number>, t: number, note?: string): void => {
    const err = actual.length === exp.length ? relErr(actual, exp) : Infinity;
    rows.push({ case: cj.name, quantity, err, tol: t, ok: err <= t, note: actual.length === exp.length ? note : `${actual.length} values, expected ${exp.length}` });
  };
  const B = cj.batch_size;
  const T = cj.seq_len;
  const input: SeqInput = has('x') ? { batch: B, steps: T, x: Float64Array.from(E('x')) } : { batch: B, steps: T, ids: Int32Array.from(E('input_ids')) };
  if (has('lengths')) input.lengths = Int32Array.from(E('lengths'));
  const targets: SeqTargets = { ids: Int32Array.from(E(cj.loss === 'nll' ? 'targets' : 'target')) };
  const fresh = (): Promise<RnnModel> =>
    RnnModel.fromSafetensors(bytes, { backend, ...gpuOpts, ...(cj.nonlinearity === 'relu' ? { nonlinearity: 'relu' as const } : {}) });

  const m = await fresh();
  try {
    const f = await m.forward(input);
    const { numLayers: L, outputSize: O } = m.config;
    const top = f.hSeq.subarray((L - 1) * (f.hSeq.length / L));
    check('out', top, E('out'), tol.forward);
    check('h_n', f.hN, E('h_n'), tol.forward);
    if (has('c_n')) check('c_n', f.cN ?? [], E('c_n'), tol.forward);
    check('logits', f.logits, E('logits'), tol.forward);
    const ev = await m.evaluate(input, targets, { loss: cj.loss });
    check('loss (evaluate)', [ev], [cj.scalars.loss], tol.loss);
    const g = await m.gradients(input, targets, { loss: cj.loss });
    check('loss', [g.loss], [cj.scalars.loss], tol.loss);
    for (const n of cj.named_parameters) check(`grad.${n}`, g.grads.get(n) ?? [], E(`grad.${n}`), tol.grad);
    let sq = 0;
    for (const v of g.grads.values()) for (const x of v) sq += x * x;
    check('grad_norm', [Math.sqrt(sq)], [cj.scalars.grad_norm], tol.grad);
    // the save carries exactly the module's state_dict keys, so load_state_dict(strict=True) takes it
    const saved = readSafetensors(await m.saveSafetensors());
    const keys = [...saved.tensors.keys()].sort().join();
    const want = [...cj.state_dict_keys].sort().join();
    rows.push({ case: cj.name, quantity: 'saved state_dict keys', err: keys === want ? 0 : 1, tol: 0, ok: keys === want, note: keys === want ? undefined : `saved ${keys}, PyTorch has ${want}` });
    const weights = readSafetensors(bytes).tensors;
    for (const k of cj.state_dict_keys) check(`saved ${k}`, saved.tensors.get(k)?.data ?? [], weights.get(k)!.data, 0);
  } finally {
    m.dispose();
  }
  for (const run of [
    { prefix: 'after_adam.', optimizer: ADAM, clip: 1 as number | null },
    { prefix: 'after_sgd.', optimizer: SGD, clip: null },
  ]) {
    const mm = await fresh();
    try {
      mm.configureTraining({ loss: cj.loss, optimizer: run.optimizer, clip: run.clip });
      const step = await mm.trainStep(input, targets);
      check(`${run.prefix}loss`, [step.loss], [cj.scalars.loss], tol.loss);
      const after = await mm.getParameters();
      for (const n of cj.named_parameters) check(run.prefix + n, after.get(n) ?? [], E(run.prefix + n), tol.params);
    } finally {
      mm.dispose();
    }
  }
  return rows;
}

/**
 * word_language_model weights trained by the upstream loop (tools/golden/make_models.py): each file
 * loads with fromSafetensors and no options but the nonlinearity (which no state_dict holds), or for
 * save_model's file, which keeps only decoder.weight of the tied pair, with `tied` and the
 * embedding's name; evaluate from a zero state gives PyTorch's eval-mode mean NLL.
 */
export async function runTrainedCase(load: Load, backend: BackendName, gpuOrOpts?: GPU | GpuOptions): Promise<Row[]> {
  const gpuOpts = gpuOptions(gpuOrOpts);
  const cj = JSON.parse(new TextDecoder().decode(await load('case.json'))) as { name: string; nonlinearity: 'tanh' | 'relu'; batch_size: number; seq_len: number; files: Record<string, string[]>; nll: number };
  const expected = readSafetensors(await load('expected.safetensors')).tensors;
  const input: SeqInput = { batch: cj.batch_size, steps: cj.seq_len, ids: Int32Array.from(expected.get('input_ids')!.data) };
  const targets: SeqTargets = { ids: Int32Array.from(expected.get('targets')!.data) };
  const tol = TOLERANCES[backend];
  const rows: Row[] = [];
  for (const file of Object.keys(cj.files)) {
    const hints = {
      ...(cj.nonlinearity === 'relu' ? { nonlinearity: 'relu' as const } : {}),
      ...(file === 'weights-save-model.safetensors' ? { tied: true, names: { embedding: 'encoder' } } : {}),
    };
    const m = await RnnModel.fromSafetensors(await load(file), { backend, ...gpuOpts, ...hints });
    try {
      const nll = await m.evaluate(input, targets, { loss: 'nll' });
      const err = Math.abs(nll - cj.nll) / Math.abs(cj.nll);
      rows.push({ case: cj.name, quantity: `eval nll (${file})`, err, tol: tol.loss, ok: err <= tol.loss, note: `${nll} vs PyTorch ${cj.nll}` });
    } finally {
      m.dispose();
    }
  }
  return rows;
}

