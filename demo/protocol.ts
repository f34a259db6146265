// Messages between the page (main.ts) and the training worker (worker.ts). The worker owns the
// model; the page only renders what it is told, so a slow step never blocks an input event.
import type { BackendName, CellKind } from 'webrnn';

export type Task = 'text' | 'classify' | 'forecast';
export type SeriesKind = 'sines' | 'trend';

/** What shapes the model: changing any of these builds a new one (backend moves the weights). */
export interface ModelSettings {
  cell: CellKind;
  hidden: number;
  layers: number;
  backend: BackendName;
}

/** Applied between steps, without touching the weights. */
export interface TrainSettings {
  optimizer: 'adam' | 'sgd';
  lr: number;
  batch: number;
  /** Time steps per training sequence (the classifier pads every name to its longest instead). */
  seq: number;
  /** clip_grad_norm_ max_norm; 0 = off. */
  clip: number;
}

export interface SampleSettings {
  temperature: number;
  prime: string;
}

export interface Settings {
  model: ModelSettings;
  train: TrainSettings;
  sample: SampleSettings;
}

export type ToWorker =
  | { type: 'init'; task: Task; settings: Settings }
  | { type: 'reset'; task: Task; settings: Settings }
  | { type: 'settings'; settings: Settings }
  | { type: 'start' }
  | { type: 'pause' }
  /** Train the text task on this text (null: tiny-shakespeare, data/tinyshakespeare). */
  | { type: 'text'; text: string | null }
  | { type: 'series'; kind: SeriesKind }
  | { type: 'csv'; text: string; name: string }
  | { type: 'predict'; name: string }
  | { type: 'save' }
  | { type: 'load'; bytes: ArrayBuffer; name: string }
  /** Destroys the model's GPU device, as a driver reset or a backgrounded mobile tab would. */
  | { type: 'lose-device' };

export interface StepStat {
  step: number;
  loss: number;
  /** Wall time per step, averaged over the steps in flight together. */
  ms: number;
  tokensPerSec: number;
}

export interface ConfusionReport {
  labels: string[];
  /** counts[true][predicted] on the held-out names. */
  counts: number[][];
  accuracy: number;
  heldOut: number;
}

export interface Prediction {
  name: string;
  /** Languages with probabilities, most likely first. */
  ranked: { label: string; p: number }[];
}

export interface ForecastReport {
  /** The series in its own units, and the index where the held-out tail (and the forecast) starts. */
  series: number[];
  split: number;
  /** oneStep[t]: the model's prediction of series[t] from series[0..t−1] (NaN at t = 0). */
  oneStep: number[];
  /** Free-running forecast of series[split..]: each prediction is fed back as the next input. */
  forecast: number[];
  /** MSE of the free-running forecast on the held-out tail, in the series' units². */
  forecastMse: number;
}

export type FromWorker =
  | {
      type: 'ready';
      backend: BackendName;
      deviceName: string;
      /** Set when WebGPU was asked for but is missing: why, in words. */
      gpuProblem: string | null;
      model: ModelSettings;
      /** One line about the data: corpus size, vocabulary, name counts, series length. */
      dataInfo: string;
      params: number;
      /** Training steps so far; 0 after a reset or a load (the page clears its charts). */
      step: number;
    }
  | { type: 'steps'; stats: StepStat[] }
  | { type: 'running'; running: boolean }
  /** valLoss: mean NLL on the held-out 10 % of the text (null: too short to hold any out). */
  | { type: 'text-preview'; step: number; argmax: string; sample: string; prime: string; valLoss: number | null }
  | { type: 'confusion'; step: number; report: ConfusionReport }
  | { type: 'prediction'; step: number; prediction: Prediction }
  | { type: 'forecast'; step: number; report: ForecastReport }
  | { type: 'saved'; bytes: ArrayBuffer; fileName: string }
  | { type: 'loaded'; name: string }
  | { type: 'error'; message: string }
  /** The GPU device was lost and the model rebuilt on a new one from its snapshot of `step`. */
  | { type: 'recovered'; reason: string; lostAt: number; step: number };
