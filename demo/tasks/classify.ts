// Sequence classification: a name's language of origin from its letters (loss 'nll_last': only
// each name's last letter's output is scored). Names differ in length: each batch row holds a
// name from its first step, padded at the end to the longest, with its true length in `lengths`
// (pack_padded_sequence's semantics: the recurrence stops at the last letter), so all batches
// share one shape [B, T] and the GPU keeps one workspace.
import type { SeqInput, SeqTargets } from 'webrnn';
import { rng } from './random.js';

export const PAD = '·';

export interface NamedExample {
  name: string;
  label: number;
}

export class NameData {
  readonly labels: string[];
  readonly chars: string[];
  readonly steps: number;
  /** Per language, its training names (80 %); the rest are held out for the confusion matrix. */
  readonly train: NamedExample[][];
  readonly heldOut: NamedExample[];
  private index = new Map<string, number>();
  private random = rng(7);

  /** lists: language → one name per line. */
  constructor(lists: Record<string, string>) {
    this.labels = Object.keys(lists).sort();
    const all = this.labels.map((label, i) =>
      lists[label]
        .split('\n')
        .map((s) => s.trim().toLowerCase())
        .filter(Boolean)
        .map((name) => ({ name, label: i })),
    );
    this.chars = [PAD, ...[...new Set(all.flat().flatMap((e) => [...e.name]))].sort()];
    this.chars.forEach((c, i) => this.index.set(c, i));
    this.steps = Math.max(...all.flat().map((e) => e.name.length));
    const split = rng(1234);
    this.train = [];
    this.heldOut = [];
    for (const examples of all) {
      const shuffled = examples.map((e) => [split(), e] as const).sort((a, b) => a[0] - b[0]).map(([, e]) => e);
      const cut = Math.round(shuffled.length * 0.8);
      this.train.push(shuffled.slice(0, cut));
      this.heldOut.push(...shuffled.slice(cut));
    }
  }

  get vocabSize(): number {
    return this.chars.length;
  }

  get trainCount(): number {
    return this.train.reduce((n, l) => n + l.length, 0);
  }

  /**
   * Writes name's ids from the row's start, padded at the end to `steps`, and returns its length
   * (unknown letters become pads; a longer name keeps its end; an empty one is a single pad).
   */
  encodeInto(name: string, ids: Int32Array, row: number): number {
    const letters = [...name.toLowerCase()].map((c) => this.index.get(c) ?? 0).slice(-this.steps);
    const T = this.steps;
    ids.fill(0, row * T, (row + 1) * T);
    ids.set(letters, row * T);
    return Math.max(1, letters.length);
  }

  /** B training names, each language equally likely (the lists differ a little in length). */
  next(B: number): { input: SeqInput; targets: SeqTargets } {
    const ids = new Int32Array(B * this.steps);
    const lengths = new Int32Array(B);
    const y = new Int32Array(B);
    for (let b = 0; b < B; b++) {
      const lang = this.train[Math.floor(this.random() * this.train.length)];
      const e = lang[Math.floor(this.random() * lang.length)];
      lengths[b] = this.encodeInto(e.name, ids, b);
      y[b] = e.label;
    }
    return { input: { batch: B, steps: this.steps, ids, lengths }, targets: { ids: y } };
  }

  /** Batches of B names (the last one filled up with pads) covering `names`, in order. */
  *chunks(names: string[], B: number): Generator<{ input: SeqInput; count: number }> {
    for (let i = 0; i < names.length; i += B) {
      const ids = new Int32Array(B * this.steps);
      const lengths = new Int32Array(B).fill(1);
      const part = names.slice(i, i + B);
      part.forEach((n, b) => (lengths[b] = this.encodeInto(n, ids, b)));
      yield { input: { batch: B, steps: this.steps, ids, lengths }, count: part.length };
    }
  }
}

/** Softmax of the logits at row b's last real step (its length), from predict's logits [B, T, O]. */
export function lastStepProbs(logits: Float64Array, b: number, T: number, O: number, length: number): number[] {
  const row = logits.subarray((b * T + length - 1) * O, (b * T + length) * O);
  const m = Math.max(...row);
  const e = Array.from(row, (v) => Math.exp(v - m));
  const s = e.reduce((a, v) => a + v, 0);
  return e.map((v) => v / s);
}
