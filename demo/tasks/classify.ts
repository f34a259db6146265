// Sequence classification: a name's language of origin from its letters (loss 'nll_last': only
// each name's last letter's output is scored). Names differ in length: each batch row holds a
// name from its first step, padded at the end to the longest, with its true length in `lengths`
// (pack_padded_sequence's semantics: the recurrence stops at the last letter), so all batches
// share one shape [B, T] and the GPU keeps one workspace.
import type { SeqInput, SeqTargets } from 'webrnn';
import { rng } from './random.js';
import { LETTERS, nameIds, type Named, type NameSet } from './realdata.js';

export type NamedExample = Named;

/** The tutorial's data set (demo/tasks/realdata.ts: 18 languages, letters reduced to ASCII, 85 / 15 split). */
export class NameData {
  readonly labels: string[];
  readonly steps: number;
  /** The training names; the held-out 15 % feed the confusion matrix. */
  readonly train: NamedExample[];
  readonly heldOut: NamedExample[];
  private random = rng(7);

  constructor(set: NameSet) {
    this.labels = set.labels;
    this.train = set.train;
    this.heldOut = set.test;
    this.steps = Math.max(...[...set.train, ...set.test].map((e) => e.name.length));
  }

  get vocabSize(): number {
    return LETTERS.length;
  }

  get trainCount(): number {
    return this.train.length;
  }

  /**
   * Writes name's ids from the row's start, padded at the end to `steps`, and returns its length
   * (letters reduced to ASCII as the tutorial does, others dropped; a longer name keeps its end;
   * one with no letters left is a single space).
   */
  encodeInto(name: string, ids: Int32Array, row: number): number {
    let letters = nameIds(name).slice(-this.steps);
    if (!letters.length) letters = [LETTERS.indexOf(' ')];
    const T = this.steps;
    ids.fill(0, row * T, (row + 1) * T);
    ids.set(letters, row * T);
    return letters.length;
  }

  /** B training names, drawn uniformly from the training split (languages as often as they occur there). */
  next(B: number): { input: SeqInput; targets: SeqTargets } {
    const ids = new Int32Array(B * this.steps);
    const lengths = new Int32Array(B);
    const y = new Int32Array(B);
    for (let b = 0; b < B; b++) {
      const e = this.train[Math.floor(this.random() * this.train.length)];
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
