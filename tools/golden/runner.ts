// The golden runner: replays a PyTorch reference case (format: ../shared/golden/README.md) on a
// backend and reports, per quantity, the max relative error against PyTorch's float64 numbers.
// Relative error of a tensor = max_i |a_i − e_i| / max_i |e_i| (normwise, so entries near zero
// do not dominate); of a scalar = |a − e| / |e|.
// Adam on tiny gradients is ill-conditioned (update ≈ lr·sign(g)): entries whose reference
// gradient is below `adamTinyGrad` are compared with an absolute tolerance of 1e-2·lr instead.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RnnModel, readSafetensors, parameterSpecs, type GpuOptions, type RecurrentState, type SeqInput, type SeqTargets } from '../../src/index.js';
import type { LossKind } from '../../src/model/batch.js';
import type { BackendName } from '../../src/model/backend.js';
import { normalizeConfig, type CellKind, type ModelConfigInput } from '../../src/model/config.js';
import { logSoftmax } from '../../src/cpu/network.js';
import { relErr } from '../compare.js';
import { ADAM, SGD, TOLERANCES, gpuOptions, runModelCase, runTrainedCase, type Row } from './models.js';

export { relErr, TOLERANCES, type Row };

interface CaseJson {
  name: string;
  kind: 'seq' | 'regression' | 'tutorial';
  cell: string;
  nonlinearity: string | null;
  input_size: number;
  hidden_size: number;
  num_layers: number;
  output_size: number;
  batch_size: number;
  seq_len: number;
  loss: string;
  parameters: Record<string, number[]>;
  expected_tensors: Record<string, number[]>;
  scalars: Record<string, number>;
}


export async function runGoldenCase(dir: string, backend: BackendName, gpuOrOpts?: GPU | GpuOptions): Promise<Row[]> {
  const gpuOpts = gpuOptions(gpuOrOpts);
  const cj = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as CaseJson;
  const load = async (f: string): Promise<Uint8Array> => readFileSync(join(dir, f));
  if ((cj.kind as string) === 'model') return runModelCase(load, backend, gpuOrOpts);
  if ((cj.kind as string) === 'trained') return runTrainedCase(load, backend, gpuOrOpts);
  const weights = readSafetensors(readFileSync(join(dir, 'weights.safetensors')));
  const expected = readSafetensors(readFileSync(join(dir, 'expected.safetensors'))).tensors;
  const tol = TOLERANCES[backend];
  const rows: Row[] = [];
  const E = (n: string): ArrayLike<number> => {
    const t = expected.get(n);
    if (!t) throw new Error(`${cj.name}: expected tensor '${n}' is missing from expected.safetensors`);
    return t.data;
  };
  const has = (n: string): boolean => expected.has(n);
  const check = (quantity: string, actual: ArrayLike<number>, exp: ArrayLike<number>, t: number, note?: string): void => {
    const err = relErr(actual, exp);
    rows.push({ case: cj.name, quantity, err, tol: t, ok: err <= t, note });
  };

  const cell: CellKind = cj.kind === 'tutorial' ? 'tutorial' : (cj.cell as CellKind);
  const cfgIn: ModelConfigInput = {
    cell,
    nonlinearity: (cj.nonlinearity ?? 'tanh') as 'tanh' | 'relu',
    inputSize: cj.input_size,
    hiddenSize: cj.hidden_size,
    numLayers: cj.num_layers,
    outputSize: cj.output_size,
  };
  // Case parameter names → ours: by name when they agree, else by state_dict order and shape.
  const ours = parameterSpecs(normalizeConfig(cfgIn));
  const theirs = Object.keys(cj.parameters);
  const nameOf = new Map<string, string>();
  const byName = ours.every((s) => theirs.includes(s.name));
  ours.forEach((s, i) => {
    const t = byName ? s.name : theirs[i];
    if (!t || cj.parameters[t].join() !== s.shape.join()) {
      throw new Error(`${cj.name}: cannot map parameter '${s.name}' [${s.shape}] onto the case's parameters`);
    }
    nameOf.set(s.name, t);
  });
  const params = new Map(ours.map((s) => [s.name, weights.tensors.get(nameOf.get(s.name)!)!.data]));

  // Inputs, targets, initial state.
  const B = cj.kind === 'tutorial' ? 1 : cj.batch_size;
  const T = cj.seq_len;
  const L = cj.num_layers;
  let input: SeqInput;
  let targets: SeqTargets;
  let loss: LossKind;
  let state: RecurrentState;
  if (cj.kind === 'regression') {
    input = { batch: B, steps: T, x: Float64Array.from(E('x')) };
    targets = { y: Float64Array.from(E('y')) };
    loss = 'mse';
    state = { h: Float64Array.from(E('h0')) };
  } else if (cj.kind === 'tutorial') {
    input = { batch: 1, steps: T, ids: Int32Array.from(E('input_ids')) };
    targets = { ids: Int32Array.from(E('target')) };
    loss = 'nll_last';
    state = { h: Float64Array.from(E('hidden0')) };
  } else {
    input = { batch: B, steps: T, ids: Int32Array.from(E('input_ids')) };
    targets = { ids: Int32Array.from(E('targets')) };
    loss = 'nll';
    state = { h: Float64Array.from(E('h0')), c: has('c0') ? Float64Array.from(E('c0')) : undefined };
  }
  const fresh = (): Promise<RnnModel> => RnnModel.create({ ...cfgIn, backend, ...gpuOpts, parameters: params });

  // Forward.
  const m = await fresh();
  try {
    const f = await m.forward(input, { state });
    const O = cj.output_size;
    const H = cj.hidden_size;
    const logp = logSoftmax(f.logits, O);
    if (cj.kind === 'tutorial') {
      check('outputs', logp, E('outputs'), tol.forward);
      check('hiddens', f.hSeq, E('hiddens'), tol.forward);
      check('output', logp.subarray((T - 1) * O), E('output'), tol.forward);
    } else {
      const top = f.hSeq.subarray((L - 1) * B * T * H);
      if (has('out')) check('out', top, E('out'), tol.forward);
      if (has('h_seq')) check('h_seq', f.hSeq, E('h_seq'), tol.forward);
      if (has('h_n')) check('h_n', f.hN, E('h_n'), tol.forward);
      if (has('c_seq')) check('c_seq', f.cSeq!, E('c_seq'), tol.forward);
      if (has('c_n')) check('c_n', f.cN!, E('c_n'), tol.forward);
      if (has('logits')) check('logits', f.logits, E('logits'), tol.forward);
      if (has('logp')) check('logp', logp, E('logp'), tol.forward);
      if (has('pred')) check('pred', f.logits, E('pred'), tol.forward);
    }

    // Loss and gradients.
    const g = await m.gradients(input, targets, { loss, state });
    check('loss', [g.loss], [cj.scalars.loss], tol.loss);
    for (const s of ours) {
      const n = `grad.${nameOf.get(s.name)}`;
      if (has(n)) check(n, g.grads.get(s.name)!, E(n), tol.grad);
    }
    if (has('dloss_dh0')) check('dloss_dh0', g.dh0, E('dloss_dh0'), tol.grad);
    if (has('dloss_dc0')) check('dloss_dc0', g.dc0!, E('dloss_dc0'), tol.grad);
    let sq = 0;
    for (const v of g.grads.values()) for (const x of v) sq += x * x;
    const norm = Math.sqrt(sq);
    if ('grad_norm' in cj.scalars) check('grad_norm', [norm], [cj.scalars.grad_norm], tol.grad);
    if ('clip_coef' in cj.scalars) check('clip_coef', [Math.min(1, 1 / (norm + 1e-6))], [cj.scalars.clip_coef], tol.grad);
    if ('clip_coef_tight' in cj.scalars) {
      check('clip_coef_tight', [Math.min(1, 0.1 / (norm + 1e-6))], [cj.scalars.clip_coef_tight], tol.grad);
    }
  } finally {
    m.dispose();
  }

  // Optimizer steps, each from the case's weights with a fresh optimizer.
  const runs: { prefix: string; steps: number; optimizer: typeof ADAM | typeof SGD; clip: number | null }[] = [
    { prefix: 'after_adam.', steps: 1, optimizer: ADAM, clip: 1 },
    { prefix: 'after_adam2.', steps: 2, optimizer: ADAM, clip: 1 },
    { prefix: 'after_sgd.', steps: 1, optimizer: SGD, clip: null },
    { prefix: 'after_sgd_clip.', steps: 1, optimizer: SGD, clip: 1 },
    { prefix: 'after_sgd_clip_tight.', steps: 1, optimizer: SGD, clip: 0.1 },
  ];
  for (const run of runs) {
    if (!ours.some((s) => has(run.prefix + nameOf.get(s.name)))) continue;
    const mm = await fresh();
    try {
      mm.configureTraining({ loss, optimizer: run.optimizer, clip: run.clip });
      let last = { loss: 0, gradNorm: 0 };
      for (let i = 0; i < run.steps; i++) last = await mm.trainStep(input, targets, { state });
      if (run.steps === 2) {
        if ('adam2_loss_step2' in cj.scalars) check('adam2_loss_step2', [last.loss], [cj.scalars.adam2_loss_step2], tol.loss);
        if ('adam2_grad_norm_step2' in cj.scalars) {
          check('adam2_grad_norm_step2', [last.gradNorm], [cj.scalars.adam2_grad_norm_step2], tol.grad);
        }
      }
      const after = await mm.getParameters();
      for (const s of ours) {
        const n = run.prefix + nameOf.get(s.name);
        if (!has(n)) continue;
        if (run.optimizer.type === 'adam') {
          checkAdam(n, after.get(s.name)!, E(n), E(`grad.${nameOf.get(s.name)}`), run.steps);
        } else {
          check(n, after.get(s.name)!, E(n), tol.params);
        }
      }
    } finally {
      mm.dispose();
    }
  }
  return rows;

  /**
   * Tight (relative) where the step-1 gradient is well above zero; absolute 1e-2·lr elsewhere.
   * After ONE step an entry whose gradient was exactly 0 must be exactly unchanged (Adam moves it
   * by 0 / (0 + eps)); after more steps it may move (a ReLU unit dead at step 1 can revive at
   * step 2: test/fixtures/golden/rnn_relu_revive), so it gets the absolute tolerance only.
   */
  function checkAdam(n: string, a: ArrayLike<number>, e: ArrayLike<number>, grad: ArrayLike<number>, steps: number): void {
    const absTol = 1e-2 * ADAM.lr;
    let worstAbs = 0;
    let tiny = 0;
    const keepA: number[] = [];
    const keepE: number[] = [];
    for (let i = 0; i < e.length; i++) {
      if (Math.abs(grad[i]) < tol.adamTinyGrad) {
        tiny++;
        const d = Math.abs(a[i] - e[i]);
        worstAbs = Number.isNaN(d) ? Infinity : Math.max(worstAbs, d);
        if (steps === 1 && grad[i] === 0 && a[i] !== e[i]) worstAbs = Infinity;
      } else {
        keepA.push(a[i]);
        keepE.push(e[i]);
      }
    }
    const err = keepE.length ? relErr(keepA, keepE) : 0;
    const note = tiny ? `${tiny} tiny-grad entries within ${worstAbs.toExponential(1)} abs (limit ${absTol})` : undefined;
    rows.push({ case: cj.name, quantity: n, err, tol: tol.params, ok: err <= tol.params && worstAbs <= absTol, note });
  }
}

export function formatRow(r: Row): string {
  const status = r.ok ? 'ok  ' : 'FAIL';
  return `${status} ${r.case.padEnd(18)} ${r.quantity.padEnd(40)} maxrel ${r.err.toExponential(2)}  tol ${r.tol.toExponential(0)}${r.note ? `  (${r.note})` : ''}`;
}
