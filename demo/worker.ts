// The training worker: owns the model, runs the training loop, and answers the page's messages
// between steps. Everything here goes through webrnn's public API, like any outside app.
//
// One promise chain (`exclusive`) orders all model work: a chunk of training steps, a preview,
// a save or a load never interleave, and a message waits at most one chunk.
import {
  RnnModel,
  DeviceLostError,
  WebGpuUnavailableError,
  parameterSpecs,
  readSafetensors,
  type CellKind,
  type LossKind,
  type ModelConfig,
  type SeqInput,
  type SeqTargets,
} from 'webrnn';
import shakespeareUrl from '../data/tinyshakespeare/input.txt?url';
import type { FromWorker, ModelSettings, Settings, StepStat, Task, ToWorker } from './protocol.js';
import { TextStreams } from './tasks/text.js';
import { NameData, lastStepProbs } from './tasks/classify.js';
import { prepareNames } from './tasks/realdata.js';
import { Series, parseCsv, syntheticSeries } from './tasks/forecast.js';

// The real data sets (data/, 1.1 MB and 164 kB) are fetched when a task first needs them, so the
// page opens without them.
const nameUrls = import.meta.glob('../data/names/*.txt', { query: '?url', import: 'default', eager: true }) as Record<string, string>;

async function fetchText(url: string): Promise<string> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`could not load ${url}: HTTP ${r.status}`);
  return r.text();
}

/** Loads what the task's data needs, once: tiny-shakespeare, or the 18 languages' names. */
async function ensureData(): Promise<void> {
  if (task === 'text' && !textData) {
    shakespeare ??= await fetchText(shakespeareUrl);
    textData = new TextStreams(shakespeare);
    textSource = 'tiny-shakespeare';
  }
  if (task === 'classify' && !namesData) {
    const files = await Promise.all(Object.entries(nameUrls).map(async ([path, url]) => [path.replace(/^.*\/|\.txt$/g, ''), await fetchText(url)] as const));
    namesData = new NameData(prepareNames(Object.fromEntries(files)));
  }
}

/** Steps issued before awaiting their losses: the GPU runs them back to back, no idle round trip. */
const GPU_STEPS_IN_FLIGHT = 4;
const STATS_EVERY_MS = 100;
/**
 * Previews pause training while they run. The costliest, the forecast's (one predict per held-out
 * step), takes ~0.18 s on SwiftShader for a GRU H32 (~0.3 s with forward()): ~12 % of this interval.
 */
const PREVIEW_EVERY_MS = 1500;
const SAMPLE_LENGTH = 200;
const MAX_PRIME = 64;

let task: Task = 'text';
let settings!: Settings;
let model: RnnModel | null = null;
let gpuProblem: string | null = null;
let running = false;
let loopActive = false;
let step = 0;
let samples = 0;
let statBuffer: StepStat[] = [];
let lastStats = 0;
let lastPreview = 0;
let predictName = '';
/** The shape the last chunk ran with: the first chunk of a new model or shape compiles pipelines. */
let warmShape = '';

let textData: TextStreams | null = null;
let shakespeare: string | null = null;
let textSource = 'tiny-shakespeare';
let namesData: NameData | null = null;

/** The task's data, loaded (ensureData runs before any model of the task is built). */
function text(): TextStreams {
  if (!textData) throw new Error('internal: the text is still loading');
  return textData;
}
function names(): NameData {
  if (!namesData) throw new Error('internal: the names are still loading');
  return namesData;
}
let series = new Series(syntheticSeries('sines'));
let seriesSource = 'sum of sines + noise';

function post(msg: FromWorker, transfer: Transferable[] = []): void {
  (self as unknown as Worker).postMessage(msg, transfer);
}

let chain: Promise<unknown> = Promise.resolve();
function exclusive<T>(fn: () => Promise<T>): Promise<T> {
  const r = chain.then(fn);
  chain = r.catch(() => undefined);
  return r;
}

// ---- the task's shapes and data ------------------------------------------------------------------

function taskShape(): { inputSize: number; outputSize: number; loss: LossKind } {
  if (task === 'text') return { inputSize: text().vocab.size, outputSize: text().vocab.size, loss: 'nll' };
  if (task === 'classify') return { inputSize: names().vocabSize, outputSize: names().labels.length, loss: 'nll_last' };
  return { inputSize: 1, outputSize: 1, loss: 'mse' };
}

function steps(): number {
  if (task === 'classify') return names().steps;
  if (task === 'forecast') return Math.min(settings.train.seq, series.maxSteps());
  return settings.train.seq;
}

function nextBatch(): { input: SeqInput; targets: SeqTargets; state: 'zeros' | 'carry' } {
  const B = settings.train.batch;
  if (task === 'text') return text().next(B, steps());
  if (task === 'classify') return { ...names().next(B), state: 'zeros' };
  return { ...series.next(B, steps()), state: 'zeros' };
}

function dataInfo(): string {
  if (task === 'text') {
    return `${textSource}: ${text().data.length.toLocaleString('en')} characters, vocabulary ${text().vocab.size}; the last 10 % held out for the validation loss`;
  }
  if (task === 'classify') {
    return `${names().trainCount} training names, ${names().heldOut.length} held out, ${names().labels.length} languages, up to ${names().steps} letters (each batch row its own length)`;
  }
  return `${seriesSource}: ${series.values.length} values, training on the first ${series.split}`;
}

// ---- the model ---------------------------------------------------------------------------------------

async function buildModel(ms: ModelSettings): Promise<RnnModel> {
  const { inputSize, outputSize } = taskShape();
  const cfg = { cell: ms.cell, hiddenSize: ms.hidden, numLayers: ms.cell === 'tutorial' ? 1 : ms.layers, inputSize, outputSize, seed: 0 };
  if (ms.backend === 'webgpu' && !gpuProblem) {
    try {
      return await RnnModel.create({ ...cfg, backend: 'webgpu' });
    } catch (e) {
      if (!(e instanceof WebGpuUnavailableError)) throw e;
      gpuProblem = e.message;
    }
  }
  return RnnModel.create({ ...cfg, backend: 'cpu' });
}

/** A fresh optimizer (its moments at zero): for a new model, optimizer kind or loss. */
function configure(m: RnnModel): void {
  const t = settings.train;
  m.configureTraining({
    loss: taskShape().loss,
    optimizer: t.optimizer === 'adam' ? { type: 'adam', lr: t.lr } : { type: 'sgd', lr: t.lr, momentum: 0.9 },
    clip: clipOf(t),
  });
}

/** The page's clip (0 = off) as clip_grad_norm_'s max_norm or none. */
function clipOf(t: Settings['train']): number | null {
  return t.clip > 0 ? t.clip : null;
}

function live(): RnnModel {
  if (!model) throw new Error('the model is still being built');
  return model;
}

function announce(): void {
  const m = live();
  const c = m.config;
  post({
    type: 'ready',
    backend: m.backend,
    deviceName: m.deviceName,
    gpuProblem,
    model: { cell: c.cell, hidden: c.hiddenSize, layers: c.numLayers, backend: m.backend },
    dataInfo: dataInfo(),
    params: parameterSpecs(c).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0),
    step,
  });
}

/**
 * A fresh model for the current task (with `weights` from a file, or a seeded init): step 0, data
 * streams from their start. The old model stays in use until the new one is complete.
 */
async function rebuild(ms: ModelSettings = settings.model, weights?: ArrayBuffer): Promise<void> {
  running = false;
  const next = await buildModel(ms);
  try {
    if (weights) next.loadSafetensors(weights);
  } catch (e) {
    next.dispose();
    throw e;
  }
  model?.dispose();
  model = next;
  settings = { ...settings, model: ms };
  configure(model);
  step = 0;
  statBuffer = [];
  warmShape = '';
  textData?.restart();
  announce();
  await preview();
}

// ---- previews: what the page shows of the model's predictions ------------------------------------

async function preview(): Promise<void> {
  lastPreview = performance.now();
  if (task === 'text') return previewText();
  if (task === 'classify') {
    await previewConfusion();
    if (predictName) await classifyName(predictName);
    return;
  }
  return previewForecast();
}

async function previewText(): Promise<void> {
  const m = live();
  let prime = text().vocab.encode(settings.sample.prime).slice(-MAX_PRIME);
  if (prime.length === 0) prime = text().data.slice(0, 1);
  const argmax = await m.generate({ prime, length: SAMPLE_LENGTH, temperature: 0 });
  const sample = await m.generate({ prime, length: SAMPLE_LENGTH, temperature: settings.sample.temperature, seed: ++samples });
  const val = text().validation();
  const valLoss = val ? await m.evaluate(val.input, val.targets, { loss: 'nll' }) : null;
  post({ type: 'text-preview', step, argmax: text().vocab.decode(argmax), sample: text().vocab.decode(sample), prime: text().vocab.decode(prime), valLoss });
}

async function previewConfusion(): Promise<void> {
  const m = live();
  const K = names().labels.length;
  const counts = names().labels.map(() => new Array<number>(K).fill(0));
  const list = names().heldOut;
  let i = 0;
  let correct = 0;
  // 3,081 held-out names in batches of 512: a handful of calls (the GPU keeps this shape's
  // workspace beside the training one)
  for (const chunk of names().chunks(list.map((e) => e.name), 512)) {
    const { logits } = await m.predict(chunk.input);
    for (let b = 0; b < chunk.count; b++, i++) {
      const p = lastStepProbs(logits, b, names().steps, K, chunk.input.lengths![b]);
      const guess = p.indexOf(Math.max(...p));
      counts[list[i].label][guess]++;
      if (guess === list[i].label) correct++;
    }
  }
  post({ type: 'confusion', step, report: { labels: names().labels, counts, accuracy: correct / list.length, heldOut: list.length } });
}

async function classifyName(name: string): Promise<void> {
  const m = live();
  // batch 1: the GPU keeps this shape's workspace beside the training one
  const chunk = names().chunks([name], 1).next().value!;
  const { logits } = await m.predict(chunk.input);
  const p = lastStepProbs(logits, 0, names().steps, names().labels.length, chunk.input.lengths![0]);
  const ranked = names().labels.map((label, i) => ({ label, p: p[i] })).sort((a, b) => b.p - a.p);
  post({ type: 'prediction', step, prediction: { name, ranked } });
}

async function previewForecast(): Promise<void> {
  const m = live();
  const { z, split } = series;
  const N = z.length;
  const oneStep = new Array<number>(N).fill(NaN);
  // 1. read the training part: one-step predictions of z[1..split], ending in the state at the split
  const head = await m.predict({ batch: 1, steps: split, x: z.slice(0, split) });
  for (let t = 0; t < split; t++) oneStep[t + 1] = series.unscale(head.logits[t]);
  // 2. free-running forecast of z[split..]: each prediction is the next input; 'carry' goes on
  // from the state the previous call ended in (the first from the split), nothing uploaded
  const forecast: number[] = [];
  let x = head.logits[split - 1];
  for (let k = split; k < N; k++) {
    forecast.push(series.unscale(x));
    if (k === N - 1) break;
    x = (await m.predict({ batch: 1, steps: 1, x: Float32Array.of(x) }, { state: 'carry' })).logits[0];
  }
  // 3. one-step predictions over the held-out tail, from the true values and the state at the split
  const atSplit = { h: head.hN, c: head.cN ?? undefined };
  const tail = await m.predict({ batch: 1, steps: N - 1 - split, x: z.slice(split, N - 1) }, { state: atSplit });
  for (let t = 0; t < N - 1 - split; t++) oneStep[split + 1 + t] = series.unscale(tail.logits[t]);
  const forecastMse = forecast.reduce((a, v, i) => a + (v - series.values[split + i]) ** 2, 0) / forecast.length;
  post({ type: 'forecast', step, report: { series: series.values, split, oneStep, forecast, forecastMse } });
}

// ---- training ------------------------------------------------------------------------------------------

function flushStats(force = false): void {
  const now = performance.now();
  if (statBuffer.length && (force || now - lastStats >= STATS_EVERY_MS)) {
    post({ type: 'steps', stats: statBuffer });
    statBuffer = [];
    lastStats = now;
  }
}

async function trainChunk(): Promise<void> {
  if (!running) return;
  const m = live();
  const n = m.backend === 'webgpu' ? GPU_STEPS_IN_FLIGHT : 1;
  const t0 = performance.now();
  const pending = [];
  let tokens = 0;
  for (let i = 0; i < n; i++) {
    const b = nextBatch();
    tokens += b.input.batch * b.input.steps;
    pending.push(m.trainStep(b.input, b.targets, { state: b.state }));
  }
  const results = await Promise.all(pending);
  // the first chunk of a model or shape includes compiling its pipelines: no speed for it
  const shape = `${m.backend}:${settings.train.batch}x${steps()}`;
  const warm = shape === warmShape;
  warmShape = shape;
  const ms = warm ? (performance.now() - t0) / n : NaN;
  const tokensPerSec = (tokens / n / ms) * 1000;
  for (const r of results) {
    step++;
    statBuffer.push({ step, loss: r.loss, ms, tokensPerSec });
    if (r.skipped) {
      // the engine skipped the step: the model is as it was before it
      running = false;
      flushStats(true);
      post({ type: 'running', running: false });
      post({ type: 'error', message: `the loss diverged (${r.loss}) at step ${step}: the step was skipped and the model is as before it; lower the learning rate or set a clip, then resume` });
      return;
    }
  }
  flushStats();
  if (performance.now() - lastPreview >= PREVIEW_EVERY_MS) await preview();
}

/**
 * A lost GPU device (a driver reset, a backgrounded tab on mobile, the page's "Lose the GPU"
 * button): the model comes back on a new device from its last snapshot and training goes on.
 */
async function recover(e: DeviceLostError): Promise<void> {
  const m = live();
  const lostAt = step;
  // the page counts steps since it started; the model counts optimizer steps since configured
  const behind = m.stats().optimizerStep;
  const { step: from } = await m.recover();
  step = Math.max(0, step - (behind - from));
  textData?.restart();
  post({ type: 'recovered', reason: e.reason, lostAt, step });
}

async function loop(): Promise<void> {
  if (loopActive) return;
  loopActive = true;
  try {
    while (running) {
      try {
        await exclusive(trainChunk);
      } catch (e) {
        if (!(e instanceof DeviceLostError)) throw e;
        await exclusive(() => recover(e));
      }
      // let queued messages (pause, save, a new setting) in between chunks
      await new Promise((r) => setTimeout(r, 0));
    }
  } catch (e) {
    running = false;
    post({ type: 'running', running: false });
    post({ type: 'error', message: messageOf(e) });
  } finally {
    loopActive = false;
  }
}

// ---- settings, save and load ---------------------------------------------------------------------

async function applySettings(next: Settings): Promise<void> {
  const prev = settings;
  settings = next;
  const a = prev.model;
  const b = next.model;
  if (a.cell !== b.cell || a.hidden !== b.hidden || a.layers !== b.layers) {
    const wasRunning = running;
    await rebuild();
    if (wasRunning) start();
    return;
  }
  if (a.backend !== b.backend) {
    const m = live();
    try {
      await m.to(b.backend);
    } catch (e) {
      if (!(e instanceof WebGpuUnavailableError)) throw e;
      gpuProblem = e.message;
    }
    // to() carries the training options over; the optimizer restarts there
    textData?.restart();
    announce();
    // show what the moved model predicts (while training, the next preview does)
    if (!running) await preview();
  }
  const [p, q] = [prev.train, next.train];
  // a new learning rate or clip keeps Adam's moments (dragging the slider mid-training is no restart)
  if (p.optimizer !== q.optimizer) configure(live());
  else if (p.lr !== q.lr || p.clip !== q.clip) live().updateTraining({ lr: q.lr, clip: clipOf(q) });
  const sampleChanged = prev.sample.temperature !== next.sample.temperature || prev.sample.prime !== next.sample.prime;
  if (!running && task === 'text' && sampleChanged) await previewText();
}

/** The model config a safetensors file holds: webrnn's metadata, or read off PyTorch's shapes. */
function configOf(file: ReturnType<typeof readSafetensors>): { cell: CellKind; hidden: number; layers: number; inputSize: number; outputSize: number } {
  const meta = file.metadata.webrnn_config;
  if (meta) {
    const c = JSON.parse(meta) as ModelConfig;
    return { cell: c.cell, hidden: c.hiddenSize, layers: c.numLayers, inputSize: c.inputSize, outputSize: c.outputSize };
  }
  const shape = (n: string): number[] | undefined => file.tensors.get(n)?.shape;
  const i2h = shape('i2h.weight');
  const i2o = shape('i2o.weight');
  if (i2h && i2o) return { cell: 'tutorial', hidden: i2h[0], layers: 1, inputSize: i2h[1] - i2h[0], outputSize: i2o[0] };
  const wih = shape('rnn.weight_ih_l0');
  const whh = shape('rnn.weight_hh_l0');
  const fc = shape('fc.weight');
  if (!wih || !whh || !fc) {
    throw new Error(
      `this file has neither webrnn's config nor PyTorch's rnn.weight_ih_l0 / rnn.weight_hh_l0 / fc.weight (it has: ${[...file.tensors.keys()].join(', ')})`,
    );
  }
  const hidden = whh[1];
  const gates = wih[0] / hidden;
  const cell: CellKind = gates === 4 ? 'lstm' : gates === 3 ? 'gru' : 'rnn';
  let layers = 1;
  while (file.tensors.has(`rnn.weight_ih_l${layers}`)) layers++;
  return { cell, hidden, layers, inputSize: wih[1], outputSize: fc[0] };
}

async function load(bytes: ArrayBuffer, name: string): Promise<void> {
  const c = configOf(readSafetensors(bytes));
  const want = taskShape();
  if (c.inputSize !== want.inputSize || c.outputSize !== want.outputSize) {
    throw new Error(
      `${name} is a model with inputSize ${c.inputSize} and outputSize ${c.outputSize}; ` +
        `this task needs ${want.inputSize} and ${want.outputSize} (is it from another task, or other training text?)`,
    );
  }
  await rebuild({ ...settings.model, cell: c.cell, hidden: c.hidden, layers: c.layers }, bytes);
  post({ type: 'running', running: false });
  post({ type: 'loaded', name });
}

function start(): void {
  running = true;
  post({ type: 'running', running: true });
  void loop();
}

function messageOf(e: unknown): string {
  return e instanceof Error ? `${e.name === 'Error' ? '' : `${e.name}: `}${e.message}` : String(e);
}

async function handle(msg: ToWorker): Promise<void> {
  switch (msg.type) {
    case 'init':
    case 'reset':
      task = msg.task;
      settings = msg.settings;
      await ensureData();
      await rebuild();
      post({ type: 'running', running: false });
      return;
    case 'settings':
      return applySettings(msg.settings);
    case 'start':
      if (!running) start();
      return;
    case 'pause':
      running = false;
      flushStats(true);
      await preview();
      post({ type: 'running', running: false });
      return;
    case 'text':
      if (msg.text === null) {
        textData = null; // tiny-shakespeare again (ensureData)
        await ensureData();
      } else {
        textData = new TextStreams(msg.text);
        textSource = 'your text';
      }
      if (task === 'text') {
        await rebuild();
        post({ type: 'running', running: false });
      }
      return;
    case 'series':
    case 'csv':
      if (msg.type === 'csv') {
        series = new Series(parseCsv(msg.text));
        seriesSource = msg.name;
      } else {
        series = new Series(syntheticSeries(msg.kind));
        seriesSource = msg.kind === 'sines' ? 'sum of sines + noise' : 'trend + season + noise';
      }
      if (task === 'forecast') {
        // same shapes: keep the weights, start the curves again
        step = 0;
        announce();
        await preview();
      }
      return;
    case 'predict':
      predictName = msg.name;
      if (msg.name && task === 'classify') await classifyName(msg.name);
      return;
    case 'lose-device':
      live().gpuDevice?.destroy();
      return;
    case 'save': {
      const m = live();
      const bytes = await m.saveSafetensors();
      const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
      const c = m.config;
      post({ type: 'saved', bytes: buf, fileName: `webrnn-${task}-${c.cell}-h${c.hiddenSize}x${c.numLayers}-step${step}.safetensors` }, [buf]);
      return;
    }
    case 'load':
      return load(msg.bytes, msg.name);
  }
}

self.onmessage = (ev: MessageEvent<ToWorker>) => {
  exclusive(() => handle(ev.data)).catch((e: unknown) => post({ type: 'error', message: messageOf(e) }));
};
