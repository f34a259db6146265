// npm run quality [-- --json] [--backend cpu|webgpu] [--steps N]
// Trains webrnn on the two reference setups of tools/quality/quality.py (its PyTorch twin; both
// described there) on the shipped data, in Node (Dawn, any adapter), and prints the figures, beside
// PyTorch's when tools/quality/torch.json (quality.py --json's output) is there. bench/QUALITY.md
// records both sides.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RnnModel, type BackendName } from '../src/index.js';
import { Rng } from '../src/model/init.js';
import { nodeGpu } from '../test/gpu-device.js';
import { LETTERS, SHAKESPEARE, nameBatch, prepareNames, prepareText, valWindowStart } from '../demo/tasks/realdata.js';
import { lastStepProbs } from '../demo/tasks/classify.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const flag = (k: string): string | undefined => {
  const i = args.findIndex((a) => a === k || a.startsWith(`${k}=`));
  if (i < 0) return undefined;
  return args[i].includes('=') ? args[i].split('=')[1] : args[i + 1];
};
const json = args.includes('--json');
const backend = (flag('--backend') ?? 'webgpu') as BackendName;
const totalSteps = Number(flag('--steps') ?? 1500);
const log = (s: string): void => void process.stderr.write(`${s}\n`);
const gpu = backend === 'webgpu' ? await nodeGpu() : undefined;

async function shakespeare(): Promise<{ valLoss: Record<string, number>; msPerStep: number; device: string }> {
  const text = readFileSync(join(root, 'data/tinyshakespeare/input.txt'), 'utf8');
  const { chars, train, val } = prepareText(text);
  const V = chars.length;
  const W = SHAKESPEARE.window;
  const B = 32;
  const n = SHAKESPEARE.valWindows;
  const vIds = new Int32Array(n * W);
  const vTgt = new Int32Array(n * W);
  for (let j = 0; j < n; j++) {
    const s = valWindowStart(val.length, j);
    vIds.set(val.subarray(s, s + W), j * W);
    vTgt.set(val.subarray(s + 1, s + W + 1), j * W);
  }
  const m = await RnnModel.create({ cell: 'lstm', inputSize: V, hiddenSize: 128, numLayers: 2, outputSize: V, backend, gpu, seed: 0 });
  m.configureTraining({ loss: 'nll', optimizer: { type: 'adam', lr: 2e-3 }, clip: 1.0 });
  const rng = new Rng(1);
  const curve: Record<string, number> = {};
  const checkpoints = [0, 250, 500, 1000, 1500].filter((c) => c <= totalSteps);
  let trainMs = 0;
  for (let step = 0; step <= totalSteps; step++) {
    if (checkpoints.includes(step)) {
      curve[step] = await m.evaluate({ batch: n, steps: W, ids: vIds }, { ids: vTgt }, { loss: 'nll' });
      log(`  shakespeare step ${step}: validation loss ${curve[step].toFixed(4)}`);
    }
    if (step === totalSteps) break;
    const ids = new Int32Array(B * W);
    const tgt = new Int32Array(B * W);
    for (let b = 0; b < B; b++) {
      const s = rng.int(train.length - W - 1);
      ids.set(train.subarray(s, s + W), b * W);
      tgt.set(train.subarray(s + 1, s + W + 1), b * W);
    }
    const t0 = performance.now();
    await m.trainStep({ batch: B, steps: W, ids }, { ids: tgt });
    trainMs += performance.now() - t0;
  }
  const device = m.deviceName;
  m.dispose();
  return { valLoss: curve, msPerStep: trainMs / totalSteps, device };
}

async function names(): Promise<{ testAccuracy: number; testNll: number; msPerStep: number; steps: number; train: number; test: number }> {
  const dir = join(root, 'data/names');
  const files = Object.fromEntries(readdirSync(dir).filter((f) => f.endsWith('.txt')).map((f) => [f.slice(0, -4), readFileSync(join(dir, f), 'utf8')]));
  const set = prepareNames(files);
  const T = Math.max(...[...set.train, ...set.test].map((e) => e.name.length));
  const m = await RnnModel.create({ cell: 'rnn', inputSize: LETTERS.length, hiddenSize: 128, outputSize: set.labels.length, names: { head: 'h2o' }, backend, gpu, seed: 0 });
  m.configureTraining({ loss: 'nll_last', optimizer: { type: 'adam', lr: 1e-3 } });
  const rng = new Rng(2);
  let steps = 0;
  const t0 = performance.now();
  for (let epoch = 0; epoch < 10; epoch++) {
    const order = set.train.map((_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (let i = 0; i < order.length; i += 64) {
      const part = order.slice(i, i + 64).map((k) => set.train[k]);
      const input = nameBatch(part.map((e) => e.name), T);
      await m.trainStep(input, { ids: Int32Array.from(part, (e) => e.label) });
      steps++;
    }
    log(`  names epoch ${epoch + 1}: ${steps} steps`);
  }
  const msPerStep = (performance.now() - t0) / steps;
  let correct = 0;
  let nll = 0;
  const K = set.labels.length;
  for (let i = 0; i < set.test.length; i += 512) {
    const part = set.test.slice(i, i + 512);
    const input = nameBatch(part.map((e) => e.name), T);
    const { logits } = await m.predict(input);
    part.forEach((e, b) => {
      const p = lastStepProbs(logits, b, T, K, input.lengths![b]);
      nll -= Math.log(p[e.label]);
      if (p.indexOf(Math.max(...p)) === e.label) correct++;
    });
  }
  m.dispose();
  return { testAccuracy: correct / set.test.length, testNll: nll / set.test.length, msPerStep, steps, train: set.train.length, test: set.test.length };
}

log(`npm run quality: backend ${backend}`);
const s = await shakespeare();
const nm = await names();
const out = { shakespeare: { valLoss: s.valLoss, msPerStep: s.msPerStep }, names: nm, device: s.device, backend, date: new Date().toISOString() };
const torchFile = join(root, 'tools/quality/torch.json');
const torch = existsSync(torchFile) ? (JSON.parse(readFileSync(torchFile, 'utf8')) as typeof out) : null;
if (json) console.log(JSON.stringify(torch ? { ...out, pytorch: torch } : out, null, 1));
else {
  const row = (k: string, a: number, b?: number): string => `${k.padEnd(34)} ${a.toFixed(4).padStart(10)} ${b === undefined ? '' : b.toFixed(4).padStart(10)}${b === undefined ? '' : `  ${(((a - b) / b) * 100).toFixed(1).padStart(6)} %`}`;
  console.log(`${''.padEnd(34)} ${'webrnn'.padStart(10)} ${torch ? 'PyTorch'.padStart(10) : ''}`);
  for (const [k, v] of Object.entries(s.valLoss)) console.log(row(`shakespeare val loss @ ${k}`, v, torch?.shakespeare.valLoss[k]));
  console.log(row('shakespeare ms/step', s.msPerStep, torch?.shakespeare.msPerStep));
  console.log(row('names test accuracy', nm.testAccuracy, torch?.names.testAccuracy));
  console.log(row('names test NLL', nm.testNll, torch?.names.testNll));
  console.log(`(${s.device}; ${nm.train} training names, ${nm.test} held out)`);
}
process.exit(0);
