// The page: controls, live numbers and charts. The model lives in a Web Worker (worker.ts); this
// thread only posts what the user asked for and renders what comes back, once per animation frame,
// so the page answers input immediately however long a training step takes.
import { ForecastPlot, LiveChart, type ChartSpec } from './charts.js';
import type { ConfusionReport, ForecastReport, FromWorker, ModelSettings, Prediction, Settings, Task, ToWorker, TrainSettings } from './protocol.js';

/**
 * The text task starts from npm run quality's tiny-shakespeare setup (LSTM 2 × 128, Adam 2e-3, 32
 * windows of 64, clip 1: a few ms a step on a GPU, about a second on a CPU WebGPU such as
 * SwiftShader); the others are small: a step well under 100 ms even there.
 */
const DEFAULTS: Record<Task, { model: Omit<ModelSettings, 'backend'>; train: TrainSettings }> = {
  text: { model: { cell: 'lstm', hidden: 128, layers: 2 }, train: { optimizer: 'adam', lr: 0.002, batch: 32, seq: 64, clip: 1 } },
  classify: { model: { cell: 'tutorial', hidden: 64, layers: 1 }, train: { optimizer: 'adam', lr: 0.005, batch: 16, seq: 16, clip: 5 } },
  forecast: { model: { cell: 'gru', hidden: 32, layers: 1 }, train: { optimizer: 'adam', lr: 0.01, batch: 8, seq: 32, clip: 1 } },
};

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`demo/index.html has no #${id}`);
  return el as T;
};
const input = (id: string): HTMLInputElement => $<HTMLInputElement>(id);
const select = (id: string): HTMLSelectElement => $<HTMLSelectElement>(id);

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
const send = (msg: ToWorker, transfer: Transferable[] = []): void => worker.postMessage(msg, transfer);

let task: Task = 'text';
let running = false;
let initialized = false;
/** Each task keeps its own model and training settings while the user visits the others. */
const perTask: Record<Task, Settings> = {
  text: settingsFor('text'),
  classify: settingsFor('classify'),
  forecast: settingsFor('forecast'),
};

function settingsFor(t: Task): Settings {
  const d = DEFAULTS[t];
  return { model: { ...d.model, backend: 'webgpu' }, train: { ...d.train }, sample: { temperature: 0.8, prime: 'The ' } };
}

// ---- controls <-> settings ------------------------------------------------------------------------

const lrToSlider = (lr: number): string => Math.log10(lr).toFixed(2);
const sliderToLr = (v: string): number => Number((10 ** Number(v)).toPrecision(2));

function setSelect(id: string, value: string | number): void {
  const s = select(id);
  const v = String(value);
  if (![...s.options].some((o) => o.value === v)) s.add(new Option(v, v));
  s.value = v;
}

function writeControls(s: Settings): void {
  setSelect('cell', s.model.cell);
  setSelect('hidden', s.model.hidden);
  setSelect('layers', s.model.layers);
  setSelect('backend-select', s.model.backend);
  setSelect('optimizer', s.train.optimizer);
  input('lr').value = lrToSlider(s.train.lr);
  setSelect('batch', s.train.batch);
  setSelect('seq', s.train.seq);
  input('clip').value = String(s.train.clip);
  input('temperature').value = String(s.sample.temperature);
  input('prime').value = s.sample.prime;
  showControlValues();
}

function readControls(): Settings {
  const clip = Number(input('clip').value);
  return {
    model: {
      cell: select('cell').value as ModelSettings['cell'],
      hidden: Number(select('hidden').value),
      layers: select('cell').value === 'tutorial' ? 1 : Number(select('layers').value),
      backend: select('backend-select').value as ModelSettings['backend'],
    },
    train: {
      optimizer: select('optimizer').value as TrainSettings['optimizer'],
      lr: sliderToLr(input('lr').value),
      batch: Number(select('batch').value),
      seq: Number(select('seq').value),
      clip: Number.isFinite(clip) && clip > 0 ? clip : 0,
    },
    sample: { temperature: Number(input('temperature').value), prime: input('prime').value },
  };
}

function showControlValues(): void {
  $('lr-value').textContent = String(sliderToLr(input('lr').value));
  $('temperature-value').textContent = Number(input('temperature').value).toFixed(2);
  $('sample-temp').textContent = Number(input('temperature').value).toFixed(2);
  select('layers').disabled = select('cell').value === 'tutorial';
  select('seq').disabled = task === 'classify';
  $('seq-label').title = task === 'classify' ? 'Names are padded at the end to the longest name; each row carries its true length' : '';
}

function settingsChanged(): void {
  showControlValues();
  perTask[task] = readControls();
  send({ type: 'settings', settings: perTask[task] });
}

for (const id of ['cell', 'hidden', 'layers', 'backend-select', 'optimizer', 'batch', 'seq']) select(id).addEventListener('change', settingsChanged);
for (const id of ['lr', 'temperature', 'prime', 'clip']) input(id).addEventListener('input', settingsChanged);

// ---- tasks, buttons, files ------------------------------------------------------------------------

function setBusy(text: string): void {
  const s = $('status');
  s.textContent = text;
  s.dataset.state = 'busy';
  input('load').disabled = true;
  ($('start') as HTMLButtonElement).disabled = true;
  ($('save') as HTMLButtonElement).disabled = true;
}

function setRunning(r: boolean): void {
  running = r;
  const s = $('status');
  s.dataset.state = r ? 'running' : 'paused';
  s.textContent = r ? 'training…' : `paused at step ${$('step').textContent}`;
  ($('start') as HTMLButtonElement).disabled = r;
  ($('start') as HTMLButtonElement).textContent = Number($('step').textContent) > 0 ? 'Resume' : 'Start';
  ($('pause') as HTMLButtonElement).disabled = !r;
  ($('save') as HTMLButtonElement).disabled = false;
  input('load').disabled = false;
}

function showError(message: string | null): void {
  const e = $('error');
  e.hidden = message === null;
  e.textContent = message ?? '';
}

function selectTask(t: Task): void {
  const first = !initialized;
  initialized = true;
  task = t;
  for (const b of document.querySelectorAll<HTMLButtonElement>('[data-task]')) b.setAttribute('aria-selected', String(b.dataset.task === t));
  for (const p of document.querySelectorAll<HTMLElement>('[data-panel]')) p.hidden = p.dataset.panel !== t;
  // the backend is the user's choice for the whole page, not per task
  if (!first) perTask[t].model.backend = select('backend-select').value as ModelSettings['backend'];
  writeControls(perTask[t]);
  $('ppl-label').textContent = t === 'forecast' ? 'RMSE (std units)' : 'perplexity';
  $('loss-caption').textContent = t === 'forecast' ? 'Loss (MSE) and RMSE' : 'Loss (cross-entropy, nats) and perplexity';
  lossChart.configure(lossSpec(t));
  showError(null);
  setBusy('building the model…');
  send({ type: first ? 'init' : 'reset', task: t, settings: perTask[t] });
}

for (const b of document.querySelectorAll<HTMLButtonElement>('[data-task]')) {
  b.addEventListener('click', () => b.dataset.task !== task && selectTask(b.dataset.task as Task));
}

$('start').addEventListener('click', () => {
  showError(null);
  send({ type: 'start' });
});
$('pause').addEventListener('click', () => {
  ($('pause') as HTMLButtonElement).disabled = true;
  $('status').textContent = 'pausing…';
  send({ type: 'pause' });
});
$('reset').addEventListener('click', () => {
  showError(null);
  setBusy('building a new model…');
  send({ type: 'reset', task, settings: readControls() });
});

$('save').addEventListener('click', () => send({ type: 'save' }));
$('lose-device').addEventListener('click', () => send({ type: 'lose-device' }));
input('load').addEventListener('change', async () => {
  const file = input('load').files?.[0];
  input('load').value = '';
  if (!file) return;
  const bytes = await file.arrayBuffer();
  showError(null);
  setBusy(`loading ${file.name}…`);
  send({ type: 'load', bytes, name: file.name }, [bytes]);
});

input('name-input').addEventListener('input', () => send({ type: 'predict', name: input('name-input').value.trim() }));
select('series').addEventListener('change', () => send({ type: 'series', kind: select('series').value as 'sines' | 'trend' }));
input('csv').addEventListener('change', async () => {
  const file = input('csv').files?.[0];
  input('csv').value = '';
  if (file) send({ type: 'csv', text: await file.text(), name: file.name });
});

const userText = $<HTMLTextAreaElement>('user-text');
$('use-text').addEventListener('click', () => {
  const text = userText.value;
  if (text.length < 200) return showError(`paste at least a few hundred characters (this is ${text.length})`);
  setBusy('building a model for your text…');
  send({ type: 'text', text });
});
$('use-corpus').addEventListener('click', () => {
  setBusy('building a model for tiny-shakespeare…');
  send({ type: 'text', text: null });
});
userText.addEventListener('dragover', (e) => {
  e.preventDefault();
  userText.classList.add('drop');
});
userText.addEventListener('dragleave', () => userText.classList.remove('drop'));
userText.addEventListener('drop', async (e) => {
  e.preventDefault();
  userText.classList.remove('drop');
  const file = e.dataTransfer?.files[0];
  if (file) userText.value = await file.text();
});

function download(bytes: ArrayBuffer, fileName: string): void {
  const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// ---- rendering what the worker reports ----------------------------------------------------------

/** Steps of the reference run (npm run quality: 1,500 for tiny-shakespeare) the time left counts to. */
const GOAL_STEPS = 1500;

/** Time left to GOAL_STEPS at the current speed, or what was reached. */
function timeLeft(step: number, msPerStep: number): string {
  if (step >= GOAL_STEPS) return `${GOAL_STEPS.toLocaleString('en')} reached`;
  if (!Number.isFinite(msPerStep)) return '–';
  const s = ((GOAL_STEPS - step) * msPerStep) / 1000;
  return s < 90 ? `${Math.ceil(s)} s` : s < 5400 ? `${Math.ceil(s / 60)} min` : `${(s / 3600).toFixed(1)} h`;
}

const lossSpec = (t: Task): ChartSpec =>
  t === 'forecast'
    ? { lines: [{ label: 'MSE', color: '#2f6fde', scale: 'y' }, { label: 'RMSE', color: '#e8772e', scale: 'y2', dash: [4, 3] }], yLabel: 'MSE (std units²)', y2Label: 'RMSE' }
    : {
        lines: [
          { label: 'loss', color: '#2f6fde', scale: 'y' },
          { label: 'perplexity', color: '#e8772e', scale: 'y2', dash: [4, 3] },
          ...(t === 'text' ? [{ label: 'validation loss', color: '#c0392b', scale: 'y' as const, sparse: true }] : []),
        ],
        yLabel: 'loss (nats)',
        y2Label: 'perplexity (log)',
        y2Log: true,
      };
const lossChart = new LiveChart($('chart-loss'), lossSpec(task));
const speedChart = new LiveChart($('chart-speed'), {
  lines: [
    { label: 'ms / step', color: '#7a4fd0', scale: 'y' },
    { label: 'tokens / s', color: '#2a9d6f', scale: 'y2' },
  ],
  yLabel: 'ms / step',
  y2Label: 'tokens / s',
});
const forecastPlot = new ForecastPlot($('forecast-plot'));

/** Speed is noisy step to step (other work on the machine); charts and numbers show an EMA. */
const speed = { ms: NaN, tps: NaN };
const smooth = (ema: number, v: number): number => (!Number.isFinite(v) ? ema : Number.isFinite(ema) ? ema + 0.15 * (v - ema) : v);
const fmt = (v: number, digits: number): string => (Number.isFinite(v) ? v.toFixed(digits) : String(v));
const compact = (v: number): string => (v >= 1e4 ? `${(v / 1000).toFixed(v >= 1e5 ? 0 : 1)}k` : v.toFixed(0));

function showPreview(el: HTMLElement, prime: string, text: string): void {
  const p = document.createElement('span');
  p.className = 'prime';
  p.textContent = prime;
  el.replaceChildren(p, document.createTextNode(text));
}

function showConfusion(r: ConfusionReport): void {
  $('accuracy').textContent = `${(r.accuracy * 100).toFixed(1)} % of ${r.heldOut}`;
  const table = $('confusion');
  const head = `<tr><th></th>${r.labels.map((l) => `<th class="col">${l}</th>`).join('')}</tr>`;
  const rows = r.counts.map((row, i) => {
    const total = row.reduce((a, b) => a + b, 0) || 1;
    const cells = row.map((n, j) => {
      const a = n / total;
      const color = i === j ? `rgba(47,111,222,${a})` : `rgba(232,119,46,${a})`;
      return `<td style="background:${color};color:${a > 0.55 ? '#fff' : 'inherit'}">${n}</td>`;
    });
    return `<tr><th class="row">${r.labels[i]}</th>${cells.join('')}</tr>`;
  });
  table.innerHTML = head + rows.join('');
}

function showPrediction(p: Prediction): void {
  const list = $('prediction');
  list.dataset.name = p.name; // which name these are for
  list.replaceChildren(
    ...p.ranked.slice(0, 3).map(({ label, p: prob }) => {
      const li = document.createElement('li');
      const bar = document.createElement('span');
      bar.className = 'bar';
      bar.style.width = `${Math.round(prob * 120)}px`;
      li.append(`${label} ${(prob * 100).toFixed(2)} %`, bar);
      return li;
    }),
  );
}

function showForecast(r: ForecastReport): void {
  forecastPlot.show(r.series, r.oneStep, r.split, r.forecast);
  const values = $('forecast-values');
  values.textContent = r.forecast.slice(0, 5).map((v) => v.toFixed(4)).join(', ');
  // counts reports, so a reader (or a test) can tell a new forecast from an identical one
  values.dataset.version = String(Number(values.dataset.version ?? 0) + 1);
  $('forecast-mse').textContent = `(free-running MSE on the held-out ${r.forecast.length} values: ${fmt(r.forecastMse, 4)})`;
}

worker.onmessage = (ev: MessageEvent<FromWorker>) => {
  const m = ev.data;
  switch (m.type) {
    case 'ready': {
      $('backend').textContent = m.backend;
      ($('lose-device') as HTMLButtonElement).disabled = m.backend !== 'webgpu';
      $('adapter').textContent = m.deviceName;
      $('params').textContent = `· ${m.params.toLocaleString('en')} parameters`;
      $('data-info').textContent = m.dataInfo;
      const warn = $('gpu-warning');
      warn.hidden = m.gpuProblem === null;
      if (m.gpuProblem !== null) {
        warn.textContent = `No WebGPU here, so this page trains on the CPU (the float64 reference: correct, but much slower). ${m.gpuProblem}`;
        const gpuOption = [...select('backend-select').options].find((o) => o.value === 'webgpu');
        if (gpuOption) gpuOption.disabled = true;
      }
      perTask[task] = { ...readControls(), model: m.model };
      writeControls(perTask[task]);
      if (m.step === 0) {
        speed.ms = speed.tps = NaN;
        lossChart.clear();
        speedChart.clear();
        for (const id of ['loss', 'ppl', 'ms', 'tps', 'sps', 'eta', 'val-loss']) $(id).textContent = '–';
        $('step').textContent = '0';
      }
      return;
    }
    case 'running':
      return setRunning(m.running);
    case 'steps': {
      for (const s of m.stats) {
        const second = task === 'forecast' ? Math.sqrt(s.loss) : Math.exp(s.loss);
        lossChart.push(s.step, task === 'text' ? [s.loss, second, NaN] : [s.loss, second]);
        speed.ms = smooth(speed.ms, s.ms);
        speed.tps = smooth(speed.tps, s.tokensPerSec);
        speedChart.push(s.step, [speed.ms, speed.tps]);
      }
      const last = m.stats[m.stats.length - 1];
      $('step').textContent = String(last.step);
      $('loss').textContent = fmt(last.loss, 4);
      $('ppl').textContent = fmt(task === 'forecast' ? Math.sqrt(last.loss) : Math.exp(last.loss), 3);
      $('ms').textContent = Number.isFinite(speed.ms) ? speed.ms.toFixed(1) : '–';
      $('tps').textContent = Number.isFinite(speed.tps) ? compact(speed.tps) : '–';
      $('sps').textContent = Number.isFinite(speed.ms) ? (1000 / speed.ms).toFixed(1) : '–';
      $('eta').textContent = timeLeft(last.step, speed.ms);
      if (running) $('status').textContent = 'training…';
      return;
    }
    case 'text-preview':
      if (m.valLoss !== null) {
        lossChart.push(m.step, [NaN, NaN, m.valLoss]);
        $('val-loss').textContent = `${fmt(m.valLoss, 4)} at step ${m.step}`;
      }
      showPreview($('argmax'), m.prime, m.argmax);
      showPreview($('sample'), m.prime, m.sample);
      $('preview-step').textContent = `at step ${m.step}`;
      return;
    case 'confusion':
      return showConfusion(m.report);
    case 'prediction':
      return showPrediction(m.prediction);
    case 'forecast':
      return showForecast(m.report);
    case 'saved':
      return download(m.bytes, m.fileName);
    case 'loaded':
      $('status').textContent = `loaded ${m.name}`;
      return;
    case 'recovered': {
      const n = $('notice');
      n.hidden = false;
      n.textContent =
        `The GPU device was lost (${m.reason}) at step ${m.lostAt}: the model came back on a new device ` +
        `from its snapshot of step ${m.step}, and training goes on from there.`;
      lossChart.rewind(m.step);
      speedChart.rewind(m.step);
      $('step').textContent = String(m.step);
      return;
    }
    case 'error':
      showError(m.message);
      if ($('status').dataset.state === 'busy') setRunning(false);
      return;
  }
};
worker.onerror = (e) => showError(`the training worker failed: ${e.message}`);

function frame(): void {
  lossChart.draw();
  speedChart.draw();
  requestAnimationFrame(frame);
}
requestAnimationFrame(frame);

// ?task=classify&cell=gru&hidden=32&batch=8&… opens the page with those settings (links, tests)
const query = new URLSearchParams(location.search);
const firstTask = (['text', 'classify', 'forecast'] as const).find((t) => t === query.get('task')) ?? 'text';
for (const [key, value] of query) {
  const s = perTask[firstTask];
  if (key === 'cell' || key === 'backend') s.model = { ...s.model, [key]: value };
  if (key === 'hidden' || key === 'layers') s.model = { ...s.model, [key]: Number(value) };
  if (key === 'optimizer') s.train.optimizer = value as TrainSettings['optimizer'];
  if (key === 'lr' || key === 'batch' || key === 'seq' || key === 'clip') s.train[key] = Number(value);
  if (key === 'temperature') s.sample.temperature = Number(value);
  if (key === 'prime') s.sample.prime = value;
}
selectTask(firstTask);
send({ type: 'predict', name: input('name-input').value.trim() });
