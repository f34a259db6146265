// Time-series forecasting: float inputs x [B, T, 1] (the series, standardized), targets
// y = the next value, loss 'mse'. Training windows come from the first 80 % of the series; the
// rest is held out and forecast free-running (each prediction fed back as the next input).
import type { SeqInput, SeqTargets } from 'webrnn';
import type { SeriesKind } from '../protocol.js';
import { rng } from './random.js';

export const SERIES_LENGTH = 400;
export const TRAIN_FRACTION = 0.8;

/** Built-in synthetic series, seeded (the same every load). */
export function syntheticSeries(kind: SeriesKind, n = SERIES_LENGTH): number[] {
  const r = rng(kind === 'sines' ? 11 : 12);
  // Box–Muller: Gaussian noise from two uniforms
  const noise = (): number => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const out: number[] = [];
  for (let t = 0; t < n; t++) {
    out.push(
      kind === 'sines'
        ? // sum of sines: periods 25 and 9.5 steps, plus noise
          Math.sin((2 * Math.PI * t) / 25) + 0.5 * Math.sin((2 * Math.PI * t) / 9.5 + 1) + 0.1 * noise()
        : // trend + season: a slow rise, a 20-step season with a sharper shape, noise
          10 + 0.02 * t + 2 * Math.sin((2 * Math.PI * t) / 20) + Math.cos((4 * Math.PI * t) / 20) + 0.25 * noise(),
    );
  }
  return out;
}

/**
 * A CSV's values: per row, the last field that parses as a number (so `date,value` and a bare
 * column both work; a header row is skipped). Throws, in words, when too few are left.
 */
export function parseCsv(text: string, maxValues = 2000): number[] {
  const values: number[] = [];
  for (const line of text.split(/\r?\n/)) {
    const fields = line.split(/[,;\t]/).map((f) => f.trim().replace(/^"|"$/g, ''));
    for (let i = fields.length - 1; i >= 0; i--) {
      const v = fields[i] === '' ? NaN : Number(fields[i]);
      if (Number.isFinite(v)) {
        values.push(v);
        break;
      }
    }
  }
  if (values.length < 60) throw new Error(`the CSV has ${values.length} numeric rows; the forecaster needs at least 60`);
  return values.slice(-maxValues);
}

export class Series {
  readonly values: number[];
  readonly split: number;
  readonly mean: number;
  readonly std: number;
  /** Standardized with the training part's mean and std, so the model sees values near [−2, 2]. */
  readonly z: Float32Array;
  private random = rng(5);

  constructor(values: number[]) {
    this.values = values;
    this.split = Math.floor(values.length * TRAIN_FRACTION);
    const head = values.slice(0, this.split);
    this.mean = head.reduce((a, v) => a + v, 0) / head.length;
    this.std = Math.sqrt(head.reduce((a, v) => a + (v - this.mean) ** 2, 0) / head.length) || 1;
    this.z = Float32Array.from(values, (v) => (v - this.mean) / this.std);
  }

  unscale(z: number): number {
    return z * this.std + this.mean;
  }

  /** The longest window T the training part allows (T + 1 values per window). */
  maxSteps(): number {
    return this.split - 1;
  }

  /** B random windows from the training part: x = z[s .. s+T−1], y = z[s+1 .. s+T]. */
  next(B: number, T: number): { input: SeqInput; targets: SeqTargets } {
    const x = new Float32Array(B * T);
    const y = new Float32Array(B * T);
    const starts = this.split - T; // s + T ≤ split − 1
    for (let b = 0; b < B; b++) {
      const s = Math.floor(this.random() * starts);
      x.set(this.z.subarray(s, s + T), b * T);
      y.set(this.z.subarray(s + 1, s + T + 1), b * T);
    }
    return { input: { batch: B, steps: T, x }, targets: { y } };
  }
}
