// The real data sets' preparation, shared by the demo and `npm run quality` (tools/quality/ holds
// its PyTorch twin, quality.py, which does the same in Python):
//   names:  PyTorch's char-RNN classification tutorial: letters reduced to ASCII as it does
//           (NFD, combining marks dropped, only a–z A–Z and " .,;'" kept: 57 inputs), languages
//           in file-name order, a fixed 85/15 split by a hash of each name's index in that order
//   shakespeare: a 65-character vocabulary (sorted), the first 90 % for training, the last 10 %
//           for validation over 50 fixed 64-character windows evenly spaced through it
import type { SeqInput } from 'webrnn';

export const LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ .,;'";
const LETTER_INDEX = new Map([...LETTERS].map((c, i) => [c, i]));

/** The tutorial's unicodeToAscii: NFD, combining marks (Mn) dropped, only LETTERS kept. */
export function toAscii(s: string): string {
  return [...s.normalize('NFD')].filter((c) => !/\p{Mn}/u.test(c) && LETTER_INDEX.has(c)).join('');
}

/** A 32-bit integer hash (the same in quality.py), for a split that does not depend on an RNG. */
export function hash32(i: number): number {
  let h = (Math.imul(i, 0x9e3779b1) + 0x2545f491) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

export interface Named {
  name: string;
  label: number;
}

export interface NameSet {
  labels: string[];
  train: Named[];
  test: Named[];
}

/** files: language → its file's text. Names that reduce to nothing are dropped. */
export function prepareNames(files: Record<string, string>): NameSet {
  const labels = Object.keys(files).sort();
  const set: NameSet = { labels, train: [], test: [] };
  let i = 0;
  labels.forEach((lang, label) => {
    for (const line of files[lang].trim().split('\n')) {
      const name = toAscii(line);
      const index = i++;
      if (!name) continue;
      (hash32(index) % 100 < 15 ? set.test : set.train).push({ name, label });
    }
  });
  return set;
}

/** Letter indices of an ASCII-reduced name (any string: what is not a letter is dropped). */
export function nameIds(name: string): number[] {
  return [...toAscii(name)].map((c) => LETTER_INDEX.get(c)!);
}

/** A batch of names padded at the end, with their lengths (empty names become one space). */
export function nameBatch(names: string[], steps?: number): SeqInput {
  const seqs = names.map((n) => {
    const ids = nameIds(n);
    return ids.length ? ids : [LETTER_INDEX.get(' ')!];
  });
  const T = steps ?? Math.max(...seqs.map((s) => s.length));
  const ids = new Int32Array(names.length * T);
  const lengths = new Int32Array(names.length);
  seqs.forEach((s, b) => {
    const kept = s.slice(-T);
    ids.set(kept, b * T);
    lengths[b] = kept.length;
  });
  return { batch: names.length, steps: T, ids, lengths };
}

export const SHAKESPEARE = { trainFraction: 0.9, window: 64, valWindows: 50 };

/** The text as ids over its sorted characters, split 90 / 10. */
export function prepareText(text: string): { chars: string[]; train: Int32Array; val: Int32Array } {
  const chars = [...new Set(text)].sort();
  const index = new Map(chars.map((c, i) => [c, i]));
  const ids = Int32Array.from(text, (c) => index.get(c)!);
  const cut = Math.floor(ids.length * SHAKESPEARE.trainFraction);
  return { chars, train: ids.subarray(0, cut), val: ids.subarray(cut) };
}

/**
 * Start of validation window j of n: evenly spaced, each with its W inputs and W next characters
 * (tiny-shakespeare: 50 windows of 64; fewer or shorter ones for a short text).
 */
export function valWindowStart(valLength: number, j: number, W = SHAKESPEARE.window, n = SHAKESPEARE.valWindows): number {
  return n > 1 ? Math.floor((j * (valLength - W - 1)) / (n - 1)) : 0;
}
