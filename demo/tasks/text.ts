// Text generation: a char-level model reads a corpus as B parallel streams and learns to predict
// the next character (loss 'nll' over all B·T positions). Truncated BPTT: each step continues
// every stream where the last one stopped, with the recurrent state carried over on the device.
import type { SeqInput, SeqTargets } from 'webrnn';
import { SHAKESPEARE, valWindowStart } from './realdata.js';

export class CharVocab {
  readonly chars: string[];
  private index = new Map<string, number>();

  constructor(text: string) {
    this.chars = [...new Set(text)].sort();
    this.chars.forEach((c, i) => this.index.set(c, i));
  }

  get size(): number {
    return this.chars.length;
  }

  /** Characters outside the vocabulary are dropped (a prime may hold any text). */
  encode(text: string): Int32Array {
    const ids: number[] = [];
    for (const c of text) {
      const i = this.index.get(c);
      if (i !== undefined) ids.push(i);
    }
    return Int32Array.from(ids);
  }

  decode(ids: ArrayLike<number>): string {
    let s = '';
    for (let i = 0; i < ids.length; i++) s += this.chars[ids[i]] ?? '';
    return s;
  }
}

export interface Batch {
  input: SeqInput;
  targets: SeqTargets;
  /** 'zeros' when the streams (re)started, 'carry' when they continue from the last step. */
  state: 'zeros' | 'carry';
}

export class TextStreams {
  readonly vocab: CharVocab;
  readonly data: Int32Array;
  /** The streams read the first 90 % of the text; the last 10 % is held out for validation. */
  readonly train: Int32Array;
  readonly val: Int32Array;
  private pos: number[] = [];
  private steps = 0;

  constructor(readonly text: string) {
    this.vocab = new CharVocab(text);
    this.data = this.vocab.encode(text);
    const cut = Math.floor(this.data.length * SHAKESPEARE.trainFraction);
    this.train = this.data.subarray(0, cut);
    this.val = this.data.subarray(cut);
  }

  /**
   * The validation batch: up to 50 fixed windows of 64 characters evenly spaced through the held-out
   * 10 % (npm run quality's, on tiny-shakespeare), fewer and shorter for a short text; null when
   * the text is too short to hold any out.
   */
  validation(): { input: SeqInput; targets: SeqTargets } | null {
    const W = Math.min(SHAKESPEARE.window, this.val.length - 1);
    if (W < 2) return null;
    const n = Math.max(1, Math.min(SHAKESPEARE.valWindows, Math.floor(this.val.length / (W + 1))));
    const ids = new Int32Array(n * W);
    const tgt = new Int32Array(n * W);
    for (let j = 0; j < n; j++) {
      const s = valWindowStart(this.val.length, j, W, n);
      ids.set(this.val.subarray(s, s + W), j * W);
      tgt.set(this.val.subarray(s + 1, s + W + 1), j * W);
    }
    return { input: { batch: n, steps: W, ids }, targets: { ids: tgt } };
  }

  /** Starts the streams again from evenly spaced offsets (after a reset, or a new B / T). */
  restart(): void {
    this.pos = [];
  }

  /** ids [B, T] and next-char targets [B, T]; stream b reads data[pos_b .. pos_b + T]. */
  next(B: number, T: number): Batch {
    const N = this.train.length;
    const fresh = this.pos.length !== B || this.steps !== T;
    if (fresh) {
      this.pos = Array.from({ length: B }, (_, b) => Math.floor((b * N) / B));
      this.steps = T;
    }
    const ids = new Int32Array(B * T);
    const tgt = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      const p = this.pos[b];
      for (let t = 0; t < T; t++) {
        ids[b * T + t] = this.train[(p + t) % N];
        tgt[b * T + t] = this.train[(p + t + 1) % N];
      }
      this.pos[b] = (p + T) % N;
    }
    return { input: { batch: B, steps: T, ids }, targets: { ids: tgt }, state: fresh ? 'zeros' : 'carry' };
  }
}
