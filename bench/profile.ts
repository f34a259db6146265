// Where a training step's time goes (`npm run bench -- --profile`, Node and Chromium): the step's
// recorded GPU work replayed one kernel family at a time (each family's dispatches in one command
// buffer, timed to onSubmittedWorkDone), through the engine's internals. The families' sum
// exceeds a real step (each replay pays a submit); the shares are what count. Where the device has
// 'timestamp-query', also the GPU's own time for each family: the whole step replayed with every
// dispatch in a compute pass of its own that writes timestamps (the 'gpu ms' column; no submit in
// it, but a pass boundary per dispatch, and Chromium rounds timestamps to 0.1 ms).
import { RnnModel, type CellKind, type GpuOptions } from '../src/index.js';
import { CHROMIUM, VOCAB } from './configs.js';
import { summarize } from './measure.js';
import type { GpuBackend } from '../src/gpu/backend.js';
import { dispatch } from '../src/gpu/plans.js';
import type { Dispatch, Plan } from '../src/gpu/engine.js';

/** The Chromium comparison's char-LM: what the profile takes apart. */
export const profileShape = { cell: CHROMIUM.cell, hiddenSize: CHROMIUM.H, batch: CHROMIUM.B, steps: CHROMIUM.T, vocab: VOCAB };

export interface Profile {
  shape: string;
  kernels: string;
  rows: ProfileRow[];
}

export function formatProfile(p: Profile): string {
  const total = p.rows.filter((r) => !r.family.startsWith('TOTAL')).reduce((a, r) => a + r.ms, 0);
  const gpuTotal = p.rows.filter((r) => !r.family.startsWith('TOTAL')).reduce((a, r) => a + (r.gpuMs ?? 0), 0);
  const gpu = (r: ProfileRow): string => (r.gpuMs === undefined ? '' : ` ${r.gpuMs.toFixed(2).padStart(8)} gpu ms ${r.family.startsWith('TOTAL') ? '    ' : `${((100 * r.gpuMs) / gpuTotal).toFixed(0).padStart(3)}%`}`);
  const lines = p.rows.map((r) => `  ${r.family.padEnd(70)} ${String(r.dispatches).padStart(4)} dispatches ${r.ms.toFixed(1).padStart(8)} ms ${((100 * r.ms) / total).toFixed(0).padStart(3)}%${gpu(r)}`);
  return [`profile of one ${p.shape} step, kernels ${p.kernels}:`, ...lines].join('\n');
}

type Internals = Pick<GpuBackend, 'device' | 'workspaces' | 'update' | 'encode' | 'pacer'>;

export interface ProfileRow {
  family: string;
  dispatches: number;
  ms: number;
  /** The family's dispatches by GPU timestamps, summed (median of the reps); absent without 'timestamp-query'. */
  gpuMs?: number;
}

export async function profileStep(
  opts: { cell: CellKind; hiddenSize: number; batch: number; steps: number; vocab: number; reps?: number } & GpuOptions,
): Promise<Profile> {
  const { batch: B, steps: T, vocab: V } = opts;
  const m = await RnnModel.create({ cell: opts.cell, inputSize: V, hiddenSize: opts.hiddenSize, backend: 'webgpu', gpu: opts.gpu, kernels: opts.kernels, timestamps: true });
  try {
    m.configureTraining({ loss: 'nll', optimizer: { type: 'adam', lr: 1e-3 }, clip: 1 });
    const ids = Int32Array.from({ length: B * T }, (_, i) => (i * 7) % V);
    await m.trainStep({ batch: B, steps: T, ids }, { ids });
    const be = (m as unknown as { backendImpl: Internals }).backendImpl;
    const ws = [...be.workspaces.values()][0];
    const ops = [...ws.forward, ...ws.plans.get('loss:nll:false')!, ...ws.plans.get('backward')!, ...be.update!] as Plan;
    const familyOf = (op: (typeof ops)[number]): string => {
      const label = op.kind === 'dispatch' ? op.pipeline.label : op.kind;
      return label.startsWith('gemm') ? label.replace(/,"(C_OFF|C_LD|BIAS_OFF|HAS_BIAS|ACCUMULATE)".*/, '}') : label.split(':')[0];
    };
    const families = new Map<string, typeof ops>();
    for (const op of ops) {
      const name = familyOf(op);
      families.set(name, [...(families.get(name) ?? []), op]);
    }
    // Median time of `reps` calls after one; replay(list): the recorded work in one submit, to
    // onSubmittedWorkDone, waited for as the model waits (its pacer: in Node on a CPU adapter a
    // spinning wait would take a core from the kernels, src/gpu/pacer.ts).
    const timeIt = async (f: () => Promise<unknown>): Promise<number> => {
      await f(); // untimed: the pacer's first call of a kind gives no estimate
      const ts: number[] = [];
      for (let r = 0; r < (opts.reps ?? 3); r++) {
        const t0 = performance.now();
        await f();
        ts.push(performance.now() - t0);
      }
      return summarize(ts).median;
    };
    const replay = async (list: typeof ops, kind: string): Promise<void> => {
      const enc = be.device.createCommandEncoder();
      be.encode(enc, list);
      const t0 = performance.now();
      be.device.queue.submit([enc.finish()]);
      await be.pacer.beforeWait(kind, t0);
      await be.device.queue.onSubmittedWorkDone();
      be.pacer.done(kind, t0);
    };
    // The whole step with a timestamped pass per dispatch (the device has 'timestamp-query'): each
    // dispatch's GPU time in ms, in order. Clears and copies between them as the engine encodes them.
    const stamped = async (): Promise<number[]> => {
      const device = be.device;
      const n = ops.filter((o) => o.kind === 'dispatch').length;
      const querySet = device.createQuerySet({ type: 'timestamp', count: 2 * n });
      const resolved = device.createBuffer({ size: 16 * n, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
      const read = device.createBuffer({ size: 16 * n, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      try {
        const enc = device.createCommandEncoder();
        let i = 0;
        for (const op of ops) {
          if (op.kind !== 'dispatch') {
            be.encode(enc, [op]);
            continue;
          }
          const pass = enc.beginComputePass({ timestampWrites: { querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } });
          dispatch(pass, op as Dispatch);
          pass.end();
          i++;
        }
        enc.resolveQuerySet(querySet, 0, 2 * n, resolved, 0);
        enc.copyBufferToBuffer(resolved, 0, read, 0, 16 * n);
        const t0 = performance.now();
        device.queue.submit([enc.finish()]);
        await be.pacer.beforeWait('profile:stamped', t0);
        await read.mapAsync(GPUMapMode.READ);
        be.pacer.done('profile:stamped', t0);
        const t = new BigUint64Array(read.getMappedRange().slice(0));
        read.unmap();
        return Array.from({ length: n }, (_, k) => Number(t[2 * k + 1] - t[2 * k]) / 1e6);
      } finally {
        querySet.destroy();
        resolved.destroy();
        read.destroy();
      }
    };
    // per family, the median over the reps (after an untimed one) of its dispatches' summed time
    const gpuMs = new Map<string, number>();
    if (be.device.features.has('timestamp-query')) {
      const family = ops.filter((o) => o.kind === 'dispatch').map((o) => familyOf(o));
      await stamped();
      const runs: Map<string, number>[] = [];
      for (let r = 0; r < (opts.reps ?? 3); r++) {
        const times = await stamped();
        const sums = new Map<string, number>([['TOTAL', 0]]);
        times.forEach((ms, k) => {
          sums.set(family[k], (sums.get(family[k]) ?? 0) + ms);
          sums.set('TOTAL', sums.get('TOTAL')! + ms);
        });
        runs.push(sums);
      }
      for (const name of runs[0].keys()) gpuMs.set(name, summarize(runs.map((s) => s.get(name) ?? 0)).median);
    }
    const rows: ProfileRow[] = [];
    for (const [family, list] of families) {
      rows.push({ family, dispatches: list.filter((o) => o.kind === 'dispatch').length, ms: await timeIt(() => replay(list, `profile:${family}`)), gpuMs: gpuMs.get(family) });
    }
    // The whole step in one submit, against the trainStep call itself (uploads, submit, the loss
    // read-back) and an empty submit's round trip.
    const all = ops.filter((o) => o.kind === 'dispatch').length;
    rows.push({
      family: 'TOTAL: the whole step in one submit',
      dispatches: all,
      ms: await timeIt(() => replay(ops, 'profile:step')),
      gpuMs: gpuMs.get('TOTAL'),
    });
    rows.push({ family: 'TOTAL: trainStep() as an app calls it', dispatches: all, ms: await timeIt(() => m.trainStep({ batch: B, steps: T, ids }, { ids })) });
    rows.push({
      family: 'TOTAL: an empty submit, to onSubmittedWorkDone',
      dispatches: 0,
      ms: await timeIt(() => replay([], 'profile:empty')),
    });
    return { shape: `${opts.cell} H${opts.hiddenSize} B${B} T${T}`, kernels: m.stats().kernels, rows };
  } finally {
    m.dispose();
  }
}
